// Human- and machine-readable summaries of finished runs, and the comparison
// of modes against the LAN run (DESIGN.md §8).
#ifndef GAIA_SRC_CLI_RUN_SUMMARY_H_
#define GAIA_SRC_CLI_RUN_SUMMARY_H_

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

#include "src/cli/launcher.h"
#include "src/common/job_spec.h"

namespace gaia::cli {

struct ModeVsLan {
  common::Mode mode;
  std::optional<double> time_to_target_s;  // nullopt: never reached the target
  double wan_bytes = 0;
};

struct Comparison {
  std::optional<double> target_objective;  // the LAN run's converged objective
  std::optional<double> lan_time_s;        // when LAN reached it
  bool lan_converged = false;              // false: target is LAN's final objective
  std::vector<ModeVsLan> modes;
  std::string line;                        // one-line summary; "" without a LAN run
};

// One line per finished run: time, clocks, final objective, WAN bytes.
std::string DescribeRun(const RunResult& result);

Comparison Compare(const std::vector<RunResult>& results);

// A finished run's summary.json (`run_dir`/summary.json) with its "runs"
// array. NotFound "<path>: cannot open"; InvalidArgument "<path>: not valid
// JSON" or "<path>: no "runs" array".
absl::StatusOr<nlohmann::json> ReadSummaryJson(const std::string& run_dir);

nlohmann::json SummaryJson(const common::JobSpec& spec, const std::string& run_dir,
                           const std::vector<RunResult>& results, const Comparison& comparison);

}  // namespace gaia::cli

#endif  // GAIA_SRC_CLI_RUN_SUMMARY_H_
