// One DC's shard and, in the gaia modes, its ASP mirror (DESIGN.md §4.2),
// built and wired by one factory: the mirror observes the shard's updates
// (server::UpdateSink), holds back its reads (server::ReadGate) and applies
// other DCs' updates to it (server::MirrorTarget). `gaia server` and the
// multi-DC test cluster (tests/mirror/geo_cluster.h) both start shards here.
//
//   DcShardOptions options;
//   options.shard = ...;                          // from the job spec
//   options.mirror = ...;                         // gaia modes only
//   options.registry = registry;                  // owns options.mirror->significance
//   absl::StatusOr<std::unique_ptr<DcShard>> dc = DcShard::Start(std::move(options));
//   (*dc)->SetPeers({{1, "10.0.0.2:7001"}});      // whenever known
//   (*dc)->Wait();                                // until Shutdown or Control.Shutdown
//
// Thread-safe. The destructor shuts down: the mirror first (it stops
// applying to the shard and drops it), then the shard.
#ifndef GAIA_SRC_MIRROR_DC_SHARD_H_
#define GAIA_SRC_MIRROR_DC_SHARD_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "src/mirror/mirror.h"
#include "src/server/shard_server.h"
#include "src/significance/registry.h"

namespace gaia::mirror {

struct DcShardOptions {
  // The shard. Its update_sink and read_gate are set by Start (to the mirror,
  // or left as given without one).
  server::ShardOptions shard;
  // The mirror beside it (modes gaia and gaia_async); none in the other modes.
  std::optional<MirrorOptions> mirror;
  // Kept alive as long as the mirror: the registry that owns the code of
  // mirror->significance (plugins). Null when nothing needs it.
  std::shared_ptr<const significance::Registry> registry;
};

class DcShard {
 public:
  // Creates the mirror (INVALID_ARGUMENT for inconsistent mirror options),
  // starts the shard with the mirror as its update sink and read gate
  // (UNAVAILABLE if it cannot bind; INVALID_ARGUMENT for bad shard options),
  // then starts the mirror (UNAVAILABLE if it cannot bind). On error nothing
  // is left running.
  static absl::StatusOr<std::unique_ptr<DcShard>> Start(DcShardOptions options);

  ~DcShard();
  DcShard(const DcShard&) = delete;
  DcShard& operator=(const DcShard&) = delete;

  server::ShardServer& shard() const { return *shard_; }
  // Null without a mirror.
  Mirror* mirror() const { return mirror_.get(); }

  int port() const { return shard_->port(); }
  // The mirror's port; 0 without a mirror.
  int mirror_port() const { return mirror_ ? mirror_->port() : 0; }

  // Mirror addresses of the peer DCs ("host:port" by DC index); may be
  // called again with new addresses. No-op without a mirror.
  void SetPeers(const std::map<uint32_t, std::string>& peers);

  // Blocks until the shard stops (Shutdown, or the Control.Shutdown RPC).
  void Wait();

  // Stops the mirror, then the shard. Idempotent.
  void Shutdown();

 private:
  DcShard() = default;

  // Declared first: outlives the mirror that calls its code.
  std::shared_ptr<const significance::Registry> registry_;
  std::shared_ptr<Mirror> mirror_;
  std::unique_ptr<server::ShardServer> shard_;
};

}  // namespace gaia::mirror

#endif  // GAIA_SRC_MIRROR_DC_SHARD_H_
