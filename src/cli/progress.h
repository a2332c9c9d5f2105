// The launcher's progress line, redrawn about once a second while a mode
// runs (README "Using it"):
//
//   [gaia]   12.0s  clock a=40/100 b=39/100  objective 0.41  updates/s 120k
//     wan 3.20 MB [a->b 0.31 MB/s, b->a 0.30 MB/s]  filtered 92.0%
//
// Pure formatting over numbers the supervision loop gathered.
#ifndef GAIA_SRC_CLI_PROGRESS_H_
#define GAIA_SRC_CLI_PROGRESS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "src/cli/mirror_monitor.h"
#include "src/cli/relay_plan.h"
#include "src/common/job_spec.h"
#include "src/common/topology.h"

namespace gaia::cli {

// A directed WAN link's rate since the last progress line.
struct LinkRate {
  std::string name;  // "<from>-><to>"
  double mb_per_s = 0;
};

// Bytes carried so far per directed DC link ("<from>-><to>"): the relays'
// counters when they carry the WAN (`relay` not null), else the mirrors' own.
std::map<std::string, uint64_t> LinkBytes(const RelayStats* relay, const MirrorTotals* mirror,
                                          const common::Topology& topo);

// Every link's rate between two LinkBytes readings `dt_s` apart, busiest
// first. A counter that went backwards counts as no traffic.
std::vector<LinkRate> LinkRates(const std::map<std::string, uint64_t>& now,
                                const std::map<std::string, uint64_t>& before, double dt_s);

struct ProgressState {
  common::Mode mode = common::Mode::kLan;
  double elapsed_s = 0;
  uint32_t clocks = 0;              // each worker's total (app.clocks)
  std::vector<std::string> dcs;     // host DCs, topology order
  std::vector<int64_t> dc_clocks;   // per host DC, -1 before any clock
  std::optional<double> objective;  // the latest completed clock's
  std::string held_out_name;        // e.g. "test_rmse"; "" when the app reports none
  std::optional<double> held_out;   // the latest clock's held-out measure
  double updates_per_s = 0;
  uint64_t wan_bytes = 0;
  std::vector<LinkRate> links;           // busiest first
  const MirrorTotals* mirror = nullptr;  // gaia modes
};

std::string FormatProgress(const ProgressState& state);

}  // namespace gaia::cli

#endif  // GAIA_SRC_CLI_PROGRESS_H_
