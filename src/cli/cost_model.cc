#include "src/cli/cost_model.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "src/cli/run_layout.h"
#include "src/cli/run_summary.h"
#include "src/cli/wan_links.h"
#include "src/common/data_files.h"
#include "src/common/job_spec.h"
#include "src/common/topology.h"

namespace gaia::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr char kHeader[] = "region,cpu_hour,gpu_hour,lowcost_hour,send_gb,recv_gb";
constexpr const char* kColumns[] = {"region",       "cpu_hour", "gpu_hour",
                                    "lowcost_hour", "send_gb",  "recv_gb"};
constexpr size_t kNumColumns = sizeof(kColumns) / sizeof(kColumns[0]);
constexpr double kBytesPerGb = 1e9;

bool IsValidName(absl::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}



// Resolves DCs to priced regions, collecting one note per DC that needed the
// fallback.
class RegionResolver {
 public:
  RegionResolver(const PriceTable& prices, const std::map<std::string, std::string>& region_of,
                 const std::string& fallback)
      : prices_(prices), region_of_(region_of), fallback_(fallback) {}

  // Null only when neither the DC's region nor the fallback has a price.
  const RegionPrice* For(const std::string& dc, std::vector<std::string>* notes) {
    std::string wanted = dc;
    if (auto it = region_of_.find(dc); it != region_of_.end()) wanted = it->second;
    if (const RegionPrice* p = prices_.Find(wanted)) return p;
    const RegionPrice* fallback = prices_.Find(fallback_);
    if (noted_.insert(dc).second) {
      notes->push_back(fallback == nullptr
                           ? absl::StrCat("dc '", dc, "' not priced: no region '", wanted,
                                          "' nor fallback '", fallback_, "' in ", prices_.source)
                           : absl::StrCat("dc '", dc, "' priced as ", fallback_, " (no region '",
                                          wanted, "' in ", prices_.source, ")"));
    }
    return fallback;
  }

 private:
  const PriceTable& prices_;
  const std::map<std::string, std::string>& region_of_;
  const std::string fallback_;
  std::set<std::string> noted_;
};

// A JSON number at `key` of `j`, or nullopt.
std::optional<double> Number(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

struct WorkerTotals {
  bool found = false;
  double wait_s = 0;
  double input_bytes = 0;
  uint64_t malformed = 0;
};

// Sums read_wait_s over clocks <= last_clock; the largest input_bytes seen.
WorkerTotals ReadWorkerMetrics(const std::string& path, int64_t last_clock) {
  WorkerTotals totals;
  std::ifstream in(path);
  if (!in) return totals;
  totals.found = true;
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("clock") || !j["clock"].is_number_integer()) {
      ++totals.malformed;  // a worker killed mid-write leaves half a line
      continue;
    }
    if (auto bytes = Number(j, "input_bytes")) {
      totals.input_bytes = std::max(totals.input_bytes, *bytes);
    }
    if (j["clock"].get<int64_t>() > last_clock) continue;
    if (auto wait = Number(j, "read_wait_s")) totals.wait_s += *wait;
  }
  return totals;
}

// The last clock of `mode` in metrics.jsonl whose time is within `seconds`;
// -1 if none; nullopt if the file cannot be read.
std::optional<int64_t> LastClockWithin(const std::string& path, const std::string& mode,
                                       double seconds) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  int64_t last = -1;
  std::string line;
  const double limit = seconds * (1 + 1e-12) + 1e-9;
  while (std::getline(in, line)) {
    const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || j.value("mode", "") != mode) continue;
    auto clock = j.find("clock");
    auto time = Number(j, "time_s");
    if (clock == j.end() || !clock->is_number_integer() || !time) continue;
    if (*time <= limit) last = std::max(last, clock->get<int64_t>());
  }
  return last;
}

absl::Status FileError(const std::string& path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

}  // namespace

const RegionPrice* PriceTable::Find(const std::string& region) const {
  for (const RegionPrice& r : regions) {
    if (r.region == region) return &r;
  }
  return nullptr;
}

