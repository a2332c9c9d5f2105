// `gaia bench`: runs one job in the chosen modes, settings and consistency
// models, repeats each, and reports one table with plots (docs/BENCH.md).
//
// Each setting and model gets a derived spec (bench_spec.h) written into the
// output folder; each repeat is a child `gaia launch` of that spec, whose
// results the bench reads back (bench_report.h), prices (bench_cost.h) and
// plots (bench_plots.h).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "src/cli/bench_cost.h"
#include "src/cli/bench_plots.h"
#include "src/cli/bench_report.h"
#include "src/cli/bench_spec.h"
#include "src/cli/child_process.h"
#include "src/cli/commands.h"
#include "src/cli/launcher.h"
#include "src/cli/run_layout.h"
#include "src/common/job_spec.h"
#include "src/common/topology.h"

namespace gaia::cli {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::atomic<bool> g_bench_stop{false};

void OnBenchStop(int) { g_bench_stop.store(true); }

// A `gaia launch` that outlives this has had its chance to stop its own
// children; it gets this long after SIGTERM.
constexpr std::chrono::seconds kLaunchStopGrace{60};
constexpr std::chrono::seconds kGnuplotTimeout{120};

// One derived spec: a setting and a consistency model.
struct Variant {
  BenchSetting setting;
  std::string model;  // "bsp" | "ssp"
  std::string spec_path;
};

struct Plan {
  common::JobSpec spec;
  std::vector<common::Mode> modes;  // lan first
  std::vector<std::string> models;
  int32_t staleness = 0;
  std::vector<BenchSetting> settings;
  common::WanEmulation emulate = common::WanEmulation::kProxy;
  std::string out_dir;  // absolute
};

// Flags to a plan; prints the problem and returns nullopt on bad input.
std::optional<Plan> MakePlan(const BenchFlags& flags) {
  Plan plan;
  absl::StatusOr<common::JobSpec> spec = common::ParseJobSpecFile(flags.spec_path);
  if (!spec.ok()) {
    std::cerr << spec.status().message() << "\n";
    return std::nullopt;
  }
  plan.spec = *spec;

  const std::vector<std::string> mode_names =
      flags.modes.empty() ? std::vector<std::string>{"lan", "baseline", "gaia", "gaia_async"}
                          : flags.modes;
  bool lan_seen = false;
  for (const std::string& name : mode_names) {
    absl::StatusOr<common::Mode> mode = common::ParseMode(name);
    if (!mode.ok()) {
      std::cerr << "--modes: " << mode.status().message() << "\n";
      return std::nullopt;
    }
    if (std::find(plan.modes.begin(), plan.modes.end(), *mode) != plan.modes.end()) {
      std::cerr << "--modes: '" << name << "' is listed twice\n";
      return std::nullopt;
    }
    if (*mode == common::Mode::kLan) {
      lan_seen = true;
    } else {
      plan.modes.push_back(*mode);
    }
  }
  // The lan run sets the target every other mode is timed against.
  plan.modes.insert(plan.modes.begin(), common::Mode::kLan);
  if (!lan_seen) std::cout << "bench: adding mode lan (its objective is the target)\n";

  plan.models = flags.models.empty() ? std::vector<std::string>{"bsp", "ssp"} : flags.models;
  for (const std::string& m : plan.models) {
    if (m != "bsp" && m != "ssp") {
      std::cerr << "--models: unknown model '" << m << "' (models: bsp, ssp)\n";
      return std::nullopt;
    }
    if (std::count(plan.models.begin(), plan.models.end(), m) > 1) {
      std::cerr << "--models: '" << m << "' is listed twice\n";
      return std::nullopt;
    }
  }
  plan.staleness = flags.staleness >= 0 ? flags.staleness : DefaultSspStaleness(plan.spec);

  const std::vector<std::string> setting_names =
      flags.settings.empty() ? std::vector<std::string>{"vc", "ss"} : flags.settings;
  for (const std::string& name : setting_names) {
    absl::StatusOr<BenchSetting> s = FindBenchSetting(name);
    if (!s.ok()) {
      std::cerr << "--settings: " << s.status().message() << "\n";
      return std::nullopt;
    }
    if (std::count(setting_names.begin(), setting_names.end(), name) > 1) {
      std::cerr << "--settings: '" << name << "' is listed twice\n";
      return std::nullopt;
    }
    plan.settings.push_back(*s);
  }
  if (flags.emulate == "proxy") {
    plan.emulate = common::WanEmulation::kProxy;
  } else if (flags.emulate == "netns") {
    plan.emulate = common::WanEmulation::kNetns;
  } else {
    std::cerr << "--emulate: must be proxy or netns, got '" << flags.emulate << "'\n";
    return std::nullopt;
  }

  const std::string out =
      flags.out_dir.empty()
          ? (fs::path("results") / "bench" / plan.spec.name / LocalTimestamp()).string()
          : flags.out_dir;
  std::error_code ec;
  if (fs::exists(out, ec) && !fs::is_empty(out, ec)) {
    std::cerr << "--out: " << out << " exists and is not empty; give a new folder\n";
    return std::nullopt;
  }
  plan.out_dir = fs::absolute(out, ec).lexically_normal().string();
  return plan;
}

// Derives, writes and checks every variant's spec before anything runs.
std::optional<std::vector<Variant>> WriteSpecs(const BenchFlags& flags, const Plan& plan) {
  std::vector<Variant> variants;
  const fs::path specs = fs::path(plan.out_dir) / "specs";
  std::error_code ec;
  fs::create_directories(specs, ec);
  if (ec) {
    std::cerr << "cannot create " << specs.string() << ": " << ec.message() << "\n";
    return std::nullopt;
  }
  for (const BenchSetting& setting : plan.settings) {
    for (const std::string& model : plan.models) {
      const std::string name = absl::StrCat(setting.name, "-", model);
      SpecVariant v;
      v.setting = setting.name;
      v.model = model == "ssp" ? common::ConsistencyModel::kSsp : common::ConsistencyModel::kBsp;
      v.staleness = plan.staleness;
      v.modes = plan.modes;
      v.emulate = plan.emulate;
      v.bandwidth_scale = flags.bandwidth_scale;
      v.clocks = flags.clocks;
      v.results_dir = (fs::path(plan.out_dir) / "runs" / name).string();
      v.header = absl::StrCat("Derived by gaia bench from ", fs::absolute(flags.spec_path).string(),
                              "\n", "setting ", setting.name, " (", setting.label, ", preset ",
                              setting.preset, "), model ", model,
                              model == "ssp" ? absl::StrCat(" staleness ", plan.staleness) : "",
                              "\n", "Run it again: gaia launch <this file>");
      absl::StatusOr<DerivedSpec> derived = DeriveSpec(flags.spec_path, v);
      if (!derived.ok()) {
        std::cerr << "bench: " << derived.status().message() << "\n";
        return std::nullopt;
      }
      const std::string path = (specs / (name + ".yaml")).string();
      std::ofstream(path) << derived->yaml;
      // What `gaia launch` would refuse, refused now, before any run.
      absl::StatusOr<common::JobSpec> parsed = common::ParseJobSpecFile(path);
      if (!parsed.ok()) {
        std::cerr << "bench: derived spec " << parsed.status().message() << "\n";
        return std::nullopt;
      }
      for (common::Mode mode : parsed->modes) {
        absl::Status s = common::PlanTopology(*parsed, mode).status();
        if (s.ok()) s = CheckSupported(*parsed, mode);
        if (!s.ok()) {
          std::cerr << "bench: " << path << ": mode " << common::ModeName(mode) << ": "
                    << s.message() << "\n";
          return std::nullopt;
        }
      }
      variants.push_back(Variant{setting, model, path});
    }
  }
  return variants;
}

// The one run folder `gaia launch --results <results>` made.
std::optional<std::string> FindRunDir(const std::string& results, const std::string& job) {
  std::error_code ec;
  std::vector<std::string> dirs;
  for (const auto& entry : fs::directory_iterator(RunLayout::JobDir(results, job), ec)) {
    if (entry.is_directory() && fs::exists(RunLayout(entry.path()).summary_json())) {
      dirs.push_back(entry.path().string());
    }
  }
  if (dirs.empty()) return std::nullopt;
  std::sort(dirs.begin(), dirs.end());
  return dirs.back();
}

struct RunRecord {
  std::string setting, model, spec, log, run_dir;
  int repeat = 0;
  double elapsed_s = 0;
};

std::string ModeList(const std::vector<common::Mode>& modes) {
  return absl::StrJoin(modes, ",",
                       [](std::string* out, common::Mode m) { out->append(common::ModeName(m)); });
}

// Runs `gaia launch` for one repeat; returns the exit code to end with on
// failure (1, or 130 when stopped), nullopt on success.
std::optional<int> RunOne(const std::string& gaia_bin, const Variant& v, int repeat,
                          const Plan& plan, RunRecord* record) {
  const std::string name = absl::StrCat(v.setting.name, "-", v.model);
  const std::string results =
      (fs::path(plan.out_dir) / "runs" / name / absl::StrCat("r", repeat)).string();
  record->setting = v.setting.name;
  record->model = v.model;
  record->repeat = repeat;
  record->spec = v.spec_path;
  record->log =
      (fs::path(plan.out_dir) / "logs" / absl::StrCat(name, "-r", repeat, ".log")).string();
  std::error_code ec;
  fs::create_directories(fs::path(record->log).parent_path(), ec);

  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<ChildProcess>> child = ChildProcess::Spawn(
      name, {gaia_bin, "launch", v.spec_path, "--results", results, "--quiet"}, record->log);
  if (!child.ok()) {
    std::cout << "cannot start\n";
    std::cerr << "bench: " << child.status().message() << "\n";
    return 1;
  }
  std::optional<ChildProcess::Exit> exit;
  while (!(exit = (*child)->Poll())) {
    if (g_bench_stop.load()) {
      std::cout << "stopping\n" << std::flush;
      (*child)->Terminate(kLaunchStopGrace);
      std::cerr << "bench: interrupted; partial results in " << plan.out_dir << "\n";
      return 130;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  record->elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::optional<std::string> run_dir = FindRunDir(results, plan.spec.name);
  if (run_dir) record->run_dir = *run_dir;
  if (exit->exit_code != 0) {
    std::cout << absl::StrFormat("failed after %.1f s\n", record->elapsed_s);
    std::cerr << "bench: gaia launch " << v.spec_path << " " << exit->description << "\n"
              << (*child)->LogTail(12) << "bench: its output: " << record->log << "\n";
    if (run_dir)
      std::cerr << "bench: its run's logs: " << RunLayout(*run_dir).logs_dir() << "\n";
    return exit->exit_code == 130 ? 130 : 1;
  }
  if (!run_dir) {
    std::cout << "no results\n";
    std::cerr << "bench: gaia launch wrote no summary.json under " << results
              << "; its output: " << record->log << "\n";
    return 1;
  }
  std::cout << absl::StrFormat("done in %.1f s\n", record->elapsed_s);
  return std::nullopt;
}

// Writes every plot's data and script; draws them when gnuplot is on PATH.
// Returns false if gnuplot failed.
bool Plot(const Plan& plan, const std::vector<RepeatOutcome>& outcomes,
          const std::vector<BenchRow>& rows, json* files) {
  const std::string gnuplot = FindGnuplot();
  bool ok = true;
  for (const RepeatOutcome& o : outcomes) {
    if (o.repeat != 1) continue;  // plots show the first repeat of each
    absl::StatusOr<PlotData> data = ReadPlotData(o.run_dir);
    if (!data.ok()) {
      std::cerr << "bench: no plots for " << o.setting << " " << o.model << ": "
                << data.status().message() << "\n";
      continue;
    }
    std::string label = o.setting;
    for (const BenchSetting& s : plan.settings) {
      if (s.name == o.setting) label = s.label;
    }
    data->title = absl::StrCat(plan.spec.name, ", ", label, ", ", o.model);
    for (const BenchRow& r : rows) {
      if (r.setting == o.setting && r.model == o.model && r.cost)
        data->costs.emplace_back(r.mode, *r.cost);
    }
    const std::string dir =
        (fs::path(plan.out_dir) / "plots" / absl::StrCat(o.setting, "-", o.model)).string();
    absl::StatusOr<std::vector<std::string>> scripts = WritePlotFiles(*data, dir);
    if (!scripts.ok()) {
      std::cerr << "bench: " << scripts.status().message() << "\n";
      ok = false;
      continue;
    }
    for (const std::string& script : *scripts) {
      const std::string stem = fs::path(script).stem().string();
      (*files).push_back((fs::path(dir) / script).string());
      if (gnuplot.empty()) continue;
      if (absl::Status s = RunGnuplot(gnuplot, dir, script, kGnuplotTimeout); !s.ok()) {
        std::cerr << "bench: " << s.message() << "\n";
        ok = false;
        continue;
      }
      for (const char* ext : {".png", ".svg"}) {
        (*files).push_back((fs::path(dir) / (stem + ext)).string());
      }
    }
  }
  if (gnuplot.empty()) {
    std::cout << "bench: gnuplot is not installed (Debian: apt-get install gnuplot-nox); the "
                 "plot data and scripts are in "
              << (fs::path(plan.out_dir) / "plots").string() << "\n";
  }
  return ok;
}

}  // namespace

int BenchCommand(const BenchFlags& flags, const std::string& bin_dir) {
  std::optional<Plan> plan = MakePlan(flags);
  if (!plan) return 2;
  std::optional<std::vector<Variant>> variants = WriteSpecs(flags, *plan);
  if (!variants) return 2;

  std::cout << "gaia bench: job " << plan->spec.name << ", modes " << ModeList(plan->modes)
            << ", models " << absl::StrJoin(plan->models, ",");
  if (std::count(plan->models.begin(), plan->models.end(), "ssp") > 0) {
    std::cout << " (ssp staleness " << plan->staleness << ")";
  }
  std::cout << ", " << flags.repeat << " repeat(s), WAN " << flags.emulate << " x "
            << flags.bandwidth_scale << "\n";
  for (const BenchSetting& s : plan->settings) {
    std::cout << "  setting " << s.name << ": " << s.label << ", preset " << s.preset << "\n";
  }
  std::cout << "  results in " << plan->out_dir << "\n";

  absl::StatusOr<PriceTable> prices = LoadDefaultPrices();
  if (!prices.ok()) {
    std::cerr << "bench: no costs: " << prices.status().message() << "\n";
  }

  g_bench_stop.store(false);
  struct sigaction action {};
  action.sa_handler = OnBenchStop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  const std::string gaia_bin = (fs::path(bin_dir) / "gaia").string();
  const int total = static_cast<int>(variants->size() * flags.repeat);
  int done = 0;
  std::vector<RepeatOutcome> outcomes;
  std::vector<RunRecord> records;
  std::vector<std::string> notes;
  for (const Variant& v : *variants) {
    for (uint32_t repeat = 1; repeat <= flags.repeat; ++repeat) {
      std::cout << absl::StrFormat("bench [%d/%d] %s %s repeat %d/%d: %s ... ", ++done, total,
                                   v.setting.name, v.model, repeat, flags.repeat,
                                   ModeList(plan->modes))
                << std::flush;
      RunRecord record;
      if (std::optional<int> failed =
              RunOne(gaia_bin, v, static_cast<int>(repeat), *plan, &record)) {
        return *failed;
      }
      records.push_back(record);
      absl::StatusOr<RepeatOutcome> outcome = ReadRepeatOutcome(record.run_dir);
      if (!outcome.ok()) {
        std::cerr << "bench: " << outcome.status().message() << "\n";
        return 1;
      }
      outcome->setting = v.setting.name;
      outcome->model = v.model;
      outcome->repeat = static_cast<int>(repeat);
      if (prices.ok()) {
        if (absl::Status s = AddCosts(*prices, &*outcome); !s.ok()) {
          outcome->notes.push_back(absl::StrCat("not priced: ", s.message()));
        }
      }
      for (const std::string& note : outcome->notes) {
        notes.push_back(absl::StrCat(v.setting.name, " ", v.model, " repeat ", repeat, ": ", note));
      }
      outcomes.push_back(std::move(*outcome));
    }
  }

  const std::vector<BenchRow> rows = Aggregate(outcomes);
  std::cout << "\n" << FormatTable(rows) << "\n";
  std::cout << "time_s: median time to the lan run's objective (\"-\": not reached); speedup: "
               "over baseline; vs_lan: time / lan's; costs: EC2 USD (thesis Table 5.1)\n";

  json files = json::array();
  const bool plots_ok = Plot(*plan, outcomes, rows, &files);

  json bench = {{"job", plan->spec.name},
                {"spec", fs::absolute(flags.spec_path).string()},
                {"out_dir", plan->out_dir},
                {"modes", json::array()},
                {"models", plan->models},
                {"staleness", plan->staleness},
                {"settings", json::array()},
                {"repeat", flags.repeat},
                {"emulate", flags.emulate},
                {"bandwidth_scale", flags.bandwidth_scale},
                {"clocks", flags.clocks == 0 ? json(plan->spec.app.clocks) : json(flags.clocks)},
                {"runs", json::array()},
                {"rows", RowsJson(rows)},
                {"notes", notes},
                {"plots", files}};
  for (common::Mode m : plan->modes) bench["modes"].push_back(common::ModeName(m));
  for (const BenchSetting& s : plan->settings) {
    bench["settings"].push_back({{"name", s.name}, {"label", s.label}, {"preset", s.preset}});
  }
  for (const RunRecord& r : records) {
    bench["runs"].push_back({{"setting", r.setting},
                             {"model", r.model},
                             {"repeat", r.repeat},
                             {"spec", r.spec},
                             {"run_dir", r.run_dir},
                             {"log", r.log},
                             {"elapsed_s", r.elapsed_s}});
  }
  const fs::path out(plan->out_dir);
  std::ofstream(out / "bench.json") << bench.dump(2) << "\n";
  std::ofstream(out / "bench.csv") << FormatCsv(rows);
  if (!notes.empty()) {
    std::cout << "bench: " << notes.size() << " pricing note(s) in bench.json\n";
  }
  std::cout << "bench: results in " << plan->out_dir << " (bench.json, bench.csv, plots/)\n";
  if (g_bench_stop.load()) return 130;  // Ctrl-C while plotting
  return plots_ok ? 0 : 1;
}

}  // namespace gaia::cli
