// Runs one mode of a job: starts every shard, relay and worker process of
// that mode (today all on this host), supervises them, shows progress, collects metrics.
//
//   RunOptions options{.spec = spec, .mode = Mode::kLan, ...};
//   absl::StatusOr<RunResult> result = RunMode(options);
//
// Any child failing (a worker exiting non-zero, a shard or relay dying),
// a stop request (Ctrl-C) or the job timeout ends the run: every child is
// terminated by PID and the error names the child, why, and its log tail.
// The phases themselves are ModeRun's (mode_run.h); which process runs
// where is the Placement's (placement.h); file names are RunLayout's.
#ifndef GAIA_SRC_CLI_LAUNCHER_H_
#define GAIA_SRC_CLI_LAUNCHER_H_

#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/cli/convergence.h"
#include "src/cli/mirror_monitor.h"
#include "src/common/job_spec.h"
#include "src/common/link_security.h"

namespace gaia::cli {

struct RunOptions {
  common::JobSpec spec;
  common::Mode mode = common::Mode::kLan;
  std::string job_id;      // unique per run; shards refuse other jobs' workers
  std::string bin_dir;     // where gaia, gaia-wan-relay and apps live
  std::string run_dir;     // results/<job>/<timestamp>
  std::ostream* progress = nullptr;  // progress lines; nullptr = quiet
  bool progress_is_tty = false;      // redraw one line instead of printing many
  double progress_interval_s = 1.0;
  const std::atomic<bool>* stop_requested = nullptr;  // set by the SIGINT handler
  // This host's TLS material for every process of the run (run_tls.h);
  // empty = plaintext.
  common::TlsFiles tls;
};

struct LinkStats {
  std::string name;        // "a->b"
  uint64_t bytes = 0;
};

struct RunResult {
  common::Mode mode = common::Mode::kLan;
  double elapsed_s = 0;
  int64_t clocks_completed = 0;
  std::vector<ObjectivePoint> series;
  // The app's held-out measure per clock (Worker::ReportHeldOut), e.g.
  // "test_rmse"; empty when it reports none.
  std::string held_out_name;
  std::vector<ObjectivePoint> held_out_series;
  std::optional<ConvergencePoint> convergence;
  std::vector<LinkStats> wan_links;
  uint64_t wan_bytes = 0;
  uint64_t rows_pushed = 0;
  std::optional<MirrorTotals> mirror;  // gaia modes: after the final flush
  double dc_max_difference = 0;        // largest |difference| between DC copies
  std::string model_dir;               // checkpoint.save_final: where the model went
  // Per shard (topology order): its process's peak resident memory (VmHWM;
  // on another host as the shard reports it in Control.Status), 0 where
  // neither could tell.
  std::vector<uint64_t> shard_peak_rss_bytes;
};

absl::StatusOr<RunResult> RunMode(const RunOptions& options);

// The local time as YYYYmmdd-HHMMSS, for the names of results folders.
std::string LocalTimestamp();

// OK if this build can run `mode` of `spec`; otherwise UNIMPLEMENTED naming
// the field that asks for a feature this build lacks.
absl::Status CheckSupported(const common::JobSpec& spec, common::Mode mode);

// Where a program named in the spec is found: a path as given, else beside
// the gaia binary, else on PATH.
absl::StatusOr<std::string> ResolveProgram(const std::string& program,
                                           const std::string& bin_dir);

}  // namespace gaia::cli

#endif  // GAIA_SRC_CLI_LAUNCHER_H_
