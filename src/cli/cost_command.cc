// `gaia cost <run dir>`: what a finished run would have cost on EC2
// (docs/COST.md).
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "src/cli/commands.h"
#include "src/cli/cost_model.h"

namespace gaia::cli {
namespace {

using json = nlohmann::json;

int BadInput(const std::string& what) {
  std::cerr << "gaia cost: " << what << "\n";
  return 2;
}

struct PricedRun {
  const RunUsage* usage;
  RunCost cost;
};

struct Report {
  std::string run_dir;
  std::string prices;
  std::vector<PricedRun> runs;
  std::optional<CentralizedCost> centralized;
  std::vector<std::string> notes;              // every note once, in order
  std::map<std::string, std::string> regions;  // dc -> region
  std::map<std::string, double> cpu_hour;      // region -> price
  const RunCost* baseline = nullptr;
};

void AddNote(Report* report, const std::string& note) {
  for (const std::string& n : report->notes) {
    if (n == note) return;
  }
  report->notes.push_back(note);
}

std::string Usd(double usd) { return absl::StrFormat("%.6f", usd); }

void PrintTable(const Report& r) {
  std::cout << "gaia cost: " << r.run_dir << "\n"
            << "prices: " << r.prices << " (EC2 on-demand, January 2017; thesis Table 5.1)\n";
  std::vector<std::string> regions;
  for (const auto& [dc, region] : r.regions) {
    regions.push_back(absl::StrFormat("%s as %s ($%.2f/h)", dc, region, r.cpu_hour.at(region)));
  }
  std::cout << "DCs priced: " << absl::StrJoin(regions, ", ") << "\n\n";
  std::cout << absl::StrFormat("%-12s %-18s %8s %12s %12s %12s %12s %12s %12s%s\n", "mode",
                               "priced time", "machines", "mh compute", "mh wait", "$ compute",
                               "$ wait", "$ WAN", "$ total", r.baseline ? "  x baseline" : "");
  for (const PricedRun& p : r.runs) {
    uint32_t machines = 0;
    for (const auto& [dc, n] : p.usage->machines) machines += n;
    const std::string time =
        absl::StrFormat("%.2f s (%s)", p.usage->seconds, p.usage->to_target ? "target" : "whole");
    std::string ratio;
    if (r.baseline != nullptr && r.baseline->total() > 0) {
      ratio = absl::StrFormat("  %10.2f", p.cost.total() / r.baseline->total());
    }
    std::cout << absl::StrFormat(
        "%-12s %-18s %8d %12.6f %12.6f %12s %12s %12s %12s%s\n", p.usage->mode, time, machines,
        p.cost.compute_machine_h, p.cost.wait_machine_h, Usd(p.cost.compute_usd),
        Usd(p.cost.wait_usd), Usd(p.cost.wan_usd), Usd(p.cost.total()), ratio);
  }
  if (r.centralized) {
    const CentralizedCost& c = *r.centralized;
    std::cout << absl::StrFormat(
        "\nCENTRALIZED (thesis Table 5.2): all raw data to %s (cheapest CPU, as %s)\n"
        "  move %.2f MB over the WAN in %.2f s: $%s transfer + $%s low-cost movers\n"
        "  train: lan's %.2f s on %d machines there: $%s\n"
        "  total %.2f s, $%s\n",
        c.dc, c.region, c.moved_bytes / 1e6, c.transfer_s, Usd(c.transfer_usd), Usd(c.mover_usd),
        c.train_s, c.machines, Usd(c.train_usd), c.total_s(), Usd(c.total()));
    for (const PricedRun& p : r.runs) {
      if (p.usage->mode == "lan" || p.usage->seconds <= 0 || c.total() <= 0) continue;
      std::cout << absl::StrFormat("  %-12s %.2fx the speed of CENTRALIZED at %.2fx its cost\n",
                                   p.usage->mode, c.total_s() / p.usage->seconds,
                                   p.cost.total() / c.total());
    }
  }
  if (!r.notes.empty()) {
    std::cout << "\nnotes:\n";
    for (const std::string& n : r.notes) std::cout << "  - " << n << "\n";
  }
}

json ToJson(const Report& r) {
  json j = {{"run_dir", r.run_dir}, {"prices", r.prices}, {"regions", r.regions}};
  j["runs"] = json::array();
  for (const PricedRun& p : r.runs) {
    const RunUsage& u = *p.usage;
    json run = {
        {"mode", u.mode},
        {"seconds", u.seconds},
        {"to_target", u.to_target},
        {"elapsed_s", u.elapsed_s},
        {"clocks_priced", u.clocks_priced},
        {"machines", u.machines},
        {"machine_hours", {{"compute", p.cost.compute_machine_h}, {"wait", p.cost.wait_machine_h}}},
        {"wan_gb", p.cost.wan_gb},
        {"usd",
         {{"compute", p.cost.compute_usd},
          {"wait", p.cost.wait_usd},
          {"wan", p.cost.wan_usd},
          {"total", p.cost.total()}}},
        {"notes", p.cost.notes}};
    if (r.baseline != nullptr && r.baseline->total() > 0) {
      run["vs_baseline"] = p.cost.total() / r.baseline->total();
    }
    j["runs"].push_back(run);
  }
  if (r.centralized) {
    const CentralizedCost& c = *r.centralized;
    json cj = {{"dc", c.dc},
               {"region", c.region},
               {"moved_bytes", c.moved_bytes},
               {"transfer_s", c.transfer_s},
               {"train_s", c.train_s},
               {"total_s", c.total_s()},
               {"machines", c.machines},
               {"usd",
                {{"transfer", c.transfer_usd},
                 {"movers", c.mover_usd},
                 {"train", c.train_usd},
                 {"total", c.total()}}},
               {"notes", c.notes}};
    cj["vs"] = json::object();
    for (const PricedRun& p : r.runs) {
      if (p.usage->mode == "lan" || p.usage->seconds <= 0 || c.total() <= 0) continue;
      cj["vs"][p.usage->mode] = {{"speedup", c.total_s() / p.usage->seconds},
                                 {"cost_ratio", p.cost.total() / c.total()}};
    }
    j["centralized"] = cj;
  } else {
    j["centralized"] = nullptr;
  }
  j["notes"] = r.notes;
  return j;
}

}  // namespace

int CostCommand(const CostFlags& flags) {
  absl::StatusOr<PriceTable> prices =
      flags.prices_path.empty() ? LoadDefaultPrices() : LoadPrices(flags.prices_path);
  if (!prices.ok()) return BadInput(std::string(prices.status().message()));
  std::map<std::string, std::string> region_of;
  for (const std::string& entry : flags.regions) {
    const size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == entry.size()) {
      return BadInput(absl::StrCat("--region '", entry, "': expected dc=region"));
    }
    const std::string region = entry.substr(eq + 1);
    if (prices->Find(region) == nullptr) {
      std::vector<std::string> names;
      for (const RegionPrice& p : prices->regions) names.push_back(p.region);
      return BadInput(absl::StrCat("--region '", entry, "': no region '", region, "' in ",
                                   prices->source, " (regions: ", absl::StrJoin(names, ", "), ")"));
    }
    region_of[entry.substr(0, eq)] = region;
  }
  absl::StatusOr<std::vector<RunUsage>> usage = ReadRunUsage(flags.run_dir);
  if (!usage.ok()) return BadInput(std::string(usage.status().message()));

