#include "src/mirror/dc_shard.h"

#include <utility>

#include "src/server/shard_core.h"  // ShardCore is the mirror's MirrorTarget

namespace gaia::mirror {

absl::StatusOr<std::unique_ptr<DcShard>> DcShard::Start(DcShardOptions options) {
  std::unique_ptr<DcShard> dc(new DcShard());
  dc->registry_ = std::move(options.registry);
  if (options.mirror.has_value()) {
    absl::StatusOr<std::shared_ptr<Mirror>> created = Mirror::Create(std::move(*options.mirror));
    if (!created.ok()) return created.status();
    dc->mirror_ = std::move(*created);
    options.shard.update_sink = dc->mirror_;
    options.shard.read_gate = dc->mirror_->gate();
  }
  absl::StatusOr<std::unique_ptr<server::ShardServer>> shard =
      server::ShardServer::Start(options.shard);
  if (!shard.ok()) return shard.status();
  dc->shard_ = std::move(*shard);
  if (dc->mirror_ != nullptr) {
    // The shard attached its store to the mirror when it was built.
    if (absl::Status started = dc->mirror_->Start(dc->shard_->core()); !started.ok()) {
      return started;  // ~DcShard stops the shard
    }
  }
  return dc;
}

DcShard::~DcShard() { Shutdown(); }

void DcShard::SetPeers(const std::map<uint32_t, std::string>& peers) {
  if (mirror_ != nullptr) mirror_->SetPeers(peers);
}

void DcShard::Wait() {
  if (shard_ != nullptr) shard_->Wait();
}

void DcShard::Shutdown() {
  // The mirror applies to the shard and is its update sink: it goes first,
  // and drops its reference to the shard as it stops.
  if (mirror_ != nullptr) mirror_->Stop();
  if (shard_ != nullptr) shard_->Shutdown();
}

}  // namespace gaia::mirror
