// Pricing a run the way thesis §5.4.3 does: EC2 on-demand prices of January
// 2017 (thesis Table 5.1) for machine time, split into time computing and
// time waiting on the network, plus WAN transfer per GB sent and received;
// and the CENTRALIZED alternative of thesis Table 5.2 (move every DC's raw
// data to the cheapest DC over the WAN, then train there on a LAN).
//
// The price table is a CSV shipped in tools/cost/ (docs/COST.md):
//   region,cpu_hour,gpu_hour,lowcost_hour,send_gb,recv_gb
// A DC is priced as the region of the same name; `region_of` overrides.
//
//   absl::StatusOr<PriceTable> prices = LoadDefaultPrices();
//   absl::StatusOr<std::vector<RunUsage>> runs = ReadRunUsage("results/mf-2dc/20170101-120000");
//   for (const RunUsage& run : *runs) {
//     RunCost cost = PriceRun(run, *prices, /*region_of=*/{});
//     ... cost.total() ...
//   }
//
// Pure functions of their arguments (ReadRunUsage and the loaders read
// files); thread-compatible.
#ifndef GAIA_SRC_CLI_COST_MODEL_H_
#define GAIA_SRC_CLI_COST_MODEL_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace gaia::cli {

struct RegionPrice {
  std::string region;
  double cpu_hour = 0;  // USD per instance-hour
  double gpu_hour = 0;
  double lowcost_hour = 0;
  double send_gb = 0;  // USD per GB (1e9 bytes) sent to the WAN
  double recv_gb = 0;  // USD per GB received from the WAN
};

struct PriceTable {
  std::string source;  // file it came from
  std::vector<RegionPrice> regions;
  const RegionPrice* Find(const std::string& region) const;
};

// The shipped table (tools/cost/ec2-2017.csv), searched in CostDirs().
absl::StatusOr<PriceTable> LoadDefaultPrices();
// Errors name the file and line.
absl::StatusOr<PriceTable> LoadPrices(const std::string& path);
// Parses CSV text; `source` names it in errors ("<source>:<line>: <what>").
// '#' lines and blank lines are skipped; the first other line must be the
// header; every price must be a finite number >= 0; a region given twice,
// a bad region name (letters, digits, '_', '.', '-') or no regions at all is
// an error.
absl::StatusOr<PriceTable> ParsePrices(const std::string& text, const std::string& source);
// Where LoadDefaultPrices looks, in order: $GAIA_COST_DIR if set,
// <dir of the running binary>/../share/gaia/cost (installed), and the source
// tree's tools/cost (compiled in).
std::vector<std::string> CostDirs();
// The file name LoadDefaultPrices loads from the first of CostDirs() that has it.
inline constexpr char kDefaultPriceFile[] = "ec2-2017.csv";

// What a finished run consumed, per DC (by the run's DC names).
struct RunUsage {
  std::string mode;
  double seconds = 0;                        // time priced: to the target, else elapsed
  // Per DC a machine runs a worker and a shard: max(workers, shards). lan
  // runs everything in the job's first DC, so it has one entry.
  std::map<std::string, uint32_t> machines;
  std::map<std::string, double> wait_s;  // per DC: worker-seconds blocked on the network
  // (from, to): bytes; ReadRunUsage scales the run's link totals to the
  // clocks priced (clocks_priced / clocks completed).
  std::map<std::pair<std::string, std::string>, double> wan_bytes;
  std::map<std::string, double> input_bytes;  // per DC: raw training data (for CENTRALIZED)

  // Filled by ReadRunUsage (informational; PriceRun reads only `notes`).
  double elapsed_s = 0;            // the whole run
  bool to_target = false;          // seconds is the time to the comparison's target
  int64_t clocks_priced = 0;       // clocks whose read_wait_s is in wait_s
  std::vector<std::string> notes;  // how the usage was read, e.g. a missing worker file
};