absl::StatusOr<PriceTable> ParsePrices(const std::string& text, const std::string& source) {
  const auto error = [&source](size_t line, absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(source, ":", line, ": ", what));
  };
  PriceTable table;
  table.source = source;
  std::map<std::string, size_t> line_of;
  size_t header_line = 0;
  size_t line = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line;
    const absl::string_view trimmed = absl::StripAsciiWhitespace(raw);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    std::vector<absl::string_view> fields = absl::StrSplit(trimmed, ',');
    for (absl::string_view& f : fields) f = absl::StripAsciiWhitespace(f);
    if (header_line == 0) {
      bool ok = fields.size() == kNumColumns;
      for (size_t i = 0; ok && i < kNumColumns; ++i) ok = fields[i] == kColumns[i];
      if (!ok) {
        return error(line, absl::StrCat("header: expected '", kHeader, "', got '", trimmed, "'"));
      }
      header_line = line;
      continue;
    }
    if (fields.size() != kNumColumns) {
      return error(line, absl::StrCat("expected ", kNumColumns, " comma-separated fields (",
                                      kHeader, "), got ", fields.size()));
    }
    RegionPrice p;
    if (!IsValidName(fields[0])) {
      return error(line, absl::StrCat("region: bad name '", fields[0],
                                      "' (letters, digits, '_', '.', '-' only)"));
    }
    p.region = std::string(fields[0]);
    double* values[] = {&p.cpu_hour, &p.gpu_hour, &p.lowcost_hour, &p.send_gb, &p.recv_gb};
    for (size_t i = 1; i < kNumColumns; ++i) {
      const absl::string_view f = fields[i];
      const char* end = f.data() + f.size();
      auto [ptr, ec] = std::from_chars(f.data(), end, *values[i - 1]);
      if (f.empty() || ec != std::errc() || ptr != end || !std::isfinite(*values[i - 1]) ||
          *values[i - 1] < 0) {
        return error(line, absl::StrCat(kColumns[i], ": not a finite number >= 0: '", f, "'"));
      }
      *values[i - 1] += 0.0;  // "-0" reads as -0.0; store +0
    }
    auto [it, inserted] = line_of.emplace(p.region, line);
    if (!inserted) {
      return error(line, absl::StrCat("region: '", p.region, "' given twice (first on line ",
                                      it->second, ")"));
    }
    table.regions.push_back(std::move(p));
  }
  if (header_line == 0) {
    // The last line's number (a final '\n' ends that line, it starts none).
    const size_t last_line =
        std::max<size_t>(1, !text.empty() && text.back() == '\n' ? line - 1 : line);
    return error(last_line, absl::StrCat("header: missing (expected '", kHeader, "')"));
  }
  if (table.regions.empty()) return error(header_line, "header: no regions follow it");
  return table;
}

absl::StatusOr<PriceTable> LoadPrices(const std::string& path) {
  absl::StatusOr<std::string> text = common::ReadFile(path);
  if (!text.ok()) return text.status();
  return ParsePrices(*text, path);
}

std::vector<std::string> CostDirs() {
#ifdef GAIA_COST_SOURCE_DIR
  return common::DataDirs("GAIA_COST_DIR", "cost", GAIA_COST_SOURCE_DIR);
#else
  return common::DataDirs("GAIA_COST_DIR", "cost", "");
#endif
}

absl::StatusOr<PriceTable> LoadDefaultPrices() {
  const std::vector<std::string> dirs = CostDirs();
  for (const std::string& dir : dirs) {
    const fs::path path = fs::path(dir) / kDefaultPriceFile;
    std::error_code ec;
    if (fs::is_regular_file(path, ec)) return LoadPrices(path.string());
  }
  return absl::NotFoundError(absl::StrCat("no price table ", kDefaultPriceFile,
                                          " (searched: ", absl::StrJoin(dirs, ", "),
                                          "; set GAIA_COST_DIR or pass --prices)"));
}

