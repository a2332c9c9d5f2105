// One mode of a job, run phase by phase; RunMode (launcher.h) drives it.
//
//   Prepare              topology, program, folders
//   StartKernelWan       the emulated WAN's links; the kernel emulator (netns)
//   Place                which process runs where (placement.h)
//   PrepareHosts         other hosts: binaries, spec, data copied (remote_host.h)
//   StartShards          `gaia server` per shard; waits for their ports
//   StartRelays          WAN relays for cross-DC connections
//   ConnectMirrors       gaia modes: peers files, mirrors.json, the monitor
//   StartWorkers         worker configs and processes
//   Supervise            polls children, writes metrics.jsonl, shows progress
//   AwaitMirrorsSettled  gaia modes: the final flush delivered everywhere
//   FetchAndCompareModels  DC copies agree; checkpoint.save_final
//   Stop                 relay stats, peak memory, orderly shutdown
//
// A phase that fails ends the run: every child is terminated by PID
// (workers, then relays, then shards) and the phase's error is returned.
// However the run ends, every other host is then checked for processes of
// the run left running (CheckNothingLeft), and any is reported.
//
// Not thread-safe; one object per run of a mode, Run() called once.
#ifndef GAIA_SRC_CLI_MODE_RUN_H_
#define GAIA_SRC_CLI_MODE_RUN_H_

#include <chrono>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/cli/child_process.h"
#include "src/cli/kernel_wan.h"
#include "src/cli/launcher.h"
#include "src/cli/metrics_collector.h"
#include "src/cli/mirror_monitor.h"
#include "src/cli/model_io.h"
#include "src/cli/placement.h"
#include "src/cli/relay_plan.h"
#include "src/cli/remote_host.h"
#include "src/cli/remote_process.h"
#include "src/cli/run_layout.h"
#include "src/cli/run_tls.h"
#include "src/common/topology.h"
#include "src/wan/link_matrix.h"

namespace gaia::cli {

class ModeRun {
 public:
  // `options` must outlive the object.
  explicit ModeRun(const RunOptions& options);
  ModeRun(const ModeRun&) = delete;
  ModeRun& operator=(const ModeRun&) = delete;

  absl::StatusOr<RunResult> Run();

 private:
  using Clock = std::chrono::steady_clock;

  // The processes of one run. Shutdown order: workers, then relays, then
  // shards, so no shard disappears under a worker that still flushes.
  struct Children {
    std::vector<std::unique_ptr<ChildProcess>> shards;
    std::vector<std::unique_ptr<ChildProcess>> relays;
    std::vector<std::unique_ptr<ChildProcess>> workers;
    std::vector<bool> worker_done;
    void TerminateAll();
  };

  // The phases, in order (mode_run.cc, mode_run_start.cc, mode_run_supervise.cc).
  absl::Status Prepare();
  absl::Status StartKernelWan();
  absl::Status Place();
  absl::Status PrepareHosts();
  absl::Status StartShards();
  absl::Status StartRelays();
  absl::Status ConnectMirrors();
  absl::Status StartWorkers();
  absl::Status Supervise();
  absl::Status AwaitMirrorsSettled();
  absl::Status FetchAndCompareModels();
  absl::Status Stop();

  // Supervise's steps.
  absl::Status CheckStillWanted(double elapsed_s) const;
  absl::Status PollChildren(bool* all_done);
  void WriteClockLines(uint64_t wan_bytes);
  void ShowProgress(Clock::time_point now, double elapsed_s, const RelayStats& relay_stats,
                    uint64_t wan_bytes);