  Report report;
  report.run_dir = flags.run_dir;
  report.prices = prices->source;
  for (const RegionPrice& p : prices->regions) report.cpu_hour[p.region] = p.cpu_hour;
  const RunUsage* lan = nullptr;
  const RunUsage* multi = nullptr;
  for (const RunUsage& u : *usage) {
    report.runs.push_back({&u, PriceRun(u, *prices, region_of)});
    for (const auto& [dc, region] : report.runs.back().cost.region_of_dc)
      report.regions[dc] = region;
    for (const std::string& n : report.runs.back().cost.notes) AddNote(&report, n);
    if (u.mode == "lan" && lan == nullptr) lan = &u;
    if (u.mode != "lan" && multi == nullptr) multi = &u;
  }
  for (const PricedRun& p : report.runs) {
    if (p.usage->mode == "baseline") report.baseline = &p.cost;
  }
  if (lan == nullptr) {
    AddNote(&report, "no lan run in the results: CENTRALIZED not priced");
  } else {
    absl::StatusOr<std::map<std::pair<std::string, std::string>, double>> links =
        ReadLinkMbps(flags.run_dir);
    if (!links.ok()) {
      AddNote(&report, absl::StrCat("CENTRALIZED not priced: ", links.status().message()));
    } else {
      report.centralized =
          PriceCentralized(*lan, multi != nullptr ? *multi : *lan, *links, *prices, region_of);
      for (const std::string& n : report.centralized->notes) AddNote(&report, n);
      if (report.centralized->dc.empty()) report.centralized.reset();
    }
  }
  if (flags.json) {
    std::cout << ToJson(report).dump(2) << "\n";
  } else {
    PrintTable(report);
  }
  return 0;
}

}  // namespace gaia::cli