RunCost PriceRun(const RunUsage& usage, const PriceTable& prices,
                 const std::map<std::string, std::string>& region_of,
                 const std::string& fallback_region) {
  RunCost cost;
  cost.notes = usage.notes;
  RegionResolver resolve(prices, region_of, fallback_region);
  for (const auto& [dc, machines] : usage.machines) {
    const double machine_s = static_cast<double>(machines) * usage.seconds;
    double wait_s = 0;
    if (auto it = usage.wait_s.find(dc); it != usage.wait_s.end()) {
      wait_s = std::clamp(it->second, 0.0, machine_s);
    }
    const double wait_h = wait_s / 3600;
    const double compute_h = (machine_s - wait_s) / 3600;
    cost.compute_machine_h += compute_h;
    cost.wait_machine_h += wait_h;
    const RegionPrice* p = resolve.For(dc, &cost.notes);
    if (p == nullptr) continue;
    cost.region_of_dc[dc] = p->region;
    cost.compute_usd += compute_h * p->cpu_hour;
    cost.wait_usd += wait_h * p->cpu_hour;
  }
  for (const auto& [link, bytes] : usage.wan_bytes) {
    const double gb = bytes / kBytesPerGb;
    cost.wan_gb += gb;
    const RegionPrice* from = resolve.For(link.first, &cost.notes);
    const RegionPrice* to = resolve.For(link.second, &cost.notes);
    if (from != nullptr) cost.wan_usd += gb * from->send_gb;
    if (to != nullptr) cost.wan_usd += gb * to->recv_gb;
  }
  return cost;
}

CentralizedCost PriceCentralized(
    const RunUsage& lan, const RunUsage& any_multi_dc_run,
    const std::map<std::pair<std::string, std::string>, double>& link_mbps,
    const PriceTable& prices, const std::map<std::string, std::string>& region_of,
    const std::string& fallback_region) {
  CentralizedCost c;
  RegionResolver resolve(prices, region_of, fallback_region);
  std::set<std::string> dcs;
  for (const RunUsage* run : {&lan, &any_multi_dc_run}) {
    for (const auto& [dc, unused] : run->machines) dcs.insert(dc);
    for (const auto& [dc, unused] : run->input_bytes) dcs.insert(dc);
  }
  const std::string lan_dc = lan.machines.empty() ? "" : lan.machines.begin()->first;
  // Cheapest CPU region; ties go to where the LAN run ran, then by name.
  const RegionPrice* best = nullptr;
  for (const std::string& dc : dcs) {
    const RegionPrice* p = resolve.For(dc, &c.notes);
    if (p == nullptr) continue;
    if (best == nullptr || p->cpu_hour < best->cpu_hour ||
        (p->cpu_hour == best->cpu_hour && dc == lan_dc)) {
      best = p;
      c.dc = dc;
    }
  }
  if (best == nullptr) {
    c.notes.push_back("no DC with a price: CENTRALIZED not priced");
    return c;
  }
  c.region = best->region;
  const std::map<std::string, double>& input =
      any_multi_dc_run.input_bytes.empty() ? lan.input_bytes : any_multi_dc_run.input_bytes;
  if (input.empty()) {
    c.notes.push_back(
        "no input_bytes in the workers' metrics (the app does not call ReportInputBytes): "
        "moving the data is priced as free");
  }
  for (const auto& [dc, bytes] : input) {
    if (dc == c.dc || bytes <= 0) continue;
    c.moved_bytes += bytes;
    const RegionPrice* from = resolve.For(dc, &c.notes);
    if (from != nullptr) c.transfer_usd += bytes / kBytesPerGb * (from->send_gb + best->recv_gb);
    auto link = link_mbps.find({dc, c.dc});
    if (link == link_mbps.end() || link->second <= 0) {
      c.notes.push_back(absl::StrCat("no WAN bandwidth for ", dc, "->", c.dc,
                                     ": its transfer time is not counted"));
      continue;
    }
    const double seconds = bytes * 8 / (link->second * 1e6);
    c.transfer_s = std::max(c.transfer_s, seconds);
    if (from != nullptr) c.mover_usd += seconds / 3600 * from->lowcost_hour;
  }
  c.mover_usd += c.transfer_s / 3600 * best->lowcost_hour;
  for (const auto& [dc, machines] : lan.machines) c.machines += machines;
  c.train_s = lan.seconds;
  c.train_usd = static_cast<double>(c.machines) * c.train_s / 3600 * best->cpu_hour;
  return c;
}