  // Other hosts (mode_run_hosts.cc). What one host was given for the run.
  struct HostSession {
    RemoteHostAccess access;
    std::map<std::string, std::string> binaries;  // local path -> remote path
    std::map<uint32_t, std::string> data;         // spec DC -> its data there
    common::TlsFiles tls;                         // its own TLS files there
  };
  // Runs on its own thread per host (PrepareHosts): reads the run's
  // constant state and writes only `host`.
  absl::Status PrepareHost(HostSession* host, const std::string& local_spec) const;
  // What a host gets copied besides the binaries: the spec, the data of the
  // DCs whose workers it runs, and with TLS on its own certificate and key
  // and the job's CA and token (noting their remote paths in `host`).
  struct HostFile {
    std::string local;
    std::string remote;
    bool recursive = false;  // a folder
  };
  absl::StatusOr<std::vector<HostFile>> FilesFor(HostSession* host,
                                                 const std::string& local_spec) const;
  absl::StatusOr<std::vector<HostFile>> TlsFilesFor(HostSession* host,
                                                    std::vector<HostFile> files) const;
  // Copies a file the launcher wrote for a process at `where` to its host.
  absl::Status PutRunFile(const Location& where, const std::string& local_path);
  // Fetches remote workers' metrics files (all of them when `all`, else
  // those not fetched within the last second).
  void FetchRemoteMetrics(bool all);
  // Processes of this run still running on another host, as an error.
  absl::Status CheckNothingLeft();
  // Ends ssh's shared connections to the hosts (after CheckNothingLeft).
  void CloseHostConnections();
  std::string DataFor(const Location& where, uint32_t spec_dc) const;
  // The TLS files a process at `where` reads (empty with TLS off).
  const common::TlsFiles& TlsFor(const Location& where) const;

  absl::Status SaveCheckpoint(const std::vector<Model>& models);
  // Starts `argv` at `where`, its output in `log`, and adds it to `into`.
  absl::Status Spawn(const std::string& label, const Location& where, std::vector<std::string> argv,
                     const std::string& log, std::vector<std::unique_ptr<ChildProcess>>* into);
  bool gaia_mode() const;
  bool uses_relays() const { return !placement_.relays.empty(); }
  double SecondsSinceStart() const;

  // Constant after construction.
  const RunOptions& options_;
  const common::JobSpec& spec_;
  const std::string mode_name_;
  const RunLayout layout_;

  // Set by Prepare, StartKernelWan and Place.
  common::Topology topo_;
  std::string program_;  // the app, resolved
  // The launcher's own TLS client material and token (plaintext if off).
  std::shared_ptr<const common::LinkSecurity> security_;
  // With TLS: the shards' same-host sockets, in a folder only this user can
  // enter. Declared before the children: removed after they end.
  std::unique_ptr<PrivateDir> socket_dir_;
  Clock::time_point t0_;
  double start_unix_s_ = 0;
  wan::LinkMatrix links_;  // when the WAN is emulated
  KernelWan kernel_wan_;   // declared before the children: down after they end
  Placement placement_;
  std::map<std::string, HostSession> hosts_;  // by address; set by PrepareHosts
  std::map<std::string, std::string> build_ids_;  // local binary -> BuildId
  std::string ssh_control_dir_;  // ssh ControlPath folder, "" when none
  RemotePaths remote_paths_;
  Clock::time_point last_metrics_fetch_;

  // The children, and what they reported once up.
  Children children_;
  std::vector<int> shard_ports_;
  std::vector<int> mirror_ports_;           // gaia modes
  std::vector<RelayPlan> relay_plans_;      // by placement_.relays; listen ports filled in
  std::unique_ptr<MirrorMonitor> monitor_;  // gaia modes
  std::vector<WorkerSource> worker_sources_;

  // Supervision.
  std::unique_ptr<MetricsCollector> metrics_;
  std::ofstream metrics_out_;
  MirrorTotals mirror_totals_;
  Clock::time_point last_progress_;
  uint64_t rows_at_last_progress_ = 0;
  std::map<std::string, uint64_t> link_bytes_at_last_progress_;
  bool progress_printed_ = false;

  RunResult result_;
};

}  // namespace gaia::cli

#endif  // GAIA_SRC_CLI_MODE_RUN_H_
