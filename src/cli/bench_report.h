// The numbers `gaia bench` reports (docs/BENCH.md): what each repeat of each
// setting and consistency model produced, per mode, and their aggregation
// over repeats into one table, written as text, CSV and JSON.
//
//   absl::StatusOr<RepeatOutcome> r = ReadRepeatOutcome(run_dir);
//   r->setting = "vc"; r->model = "bsp"; r->repeat = 1;
//   std::vector<BenchRow> rows = Aggregate({*r});
//   std::cout << FormatTable(rows);
//
// Pure functions; thread-compatible.
#ifndef GAIA_SRC_CLI_BENCH_REPORT_H_
#define GAIA_SRC_CLI_BENCH_REPORT_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace gaia::cli {

// The mode name of the CENTRALIZED estimate (thesis Table 5.2): move every
// DC's raw data to the cheapest DC, then train there as the lan run did.
inline constexpr char kCentralized[] = "centralized";

// EC2 cost of one run, thesis Table 5.1.
struct CostBreakdown {
  double compute_usd = 0;  // machine time computing
  double wait_usd = 0;     // machine time waiting on the network
  double wan_usd = 0;      // WAN transfer
  double total_usd() const { return compute_usd + wait_usd + wan_usd; }
};

// One mode of one `gaia launch`.
struct ModeOutcome {
  std::string mode;                        // "lan", ..., or kCentralized
  std::optional<double> time_to_target_s;  // nullopt: never reached the target
  double wan_bytes = 0;
  std::optional<CostBreakdown> cost;  // nullopt: not priced
};

// One `gaia launch` of one setting, model and repeat.
struct RepeatOutcome {
  std::string setting;                     // "vc", "ss", "ec2-11"
  std::string model;                       // "bsp", "ssp"
  int repeat = 1;                          // 1-based
  std::string run_dir;                     // <results>/<job>/<timestamp>
  std::optional<double> target_objective;  // the lan run's; nullopt without one
  std::vector<ModeOutcome> modes;          // in run order
  std::vector<std::string> notes;          // from pricing, shown under the table
};

// Reads <run_dir>/summary.json: each run's mode and WAN bytes, its time to
// the target from "comparison" (lan: lan_time_s). A summary without a
// comparison gives every mode "never reached". NotFound / InvalidArgument
// naming the file when it is missing or malformed. Sets run_dir and
// target_objective; the caller fills setting, model and repeat.
absl::StatusOr<RepeatOutcome> ReadRepeatOutcome(const std::string& run_dir);

// One line of the table: a setting, model and mode over its repeats.
struct BenchRow {
  std::string setting;
  std::string model;
  std::string mode;
  int repeats = 0;                     // outcomes aggregated
  int reached = 0;                     // of them, how many reached the target
  std::optional<double> time_s;        // median time to target; nullopt = "-"
  std::optional<double> speedup;       // baseline's time_s / this time_s
  std::optional<double> ratio_to_lan;  // this time_s / lan's time_s
  double wan_gb = 0;                   // median WAN GB (1e9 bytes)
  std::optional<CostBreakdown> cost;   // the breakdown of the repeat with the median total
};

// Groups by (setting, model, mode), in the order first seen; within a group
// kCentralized comes last. Medians: a repeat that never reached the target
// counts as infinitely slow, so time_s is nullopt when at least half of the
// repeats never reached it (with an even count, the median is the mean of
// the two middle values). Cost: the breakdown of the priced repeat whose
// total is the median (the lower middle for an even count), so the parts add
// up to the total shown.
std::vector<BenchRow> Aggregate(const std::vector<RepeatOutcome>& outcomes);

// Fixed-width text, one line per row and a blank line between (setting,
// model) groups; "-" for a missing value.
std::string FormatTable(const std::vector<BenchRow>& rows);
// CSV with a header line; an empty field for a missing value.
std::string FormatCsv(const std::vector<BenchRow>& rows);
// An array of objects with the CSV's columns as keys; null for a missing value.
nlohmann::json RowsJson(const std::vector<BenchRow>& rows);

// The median of `values` (non-empty), +infinity counting as a value.
double Median(std::vector<double> values);

}  // namespace gaia::cli

#endif  // GAIA_SRC_CLI_BENCH_REPORT_H_
