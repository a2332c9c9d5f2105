// The operator `Control` gRPC service (proto/gaia.proto): Status, Dump and
// Shutdown of one shard, served with the callback API.
#ifndef GAIA_SRC_SERVER_CONTROL_SERVICE_H_
#define GAIA_SRC_SERVER_CONTROL_SERVICE_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "proto/gaia.grpc.pb.h"
#include "src/common/link_security.h"
#include "src/server/shard_core.h"

namespace gaia::server {

// Thread-safe.
class ControlService final : public rpc::Control::CallbackService {
 public:
  // `request_shutdown` must return promptly: it starts the shutdown
  // asynchronously so that the Shutdown RPC itself can complete.
  // `gate` refuses calls without the job token (and counts them: Status
  // reports the count).
  ControlService(std::shared_ptr<ShardCore> core, std::function<void()> request_shutdown,
                 common::CallGate gate)
      : core_(std::move(core)), request_shutdown_(std::move(request_shutdown)),
        gate_(std::move(gate)) {}

  grpc::ServerUnaryReactor* Status(grpc::CallbackServerContext* context,
                                   const rpc::StatusRequest* request,
                                   rpc::StatusReply* reply) override;
  grpc::ServerUnaryReactor* Dump(grpc::CallbackServerContext* context,
                                 const rpc::DumpRequest* request, rpc::DumpReply* reply) override;
  grpc::ServerUnaryReactor* Shutdown(grpc::CallbackServerContext* context,
                                     const rpc::ShutdownRequest* request,
                                     rpc::ShutdownReply* reply) override;

 private:
  const std::shared_ptr<ShardCore> core_;
  const std::function<void()> request_shutdown_;
  const common::CallGate gate_;
};

}  // namespace gaia::server

#endif  // GAIA_SRC_SERVER_CONTROL_SERVICE_H_
