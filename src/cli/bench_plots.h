// The plots of `gaia bench`, drawn by gnuplot: for one setting and model,
// objective vs time per mode, WAN bytes per link per mode, and the cost
// breakdown per mode with CENTRALIZED. Each plot is a data file (.dat) and a
// gnuplot script (.gp) that writes a PNG and an SVG beside them, so a user
// can edit the script and re-plot with `gnuplot <name>.gp` in that folder.
//
//   absl::StatusOr<PlotData> data = ReadPlotData(run_dir);
//   data->title = "vc bsp";
//   data->costs = {{"lan", cost}, ...};
//   absl::StatusOr<std::vector<std::string>> scripts = WritePlotFiles(*data, dir);
//   if (std::string gnuplot = FindGnuplot(); !gnuplot.empty())
//     for (const std::string& s : *scripts) RunGnuplot(gnuplot, dir, s, std::chrono::seconds(60));
#ifndef GAIA_SRC_CLI_BENCH_PLOTS_H_
#define GAIA_SRC_CLI_BENCH_PLOTS_H_

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/cli/bench_report.h"

namespace gaia::cli {

struct PlotData {
  std::string title;  // "vc bsp (2-DC V/C)": heads every plot

  struct Series {
    std::string mode;
    std::vector<std::pair<double, double>> points;  // (time_s, objective), by clock
  };
  std::vector<Series> objective;           // per mode, in run order
  std::optional<double> target_objective;  // drawn as a dashed line

  std::vector<std::string> link_modes;          // modes that used the WAN, in run order
  std::vector<std::string> links;               // "a->b", in first-seen order
  std::vector<std::vector<double>> link_bytes;  // [link][mode index in link_modes]

  std::vector<std::pair<std::string, CostBreakdown>> costs;  // per mode, then CENTRALIZED
};

// Objective series from <run_dir>/metrics.jsonl (one line per mode and
// clock) and per-link WAN bytes and the target from <run_dir>/summary.json.
// Malformed metrics lines are skipped. NotFound / InvalidArgument naming the
// file when summary.json is missing or malformed.
absl::StatusOr<PlotData> ReadPlotData(const std::string& run_dir);

// Writes objective.{dat,gp}, and when there is data for them wan_links.{dat,gp}
// and cost.{dat,gp}, into `dir` (created if missing). Returns the scripts'
// file names, relative to `dir`.
absl::StatusOr<std::vector<std::string>> WritePlotFiles(const PlotData& data,
                                                        const std::string& dir);

// The gnuplot program on PATH, or "" when there is none.
std::string FindGnuplot();

// Runs `gnuplot <script>` in `dir` (no shell), its output appended to
// <dir>/gnuplot.log; ends it by PID after `timeout`. An error names the
// script, why, and the log.
absl::Status RunGnuplot(const std::string& gnuplot, const std::string& dir,
                        const std::string& script, std::chrono::seconds timeout);

}  // namespace gaia::cli

#endif  // GAIA_SRC_CLI_BENCH_PLOTS_H_
