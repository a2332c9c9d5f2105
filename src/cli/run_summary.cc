#include "src/cli/run_summary.h"

#include <filesystem>

#include "src/cli/run_layout.h"
#include "src/common/data_files.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace gaia::cli {

absl::StatusOr<nlohmann::json> ReadSummaryJson(const std::string& run_dir) {
  const std::string path = RunLayout(run_dir).summary_json();
  absl::StatusOr<std::string> text = common::ReadFile(path);
  if (!text.ok()) return text.status();
  nlohmann::json summary = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (summary.is_discarded() || !summary.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not valid JSON"));
  }
  if (!summary.contains("runs") || !summary["runs"].is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no \"runs\" array"));
  }
  return summary;
}
using json = nlohmann::json;
using common::Mode;

std::string DescribeRun(const RunResult& r) {
  std::string line = absl::StrFormat("[%s] done in %.1f s, %d clocks", common::ModeName(r.mode),
                                     r.elapsed_s, r.clocks_completed);
  if (!r.series.empty()) {
    absl::StrAppend(&line, absl::StrFormat(", final objective %.6g", r.series.back().objective));
  }
  if (!r.held_out_series.empty()) {
    absl::StrAppend(&line, ", final ", r.held_out_name,
                    absl::StrFormat(" %.6g", r.held_out_series.back().objective));
  }
  if (r.convergence) {
    absl::StrAppend(&line, absl::StrFormat(", converged at clock %d (%.1f s, objective %.6g)",
                                           r.convergence->clock, r.convergence->time_s,
                                           r.convergence->objective));
  } else {
    absl::StrAppend(&line, ", not converged");
  }
  if (!r.wan_links.empty()) absl::StrAppend(&line, absl::StrFormat(", WAN %.2f MB", r.wan_bytes / 1e6));
  if (r.mirror) {
    absl::StrAppend(&line, absl::StrFormat(", %.1f%% of updates filtered (%.1f%% insignificant "
                                           "at 1%%), DC copies within %.3g",
                                           100.0 * r.mirror->filtered_fraction(),
                                           100.0 * r.mirror->insignificant_fraction(),
                                           r.dc_max_difference));
  }
  return line;
}

Comparison Compare(const std::vector<RunResult>& results) {
  Comparison c;
  const RunResult* lan = nullptr;
  for (const RunResult& r : results) {
    if (r.mode == Mode::kLan) lan = &r;
  }
  if (lan == nullptr || lan->series.empty()) return c;
  if (lan->convergence) {
    c.lan_converged = true;
    c.target_objective = lan->convergence->objective;
  } else {
    c.target_objective = lan->series.back().objective;
  }
  if (auto p = FirstReaching(lan->series, *c.target_objective)) c.lan_time_s = p->time_s;
  c.line = absl::StrFormat("comparison: target = lan %s objective %.6g, reached by lan at %.1f s",
                           c.lan_converged ? "converged" : "final (lan did not converge)",
                           *c.target_objective, c.lan_time_s.value_or(0));
  for (const RunResult& r : results) {
    if (&r == lan) continue;
    ModeVsLan m{r.mode, std::nullopt, static_cast<double>(r.wan_bytes)};
    if (auto p = FirstReaching(r.series, *c.target_objective)) m.time_to_target_s = p->time_s;
    c.modes.push_back(m);
    if (m.time_to_target_s) {
      absl::StrAppend(&c.line, absl::StrFormat("; %s at %.1f s (%.2fx lan)", common::ModeName(r.mode),
                                               *m.time_to_target_s,
                                               c.lan_time_s && *c.lan_time_s > 0
                                                   ? *m.time_to_target_s / *c.lan_time_s
                                                   : 0.0));
    } else {
      absl::StrAppend(&c.line, absl::StrFormat("; %s never reached it (final %.6g)",
                                               common::ModeName(r.mode),
                                               r.series.empty() ? 0.0 : r.series.back().objective));
    }
    absl::StrAppend(&c.line, absl::StrFormat(", WAN %.2f MB", m.wan_bytes / 1e6));
  }
  return c;
}

json SummaryJson(const common::JobSpec& spec, const std::string& run_dir,
                 const std::vector<RunResult>& results, const Comparison& comparison) {
  json j;
  j["job"] = spec.name;
  j["run_dir"] = run_dir;
  j["app"] = spec.app.program;
  j["clocks"] = spec.app.clocks;
  j["runs"] = json::array();
  for (const RunResult& r : results) {
    json run = {{"mode", common::ModeName(r.mode)}, {"elapsed_s", r.elapsed_s},
                {"clocks_completed", r.clocks_completed}, {"rows_pushed", r.rows_pushed},
                {"wan_bytes", r.wan_bytes}};
    if (!r.series.empty()) run["final_objective"] = r.series.back().objective;
    if (!r.held_out_series.empty()) {
      run["held_out"] = {{"name", r.held_out_name},
                         {"value", r.held_out_series.back().objective},
                         {"clock", r.held_out_series.back().clock}};
    }
    if (r.convergence) {
      run["converged"] = {{"clock", r.convergence->clock}, {"time_s", r.convergence->time_s},
                          {"objective", r.convergence->objective}};
    } else {
      run["converged"] = nullptr;
    }
    run["wan_links"] = json::array();
    for (const LinkStats& l : r.wan_links) run["wan_links"].push_back({{"link", l.name}, {"bytes", l.bytes}});
    if (r.mirror) {
      const MirrorTotals& m = *r.mirror;
      json mirror = {{"elements_seen", m.elements_seen},
                     {"elements_sent", m.elements_sent},
                     {"filtered_fraction", m.filtered_fraction()},
                     {"updates_scored", m.updates_scored},
                     {"insignificant_fraction", m.insignificant_fraction()},
                     {"final_hard_threshold", m.hard_threshold},
                     {"dc_max_difference", r.dc_max_difference}};
      mirror["links"] = json::array();
      for (const auto& [key, link] : m.links) {
        mirror["links"].push_back({{"from_dc", spec.dcs[key.first].name},
                                   {"to_dc", spec.dcs[key.second].name},
                                   {"bytes", link.bytes},
                                   {"messages", link.messages},
                                   {"elements", link.elements},
                                   {"barriers", link.barriers},
                                   {"retransmitted", link.retransmitted},
                                   {"rejected", link.rejected},
                                   {"barrier_blocked_s", link.barrier_blocked_s},
                                   {"clock_stall_s", link.clock_stall_s}});
      }
      run["mirror"] = mirror;
    }
    if (!r.model_dir.empty()) run["model_dir"] = r.model_dir;
    run["shard_peak_rss_bytes"] = r.shard_peak_rss_bytes;
    j["runs"].push_back(run);
  }
  if (comparison.target_objective) {
    json cmp = {{"target_objective", *comparison.target_objective},
                {"lan_converged", comparison.lan_converged}, {"line", comparison.line}};
    if (comparison.lan_time_s) cmp["lan_time_s"] = *comparison.lan_time_s;
    cmp["modes"] = json::array();
    for (const ModeVsLan& m : comparison.modes) {
      json e = {{"mode", common::ModeName(m.mode)}, {"wan_bytes", m.wan_bytes}};
      e["time_to_target_s"] = m.time_to_target_s ? json(*m.time_to_target_s) : json(nullptr);
      cmp["modes"].push_back(e);
    }
    j["comparison"] = cmp;
  }
  return j;
}

}  // namespace gaia::cli