namespace {

// WAN bytes: the run's per-link totals (`run`: one of summary.json's runs,
// `at` its name there), scaled to the clocks priced.
absl::Status AddWanBytes(const json& run, int64_t clocks_completed,
                         const std::string& summary_path, const std::string& at, RunUsage* u) {
  double wan_scale = 1;
  const bool has_wan =
      run.contains("wan_links") && run["wan_links"].is_array() && !run["wan_links"].empty();
  if (has_wan && u->to_target && clocks_completed > 0 && u->clocks_priced < clocks_completed) {
    wan_scale = static_cast<double>(u->clocks_priced) / static_cast<double>(clocks_completed);
    u->notes.push_back(absl::StrFormat("%s: WAN bytes scaled to the %d of %d clocks priced",
                                       u->mode, u->clocks_priced, clocks_completed));
  }
  if (!run.contains("wan_links") || !run["wan_links"].is_array()) return absl::OkStatus();
  for (const json& l : run["wan_links"]) {
    const std::string name = l.is_object() ? l.value("link", "") : "";
    std::vector<std::string> ends = absl::StrSplit(name, "->");
    std::optional<double> bytes = l.is_object() ? Number(l, "bytes") : std::nullopt;
    if (ends.size() != 2 || ends[0].empty() || ends[1].empty() || !bytes) {
      return FileError(summary_path, absl::StrCat(at, ".wan_links: bad entry ", l.dump()));
    }
    u->wan_bytes[{ends[0], ends[1]}] += *bytes * wan_scale;
  }
  return absl::OkStatus();
}

// Machines, waiting and input per DC, from the mode's topology and its
// workers' metrics files up to `last_clock`.
void AddMachinesAndWorkers(const RunLayout& layout, const common::JobSpec& spec,
                           const common::Topology& topo, int64_t last_clock, RunUsage* u) {
  const auto host_name = [&](uint32_t host_dc) {
    // lan runs every process in the job's first DC.
    return topo.mode == common::Mode::kLan ? spec.dcs[0].name : topo.host_dcs[host_dc];
  };
  std::map<std::string, uint32_t> workers, shards;
  for (const common::WorkerRole& w : topo.workers) ++workers[host_name(w.host_dc)];
  for (const common::ShardRole& s : topo.shards) ++shards[host_name(s.host_dc)];
  // A machine runs a worker and a shard; a DC with more shards than
  // workers needs a machine per shard.
  u->machines = workers;
  for (const auto& [dc, n] : shards) u->machines[dc] = std::max(n, u->machines[dc]);
  uint64_t malformed = 0;
  std::vector<std::string> missing;
  for (size_t w = 0; w < topo.workers.size(); ++w) {
    const common::WorkerRole& role = topo.workers[w];
    WorkerTotals t = ReadWorkerMetrics(layout.worker_metrics(u->mode, w), last_clock);
    if (!t.found) {
      missing.push_back(absl::StrCat("worker-", w));
      continue;
    }
    malformed += t.malformed;
    u->wait_s[host_name(role.host_dc)] += t.wait_s;
    if (t.input_bytes > 0) u->input_bytes[spec.dcs[role.data_dc].name] += t.input_bytes;
  }
  if (!missing.empty()) {
    u->notes.push_back(absl::StrCat(u->mode, ": no metrics file for ", absl::StrJoin(missing, ", "),
                                    " under work/", u->mode,
                                    "/: their waiting counts as computing"));
  }
  if (malformed > 0) {
    u->notes.push_back(
        absl::StrCat(u->mode, ": skipped ", malformed, " malformed worker metrics line(s)"));
  }
}

}  // namespace

