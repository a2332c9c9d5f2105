// `gaia server`: one shard process. Learns its role from the job spec and
// the mode's topology, serves until SIGTERM/SIGINT or Control.Shutdown.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "src/cli/commands.h"
#include "src/cli/mirror_setup.h"
#include "src/common/data_files.h"
#include "src/common/job_spec.h"
#include "src/common/logging.h"
#include "src/common/topology.h"
#include "src/mirror/dc_shard.h"
#include "src/server/malloc_tuning.h"
#include "src/server/shard_server.h"

namespace gaia::cli {
namespace {

// The shard's options and, in gaia modes, its mirror's, from the flags and
// the spec. Every error is bad input.
absl::StatusOr<mirror::DcShardOptions> DcShardOptionsFor(const ServerFlags& flags,
                                                         const common::JobSpec& spec,
                                                         common::Mode mode,
                                                         const common::Topology& topo) {
  const common::ShardRole& role = topo.shards[flags.shard];
  mirror::DcShardOptions dc_options;
  server::ShardOptions& options = dc_options.shard;
  options.job_id = flags.job_id.empty() ? spec.name : flags.job_id;
  options.tables = spec.tables;
  options.partition_index = role.partition_index;
  options.partition_size = role.partition_size;
  options.num_workers = topo.WorkersIn(role.group);
  options.staleness = spec.consistency.staleness;
  options.listen_address = flags.listen;
  options.local_address = flags.local_address;
  absl::StatusOr<std::shared_ptr<const common::LinkSecurity>> security =
      common::LinkSecurity::Load({.cert = flags.tls_cert,
                                  .key = flags.tls_key,
                                  .ca = flags.tls_ca,
                                  .token = flags.tls_token_file});
  if (!security.ok()) return security.status();
  options.security = *security;

  // Gaia modes: an ASP mirror beside the shard (DESIGN.md §4.2). The
  // registry holds plugin code the mirror calls: the DcShard keeps it alive.
  const bool gaia_mode = mode == common::Mode::kGaia || mode == common::Mode::kGaiaAsync;
  if (gaia_mode) {
    absl::StatusOr<std::unique_ptr<significance::Registry>> loaded = LoadSignificance(spec);
    if (!loaded.ok()) return loaded.status();
    dc_options.registry = std::move(*loaded);
    absl::StatusOr<mirror::MirrorOptions> mirror_options =
        MirrorOptionsFor(spec, topo, flags.shard, options.job_id, *dc_options.registry);
    if (!mirror_options.ok()) return mirror_options.status();
    // The mirror listens on the shard's host, on a port of its own.
    mirror_options->listen_address = flags.listen.substr(0, flags.listen.rfind(':')) + ":0";
    mirror_options->security = *security;
    dc_options.mirror = std::move(*mirror_options);
  }
  return dc_options;
}

}  // namespace

int ServerCommand(const ServerFlags& flags) {
  // Before any thread allocates: reuse multi-MB message buffers instead of
  // page-faulting fresh ones (src/server/malloc_tuning.h).
  server::TuneAllocatorForLargeMessages();
  auto log = common::Logger("server");
  absl::StatusOr<common::JobSpec> spec = common::ParseJobSpecFile(flags.spec_path);
  if (!spec.ok()) {
    std::cerr << "gaia server: " << spec.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<common::Mode> mode = common::ParseMode(flags.mode);
  if (!mode.ok()) {
    std::cerr << "gaia server: --mode: " << mode.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<common::Topology> topo = common::PlanTopology(*spec, *mode);
  if (!topo.ok()) {
    std::cerr << "gaia server: " << topo.status().message() << "\n";
    return 2;
  }
  if (flags.shard >= topo->shards.size()) {
    std::cerr << "gaia server: --shard " << flags.shard << " out of range: mode " << flags.mode
              << " has " << topo->shards.size() << " shards\n";
    return 2;
  }
  const common::ShardRole& role = topo->shards[flags.shard];
  absl::StatusOr<mirror::DcShardOptions> shard_options =
      DcShardOptionsFor(flags, *spec, *mode, *topo);
  if (!shard_options.ok()) {
    std::cerr << "gaia server: " << shard_options.status().message() << "\n";
    return 2;
  }
  mirror::DcShardOptions dc_options = std::move(*shard_options);
  const server::ShardOptions& options = dc_options.shard;

  // Block the stop signals before any gRPC thread exists so that only the
  // watcher below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  const std::string job_id = options.job_id;
  const uint32_t num_workers = options.num_workers;
  absl::StatusOr<std::unique_ptr<mirror::DcShard>> started =
      mirror::DcShard::Start(std::move(dc_options));
  if (!started.ok()) {
    std::cerr << "gaia server: " << started.status().message() << "\n";
    // Inconsistent options (the mirror's, from the spec) are bad input.
    return absl::IsInvalidArgument(started.status()) ? 2 : 1;
  }
  mirror::DcShard& dc = **started;
  log->info("shard {} of {} (dc {}) for job {} listening on port {} ({} workers, staleness {})",
            role.partition_index, role.partition_size, topo->host_dcs[role.host_dc], job_id,
            dc.port(), num_workers, spec->consistency.staleness);
  if (!flags.port_file.empty()) {
    std::string ports = absl::StrCat("{\"ports\":[", dc.port());
    if (dc.mirror() != nullptr) absl::StrAppend(&ports, ",", dc.mirror_port());
    absl::StrAppend(&ports, "]}\n");
    if (absl::Status st = common::WriteFileAtomically(flags.port_file, ports); !st.ok()) {
      std::cerr << "gaia server: --port-file: " << st.message() << "\n";
      return 1;
    }
  }

  std::atomic<bool> done{false};
  std::thread watcher([&] {
    const timespec poll{0, 100 * 1000 * 1000};
    bool peers_known = dc.mirror() == nullptr || flags.peers_file.empty();
    while (!done.load()) {
      if (!peers_known) {
        absl::StatusOr<std::map<uint32_t, std::string>> peers = ReadPeersFile(flags.peers_file);
        if (peers.ok()) {
          dc.SetPeers(*peers);
          peers_known = true;
        } else if (!absl::IsUnavailable(peers.status())) {
          log->error("--peers-file: {}", std::string(peers.status().message()));
          peers_known = true;
        }
      }
      const int sig = sigtimedwait(&stop_signals, nullptr, &poll);
      if (sig > 0) {
        log->info("signal {}: shutting down", sig);
        dc.Shutdown();  // the mirror, then the shard
        return;
      }
    }
  });
  dc.Wait();
  done = true;
  watcher.join();
  dc.Shutdown();
  log->info("stopped");
  return 0;
}

}  // namespace gaia::cli
