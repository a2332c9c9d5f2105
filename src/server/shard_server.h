// One parameter-server shard: owns one partition of every table of one clock
// group, serves the worker sessions (proto/gaia.proto `Shard`) and the
// operator `Control` service.
//
//   ShardOptions options;  // filled from the job spec by `gaia server`
//   absl::StatusOr<std::unique_ptr<ShardServer>> shard = ShardServer::Start(options);
//   int port = (*shard)->port();
//   ...
//   (*shard)->Shutdown();   // or let the destructor do it
//
// Thread-safe. Several ShardServers may live in one process (tests host
// several DCs in one process).
#ifndef GAIA_SRC_SERVER_SHARD_SERVER_H_
#define GAIA_SRC_SERVER_SHARD_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/common/job_spec.h"
#include "src/common/link_security.h"

namespace gaia::server {

class ReadGate;    // src/server/read_gate.h
class ShardCore;   // src/server/shard_core.h
class UpdateSink;  // src/server/update_sink.h

struct ShardOptions {
  // Workers whose Hello carries another job id are refused.
  std::string job_id;

  // Every table of the job, table id = index. The shard allocates and
  // initializes only the rows it owns (common::ShardOf).
  std::vector<common::TableSpec> tables;

  // This shard's position in its clock group's partition.
  uint32_t partition_index = 0;
  uint32_t partition_size = 1;

  // Workers in the clock group; the shard clock is the minimum of their clocks.
  uint32_t num_workers = 1;

  // 0 = BSP. A read asking for min_clock is answered once clock >= min_clock.
  int32_t staleness = 0;

  // "host:port"; port 0 picks a free port (see port()).
  std::string listen_address = "127.0.0.1:0";

  // Also serve workers on this host over a Unix-domain socket ("unix:<path>"
  // or "unix-abstract:<name>", src/common/local_socket.h). Empty = TCP only.
  std::string local_address;

  // How long Shutdown() lets open streams drain their last messages before
  // cancelling them.
  int64_t shutdown_grace_ms = 2000;

  // Observes every update when it becomes visible (the ASP mirror's seam,
  // DESIGN.md §4.2; mirror::DcShard sets it). Null = nobody observes. Called
  // with the shard's lock held: it must not block or call back into the
  // shard.
  std::shared_ptr<UpdateSink> update_sink;

  // May hold back reads (ASP barriers and the DS bound). Null = never.
  std::shared_ptr<ReadGate> read_gate;

  // Mutual TLS on the TCP port and the job token on every call (TCP and
  // Unix socket). Null = plaintext, no token.
  std::shared_ptr<const common::LinkSecurity> security;
};

// Counters for the Control.Status RPC, progress and metrics.
struct ShardStats {
  int64_t shard_clock = 0;
  uint32_t connected_workers = 0;
  uint64_t rows_owned = 0;
  uint64_t table_bytes = 0;
  uint64_t updates_applied = 0;
  uint64_t updates_mirrored = 0;  // row deltas received from other DCs
  uint64_t bytes_received = 0;
  // Pushes added to the table on arrival by the BSP fast path (the pushing
  // worker was the only one left at its clock) instead of being buffered.
  uint64_t pushes_applied_early = 0;
  // Calls refused by the TLS token check (docs/SECURITY.md).
  uint64_t calls_refused = 0;
};

class ShardServer {
 public:
  // Allocates and initializes the tables, then starts serving. Fails with
  // UNAVAILABLE naming the address if it cannot bind (e.g. port in use), and
  // INVALID_ARGUMENT for bad options.
  static absl::StatusOr<std::unique_ptr<ShardServer>> Start(const ShardOptions& options);

  virtual ~ShardServer() = default;

  // The bound TCP port.
  virtual int port() const = 0;

  virtual ShardStats Stats() const = 0;

  // The shard's state. The ASP mirror in the same process reaches it as a
  // server::MirrorTarget (src/server/mirror_target.h; mirror::DcShard wires
  // it); tests read tables through it (Dump).
  virtual std::shared_ptr<ShardCore> core() const = 0;

  // Blocks until Shutdown() is called (by another thread, a signal handler
  // path, or the Control.Shutdown RPC).
  virtual void Wait() = 0;

  // Fails pending reads with ABORTED, closes sessions, stops serving.
  // Idempotent.
  virtual void Shutdown() = 0;
};

}  // namespace gaia::server

#endif  // GAIA_SRC_SERVER_SHARD_SERVER_H_