struct RunCost {
  double compute_usd = 0;  // machine time computing
  double wait_usd = 0;     // machine time waiting on the network
  double wan_usd = 0;      // WAN transfer
  double total() const { return compute_usd + wait_usd + wan_usd; }
  std::vector<std::string> notes;  // e.g. "dc 'a' priced as virginia (no such region)"

  double compute_machine_h = 0;                     // machine-hours computing, all DCs
  double wait_machine_h = 0;                        // machine-hours waiting, all DCs
  double wan_gb = 0;                                // GB (1e9 bytes) over the WAN, all links
  std::map<std::string, std::string> region_of_dc;  // the region each DC was priced as
};

// `region_of` maps a DC to a region; DCs it lacks are priced as the region
// of the same name, else as `fallback_region` with a note.
// Per DC: machine_h = machines * seconds / 3600; wait_h = min(wait_s,
// machines * seconds) / 3600; compute_h = machine_h - wait_h; both at the
// region's cpu_hour. Each WAN link: GB * (send_gb of the source's region +
// recv_gb of the destination's). The usage's notes come first in `notes`.
RunCost PriceRun(const RunUsage& usage, const PriceTable& prices,
                 const std::map<std::string, std::string>& region_of,
                 const std::string& fallback_region = "virginia");

struct CentralizedCost {
  std::string dc;         // where the data goes: the cheapest CPU region among the DCs
  double transfer_s = 0;  // moving every other DC's input over its link to `dc`
  double transfer_usd = 0;
  double train_usd = 0;  // all machines in `dc` for the LAN run's time
  double total() const { return transfer_usd + mover_usd + train_usd; }

  std::string region;      // the region `dc` is priced as
  double moved_bytes = 0;  // raw data moved over the WAN, all DCs
  double mover_usd = 0;    // low-cost instances running the transfer (thesis §5.5.4)
  double train_s = 0;      // the LAN run's priced time
  uint32_t machines = 0;   // the LAN run's machines
  double total_s() const { return transfer_s + train_s; }
  std::vector<std::string> notes;  // e.g. a DC without input_bytes or without a link
};
// `lan` is the LAN run's usage (its seconds and machine count);
// `link_mbps[(from, to)]` the WAN bandwidth to move the data over.
// The DCs are those named in either run; the data is `any_multi_dc_run`'s
// input_bytes (the LAN run's if it has none). Cheapest = lowest cpu_hour,
// ties to the DC the LAN run ran in, then by name. Each other DC d sends
// input_bytes[d] in parallel: transfer_s = max_d bytes * 8 / (mbps * 1e6),
// transfer_usd = sum_d GB * (send_gb[d] + recv_gb[dc]); one low-cost instance
// runs in d while its data moves and one in `dc` for transfer_s (mover_usd).
// train_usd = machines * train_s / 3600 * cpu_hour[dc].
CentralizedCost PriceCentralized(
    const RunUsage& lan, const RunUsage& any_multi_dc_run,
    const std::map<std::pair<std::string, std::string>, double>& link_mbps,
    const PriceTable& prices, const std::map<std::string, std::string>& region_of,
    const std::string& fallback_region = "virginia");

// The job's WAN bandwidth per directed DC pair (Mbit/s), from the run's
// job.yaml wan section (wan_links.h: preset or matrix times bandwidth_scale,
// else wan.bandwidth_mbps). Errors name job.yaml.
absl::StatusOr<std::map<std::pair<std::string, std::string>, double>> ReadLinkMbps(
    const std::string& run_dir);

// Reads the usage of every run in a results folder (results/<job>/<time>):
// summary.json, job.yaml, and the workers' metrics under work/<mode>/.
// Runs are in summary.json's order. A missing or malformed summary.json or
// job.yaml is InvalidArgument/NotFound naming the file; a missing worker
// metrics file or metrics.jsonl only adds a note to the run.
absl::StatusOr<std::vector<RunUsage>> ReadRunUsage(const std::string& run_dir);

}  // namespace gaia::cli

#endif  // GAIA_SRC_CLI_COST_MODEL_H_
