// `gaia launch` and `gaia validate`.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "src/cli/commands.h"
#include "src/cli/launcher.h"
#include "src/cli/placement.h"
#include "src/cli/run_layout.h"
#include "src/cli/run_summary.h"
#include "src/cli/run_tls.h"
#include "src/common/job_spec.h"
#include "src/common/topology.h"

namespace gaia::cli {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::atomic<bool> g_stop_requested{false};

void OnStopSignal(int) { g_stop_requested.store(true); }

}  // namespace

namespace {

bool HasHosts(const common::JobSpec& spec) {
  for (const common::DcSpec& dc : spec.dcs) {
    if (!dc.hosts.empty()) return true;
  }
  return false;
}

}  // namespace

int ValidateCommand(const std::string& spec_path) {
  absl::StatusOr<common::JobSpec> spec = common::ParseJobSpecFile(spec_path);
  if (!spec.ok()) {
    std::cerr << spec.status().message() << "\n";
    return 2;
  }
  for (common::Mode mode : spec->modes) {
    absl::StatusOr<common::Topology> topo = common::PlanTopology(*spec, mode);
    if (!topo.ok()) {
      std::cerr << spec_path << ": mode " << common::ModeName(mode) << ": "
                << topo.status().message() << "\n";
      return 2;
    }
    if (absl::Status supported = CheckSupported(*spec, mode); !supported.ok()) {
      std::cerr << spec_path << ": mode " << common::ModeName(mode) << ": "
                << supported.message() << "\n";
      return 2;
    }
    std::cout << absl::StrFormat("%s: mode %-10s %zu DC(s), %zu shard(s), %zu worker(s)\n",
                                 spec->name, common::ModeName(mode), topo->host_dcs.size(),
                                 topo->shards.size(), topo->workers.size());
    if (HasHosts(*spec)) {
      // The kernel emulator's namespaces are made at launch; hosts are known now.
      std::cout << DescribePlacement(PlaceProcesses(*spec, *topo, nullptr, PlacementOptions{}),
                                     *topo);
    }
  }
  std::cout << absl::StrFormat(
      "%s: tls %s (enabled: %s)%s\n", spec->name, common::TlsOn(*spec) ? "on" : "off",
      common::TlsModeName(spec->tls.enabled),
      !common::TlsOn(*spec)           ? ""
      : !spec->tls.dir.empty()        ? ", material from " + spec->tls.dir
      : !spec->tls.cert.empty()       ? ", the spec's cert/key/ca and a token per run"
                                      : ", a job CA and token made per run");
  std::cout << spec_path << ": OK\n";
  return 0;
}

int LaunchCommand(const LaunchFlags& flags, const std::string& bin_dir) {
  absl::StatusOr<common::JobSpec> spec = common::ParseJobSpecFile(flags.spec_path);
  if (!spec.ok()) {
    std::cerr << spec.status().message() << "\n";
    return 2;
  }
  if (!flags.modes.empty()) {
    spec->modes.clear();
    for (const std::string& name : flags.modes) {
      absl::StatusOr<common::Mode> mode = common::ParseMode(name);
      if (!mode.ok()) {
        std::cerr << "--mode: " << mode.status().message() << "\n";
        return 2;
      }
      spec->modes.push_back(*mode);
    }
  }
  if (!flags.results_dir.empty()) spec->results_dir = flags.results_dir;
  for (common::Mode mode : spec->modes) {
    absl::Status plan = common::PlanTopology(*spec, mode).status();
    if (plan.ok()) plan = CheckSupported(*spec, mode);
    if (!plan.ok()) {
      std::cerr << flags.spec_path << ": mode " << common::ModeName(mode) << ": "
                << plan.message() << "\n";
      return 2;
    }
  }

  const RunLayout layout = RunLayout::ForNewRun(spec->results_dir, spec->name, LocalTimestamp());
  const std::string run_dir = layout.dir().string();
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  if (ec) {
    std::cerr << "cannot create results folder " << run_dir << ": " << ec.message() << "\n";
    return 1;
  }
  fs::copy_file(flags.spec_path, layout.job_yaml(), ec);
  absl::StatusOr<common::TlsFiles> tls = PrepareRunTls(*spec, run_dir);
  if (!tls.ok()) {
    std::cerr << flags.spec_path << ": " << tls.status().message() << "\n";
    return 2;
  }

  // Worker programs (gaia_mf, users' own) move multi-MB messages too; give
  // every child the allocator setting `gaia server` applies to itself
  // (src/server/malloc_tuning.h), unless the user chose their own.
  setenv("GLIBC_TUNABLES",
         "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824",
         /*overwrite=*/0);

  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  std::cout << std::flush;
  std::cout << "gaia: job " << spec->name << ", modes "
            << absl::StrJoin(spec->modes, ", ", [](std::string* out, common::Mode m) {
                 out->append(common::ModeName(m));
               })
            << "; results in " << run_dir << "\n";
  std::vector<RunResult> results;
  std::optional<absl::Status> failure;
  std::string failed_mode;
  for (common::Mode mode : spec->modes) {
    RunOptions options;
    options.spec = *spec;
    options.mode = mode;
    options.job_id = absl::StrCat(spec->name, "-", common::ModeName(mode), "-",
                                  fs::path(run_dir).filename().string(), "-", getpid());
    options.bin_dir = bin_dir;
    options.run_dir = run_dir;
    options.tls = *tls;
    options.progress = flags.quiet ? nullptr : &std::cout;
    options.progress_is_tty = isatty(STDOUT_FILENO);
    options.stop_requested = &g_stop_requested;
    absl::StatusOr<RunResult> result = RunMode(options);
    if (!result.ok()) {
      failure = result.status();
      failed_mode = common::ModeName(mode);
      break;
    }
    std::cout << DescribeRun(*result) << "\n";
    results.push_back(std::move(*result));
  }

  const Comparison comparison = Compare(results);
  json summary = SummaryJson(*spec, run_dir, results, comparison);
  if (failure) {
    summary["status"] = "failed";
    summary["failed_mode"] = failed_mode;
    summary["error"] = std::string(failure->message());
  } else {
    summary["status"] = "ok";
  }
  std::ofstream(layout.summary_json()) << summary.dump(2) << "\n";
  if (failure) {
    std::cerr << "gaia: mode " << failed_mode << " failed: " << failure->message() << "\n"
              << "gaia: logs in " << layout.logs_dir() << "\n";
    return absl::IsCancelled(*failure) ? 130 : 1;
  }
  if (!comparison.line.empty()) std::cout << comparison.line << "\n";
  std::cout << "gaia: results in " << run_dir << "\n";
  return 0;
}

}  // namespace gaia::cli
