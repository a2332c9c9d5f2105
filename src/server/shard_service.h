// The `Shard` gRPC service (proto/gaia.proto): one bidirectional Session
// stream per (worker, shard), served with the callback API. Each stream gets
// its own reactor object (shard_service.cc) that owns the stream's state; the
// shard's state lives in ShardCore.
//
// Session is a raw method (grpc::ByteBuffer both ways): the reactor parses
// WorkerMessages itself and encodes replies with EncodeShardMessage, which
// sends a read reply's values without copying them
// (shard_message_encoding.h). The wire format is the proto's.
#ifndef GAIA_SRC_SERVER_SHARD_SERVICE_H_
#define GAIA_SRC_SERVER_SHARD_SERVICE_H_

#include <memory>

#include "proto/gaia.grpc.pb.h"
#include "src/common/link_security.h"
#include "src/server/shard_core.h"

namespace gaia::server {

// Thread-safe (stateless apart from the shared core).
class ShardService final : public rpc::Shard::WithRawCallbackMethod_Session<rpc::Shard::Service> {
 public:
  // `gate` refuses a session without the job token before its first read.
  ShardService(std::shared_ptr<ShardCore> core, common::CallGate gate)
      : core_(std::move(core)), gate_(std::move(gate)) {}

  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* Session(
      grpc::CallbackServerContext* context) override;

 private:
  const std::shared_ptr<ShardCore> core_;
  const common::CallGate gate_;
};

// absl -> wire error code (proto Error.Code).
rpc::Error::Code ToWireCode(absl::StatusCode code);

}  // namespace gaia::server

#endif  // GAIA_SRC_SERVER_SHARD_SERVICE_H_