absl::StatusOr<std::vector<RunUsage>> ReadRunUsage(const std::string& run_dir) {
  std::error_code ec;
  if (!fs::is_directory(run_dir, ec)) {
    return absl::NotFoundError(absl::StrCat(run_dir,
                                            ": not a directory (pass a run folder, "
                                            "results/<job>/<time>)"));
  }
  absl::StatusOr<json> read = ReadSummaryJson(run_dir);
  if (absl::IsNotFound(read.status())) {
    return absl::NotFoundError(absl::StrCat(read.status().message(), " (is ", run_dir,
                                            " a finished run, results/<job>/<time>?)"));
  }
  if (!read.ok()) return read.status();
  const json& summary = *read;
  const RunLayout layout(run_dir);
  const std::string summary_path = layout.summary_json();
  const std::string job_path = layout.job_yaml();
  if (!fs::is_regular_file(job_path, ec)) {
    return absl::NotFoundError(absl::StrCat(job_path, ": cannot open"));
  }
  absl::StatusOr<common::JobSpec> spec = common::ParseJobSpecFile(job_path);
  if (!spec.ok()) return spec.status();  // names job.yaml and the line

  // Times to target from the comparison, by mode.
  std::map<std::string, std::optional<double>> to_target;
  const json* comparison = summary.contains("comparison") && summary["comparison"].is_object()
                               ? &summary["comparison"]
                               : nullptr;
  if (comparison != nullptr) {
    to_target["lan"] = Number(*comparison, "lan_time_s");
    if (comparison->contains("modes") && (*comparison)["modes"].is_array()) {
      for (const json& m : (*comparison)["modes"]) {
        if (m.is_object() && m.value("mode", "") != "") {
          to_target[m["mode"].get<std::string>()] = Number(m, "time_to_target_s");
        }
      }
    }
  }

  const std::string metrics_path = layout.metrics_jsonl();
  std::vector<RunUsage> runs;
  for (size_t i = 0; i < summary["runs"].size(); ++i) {
    const json& r = summary["runs"][i];
    const std::string at = absl::StrCat("runs[", i, "]");
    if (!r.is_object() || !r.contains("mode") || !r["mode"].is_string()) {
      return FileError(summary_path, absl::StrCat(at, ": no \"mode\""));
    }
    RunUsage u;
    u.mode = r["mode"].get<std::string>();
    absl::StatusOr<common::Mode> mode = common::ParseMode(u.mode);
    if (!mode.ok()) return FileError(summary_path, absl::StrCat(at, ": ", mode.status().message()));
    std::optional<double> elapsed = Number(r, "elapsed_s");
    if (!elapsed || *elapsed < 0) {
      return FileError(summary_path, absl::StrCat(at, ": no \"elapsed_s\""));
    }
    u.elapsed_s = *elapsed;
    u.seconds = *elapsed;
    const int64_t clocks_completed =
        static_cast<int64_t>(Number(r, "clocks_completed").value_or(0));
    int64_t last_clock = std::numeric_limits<int64_t>::max();
    auto target = to_target.find(u.mode);
    if (comparison == nullptr) {
      u.notes.push_back(absl::StrCat(u.mode,
                                     ": no comparison in summary.json (no lan run); "
                                     "priced for the whole run"));
    } else if (target == to_target.end() || !target->second) {
      u.notes.push_back(absl::StrCat(u.mode,
                                     ": never reached the target objective; priced for "
                                     "the whole run"));
    } else {
      u.to_target = true;
      u.seconds = *target->second;
      if (std::optional<int64_t> last = LastClockWithin(metrics_path, u.mode, u.seconds)) {
        last_clock = *last;
      } else {
        u.notes.push_back(absl::StrCat(u.mode, ": cannot read ", metrics_path,
                                       "; waiting summed over every clock"));
      }
    }
    u.clocks_priced =
        last_clock == std::numeric_limits<int64_t>::max() ? clocks_completed : last_clock + 1;
    if (absl::Status st = AddWanBytes(r, clocks_completed, summary_path, at, &u); !st.ok()) {
      return st;
    }
    absl::StatusOr<common::Topology> topo = common::PlanTopology(*spec, *mode);
    if (!topo.ok()) return FileError(job_path, topo.status().message());
    AddMachinesAndWorkers(layout, *spec, *topo, last_clock, &u);
    runs.push_back(std::move(u));
  }
  return runs;
}

absl::StatusOr<std::map<std::pair<std::string, std::string>, double>> ReadLinkMbps(
    const std::string& run_dir) {
  const std::string job_path = RunLayout(run_dir).job_yaml();
  absl::StatusOr<common::JobSpec> spec = common::ParseJobSpecFile(job_path);
  if (!spec.ok()) return spec.status();  // names job.yaml and the line
  const std::vector<std::string> dcs = DcNames(*spec);
  absl::StatusOr<wan::LinkMatrix> links = ResolveWanLinks(*spec, dcs);
  if (!links.ok()) return FileError(job_path, links.status().message());
  std::map<std::pair<std::string, std::string>, double> mbps;
  for (const std::string& a : dcs) {
    for (const std::string& b : dcs) {
      if (a == b) continue;
      if (std::optional<wan::LinkParams> p = links->Find(a, b)) mbps[{a, b}] = p->bandwidth_mbps;
    }
  }
  return mbps;
}

}  // namespace gaia::cli
