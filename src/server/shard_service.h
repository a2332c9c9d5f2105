// The `Shard` gRPC service (proto/gaia.proto): one bidirectional Session
// stream per (worker, shard), served with the callback API. Each stream gets
// its own reactor object (shard_service.cc) that owns the stream's state; the
// shard's state lives in ShardCore.
#ifndef GAIA_SRC_SERVER_SHARD_SERVICE_H_
#define GAIA_SRC_SERVER_SHARD_SERVICE_H_

#include <memory>

#include "proto/gaia.grpc.pb.h"
#include "src/server/shard_core.h"

namespace gaia::server {

// Thread-safe (stateless apart from the shared core).
class ShardService final : public rpc::Shard::CallbackService {
 public:
  explicit ShardService(std::shared_ptr<ShardCore> core) : core_(std::move(core)) {}

  grpc::ServerBidiReactor<rpc::WorkerMessage, rpc::ShardMessage>* Session(
      grpc::CallbackServerContext* context) override;

 private:
  const std::shared_ptr<ShardCore> core_;
};

// absl -> wire error code (proto Error.Code).
rpc::Error::Code ToWireCode(absl::StatusCode code);

}  // namespace gaia::server

#endif  // GAIA_SRC_SERVER_SHARD_SERVICE_H_
