#include "src/server/control_service.h"

#include <string>

#include "src/common/logging.h"
#include "src/common/process_memory.h"

namespace gaia::server {
namespace {

grpc::ServerUnaryReactor* Refuse(grpc::CallbackServerContext* context) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(
      grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "refused: no or wrong job token"));
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* ControlService::Status(grpc::CallbackServerContext* context,
                                                 const rpc::StatusRequest* /*request*/,
                                                 rpc::StatusReply* reply) {
  if (!gate_.Admit(*context)) return Refuse(context);
  const ShardStats stats = core_->Stats();
  reply->set_shard_clock(stats.shard_clock);
  reply->set_connected_workers(stats.connected_workers);
  reply->set_rows_owned(stats.rows_owned);
  reply->set_table_bytes(stats.table_bytes);
  reply->set_updates_applied(stats.updates_applied);
  reply->set_bytes_received(stats.bytes_received);
  reply->set_rss_bytes(common::ResidentSetBytes());
  reply->set_peak_rss_bytes(common::PeakResidentSetBytes());
  reply->set_calls_refused(gate_.refused());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* ControlService::Dump(grpc::CallbackServerContext* context,
                                               const rpc::DumpRequest* request,
                                               rpc::DumpReply* reply) {
  if (!gate_.Admit(*context)) return Refuse(context);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<rpc::DumpReply> dump =
      core_->Dump(request->table_id(), request->first(), request->max_rows());
  if (!dump.ok()) {
    reactor->Finish(grpc::Status(static_cast<grpc::StatusCode>(dump.status().code()),
                                 std::string(dump.status().message())));
    return reactor;
  }
  *reply = std::move(*dump);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* ControlService::Shutdown(grpc::CallbackServerContext* context,
                                                   const rpc::ShutdownRequest* /*request*/,
                                                   rpc::ShutdownReply* /*reply*/) {
  if (!gate_.Admit(*context)) return Refuse(context);
  common::Logger("server")->info("shutdown requested by {}", context->peer());
  request_shutdown_();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace gaia::server
