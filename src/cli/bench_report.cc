#include "src/cli/bench_report.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/cli/run_layout.h"
#include "src/cli/run_summary.h"

namespace gaia::cli {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::optional<double> NumberAt(const json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

absl::Status Malformed(const std::string& path, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

struct Group {
  std::string setting, model, mode;
  std::vector<const ModeOutcome*> outcomes;
};

BenchRow Summarize(const Group& g) {
  BenchRow row;
  row.setting = g.setting;
  row.model = g.model;
  row.mode = g.mode;
  row.repeats = static_cast<int>(g.outcomes.size());
  std::vector<double> times, wan;
  std::vector<const CostBreakdown*> costs;
  for (const ModeOutcome* o : g.outcomes) {
    times.push_back(o->time_to_target_s.value_or(kInf));
    if (o->time_to_target_s) ++row.reached;
    wan.push_back(o->wan_bytes / 1e9);
    if (o->cost) costs.push_back(&*o->cost);
  }
  const double t = Median(times);
  if (std::isfinite(t)) row.time_s = t;
  row.wan_gb = Median(wan);
  if (!costs.empty()) {
    std::sort(costs.begin(), costs.end(), [](const CostBreakdown* a, const CostBreakdown* b) {
      return a->total_usd() < b->total_usd();
    });
    row.cost = *costs[(costs.size() - 1) / 2];
  }
  return row;
}

std::string CsvNumber(const std::optional<double>& v) {
  return v ? absl::StrFormat("%.9g", *v) : "";
}

json JsonNumber(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  if (n == 0) return kInf;
  if (n % 2 == 1) return values[n / 2];
  return (values[n / 2 - 1] + values[n / 2]) / 2;
}

absl::StatusOr<RepeatOutcome> ReadRepeatOutcome(const std::string& run_dir) {
  absl::StatusOr<json> read = ReadSummaryJson(run_dir);
  if (!read.ok()) return read.status();
  const json& summary = *read;
  const std::string path = RunLayout(run_dir).summary_json();

  RepeatOutcome outcome;
  outcome.run_dir = run_dir;
  std::map<std::string, std::optional<double>> to_target;
  if (auto c = summary.find("comparison"); c != summary.end() && c->is_object()) {
    outcome.target_objective = NumberAt(*c, "target_objective");
    to_target["lan"] = NumberAt(*c, "lan_time_s");
    if (auto modes = c->find("modes"); modes != c->end() && modes->is_array()) {
      for (const json& m : *modes) {
        if (m.is_object() && m.contains("mode") && m["mode"].is_string()) {
          to_target[m["mode"].get<std::string>()] = NumberAt(m, "time_to_target_s");
        }
      }
    }
  }
  for (size_t i = 0; i < summary["runs"].size(); ++i) {
    const json& run = summary["runs"][i];
    if (!run.is_object() || !run.contains("mode") || !run["mode"].is_string()) {
      return Malformed(path, absl::StrCat("runs[", i, "]: no \"mode\""));
    }
    ModeOutcome m;
    m.mode = run["mode"].get<std::string>();
    m.wan_bytes = NumberAt(run, "wan_bytes").value_or(0);
    if (auto it = to_target.find(m.mode); it != to_target.end()) m.time_to_target_s = it->second;
    outcome.modes.push_back(std::move(m));
  }
  return outcome;
}

std::vector<BenchRow> Aggregate(const std::vector<RepeatOutcome>& outcomes) {
  std::vector<Group> groups;
  auto find = [&groups](const std::string& s, const std::string& m, const std::string& mode) {
    for (Group& g : groups) {
      if (g.setting == s && g.model == m && g.mode == mode) return &g;
    }
    groups.push_back(Group{s, m, mode, {}});
    return &groups.back();
  };
  for (const RepeatOutcome& r : outcomes) {
    for (const ModeOutcome& m : r.modes) find(r.setting, r.model, m.mode)->outcomes.push_back(&m);
  }
  // Keep first-seen order of (setting, model); CENTRALIZED last inside one.
  std::vector<std::pair<std::string, std::string>> order;
  for (const Group& g : groups) {
    if (std::find(order.begin(), order.end(), std::make_pair(g.setting, g.model)) == order.end()) {
      order.emplace_back(g.setting, g.model);
    }
  }
  std::vector<BenchRow> rows;
  for (const auto& [setting, model] : order) {
    const size_t first = rows.size();
    for (bool centralized : {false, true}) {
      for (const Group& g : groups) {
        if (g.setting == setting && g.model == model && (g.mode == kCentralized) == centralized) {
          rows.push_back(Summarize(g));
        }
      }
    }
    std::optional<double> lan, baseline;
    for (size_t i = first; i < rows.size(); ++i) {
      if (rows[i].mode == "lan") lan = rows[i].time_s;
      if (rows[i].mode == "baseline") baseline = rows[i].time_s;
    }
    for (size_t i = first; i < rows.size(); ++i) {
      BenchRow& row = rows[i];
      if (!row.time_s || *row.time_s <= 0) continue;
      if (baseline) row.speedup = *baseline / *row.time_s;
      if (lan && *lan > 0) row.ratio_to_lan = *row.time_s / *lan;
    }
  }
  return rows;
}

std::string FormatTable(const std::vector<BenchRow>& rows) {
  constexpr char kHeader[] = "%-8s %-5s %-12s %9s %7s %8s %8s %9s %11s %11s %11s %11s\n";
  std::string out =
      absl::StrFormat(kHeader, "setting", "model", "mode", "time_s", "reached", "speedup", "vs_lan",
                      "WAN_GB", "compute_usd", "wait_usd", "wan_usd", "total_usd");
  auto money = [](const std::optional<CostBreakdown>& c, double CostBreakdown::*part) {
    return c ? absl::StrFormat("%.6f", (*c).*part) : std::string("-");
  };
  for (size_t i = 0; i < rows.size(); ++i) {
    const BenchRow& r = rows[i];
    if (i > 0 && (r.setting != rows[i - 1].setting || r.model != rows[i - 1].model)) {
      absl::StrAppend(&out, "\n");
    }
    const std::string time = r.time_s ? absl::StrFormat("%.2f", *r.time_s) : "-";
    const std::string speedup = r.speedup ? absl::StrFormat("%.2fx", *r.speedup) : "-";
    const std::string vs_lan = r.ratio_to_lan ? absl::StrFormat("%.2fx", *r.ratio_to_lan) : "-";
    const std::string total = r.cost ? absl::StrFormat("%.6f", r.cost->total_usd()) : "-";
    absl::StrAppend(&out, absl::StrFormat(kHeader, r.setting, r.model, r.mode, time,
                                          absl::StrCat(r.reached, "/", r.repeats), speedup, vs_lan,
                                          absl::StrFormat("%.4f", r.wan_gb),
                                          money(r.cost, &CostBreakdown::compute_usd),
                                          money(r.cost, &CostBreakdown::wait_usd),
                                          money(r.cost, &CostBreakdown::wan_usd), total));
  }
  return out;
}

std::string FormatCsv(const std::vector<BenchRow>& rows) {
  std::string out =
      "setting,model,mode,repeats,reached,time_to_target_s,speedup_vs_baseline,ratio_to_lan,"
      "wan_gb,compute_usd,wait_usd,wan_usd,total_usd\n";
  for (const BenchRow& r : rows) {
    auto part = [&r](double CostBreakdown::*p) -> std::optional<double> {
      if (!r.cost) return std::nullopt;
      return (*r.cost).*p;
    };
    const std::optional<double> total =
        r.cost ? std::optional<double>(r.cost->total_usd()) : std::nullopt;
    absl::StrAppend(&out, r.setting, ",", r.model, ",", r.mode, ",", r.repeats, ",", r.reached, ",",
                    CsvNumber(r.time_s), ",", CsvNumber(r.speedup), ",", CsvNumber(r.ratio_to_lan),
                    ",", CsvNumber(r.wan_gb), ",", CsvNumber(part(&CostBreakdown::compute_usd)),
                    ",", CsvNumber(part(&CostBreakdown::wait_usd)), ",",
                    CsvNumber(part(&CostBreakdown::wan_usd)), ",", CsvNumber(total), "\n");
  }
  return out;
}

json RowsJson(const std::vector<BenchRow>& rows) {
  json out = json::array();
  for (const BenchRow& r : rows) {
    json row = {{"setting", r.setting},
                {"model", r.model},
                {"mode", r.mode},
                {"repeats", r.repeats},
                {"reached", r.reached},
                {"time_to_target_s", JsonNumber(r.time_s)},
                {"speedup_vs_baseline", JsonNumber(r.speedup)},
                {"ratio_to_lan", JsonNumber(r.ratio_to_lan)},
                {"wan_gb", r.wan_gb}};
    if (r.cost) {
      row["compute_usd"] = r.cost->compute_usd;
      row["wait_usd"] = r.cost->wait_usd;
      row["wan_usd"] = r.cost->wan_usd;
      row["total_usd"] = r.cost->total_usd();
    } else {
      for (const char* key : {"compute_usd", "wait_usd", "wan_usd", "total_usd"})
        row[key] = nullptr;
    }
    out.push_back(row);
  }
  return out;
}

}  // namespace gaia::cli
