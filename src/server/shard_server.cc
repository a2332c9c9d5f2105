#include "src/server/shard_server.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "src/common/mutex.h"
#include "src/common/logging.h"
#include "src/common/rpc_options.h"
#include "src/server/control_service.h"
#include "src/server/local_listener.h"
#include "src/server/parameter_store.h"
#include "src/server/shard_core.h"
#include "src/server/shard_service.h"

namespace gaia::server {
namespace {

absl::Status ValidateOptions(const ShardOptions& options) {
  if (options.num_workers == 0) {
    return absl::InvalidArgumentError("num_workers must be >= 1");
  }
  if (options.staleness < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("staleness ", options.staleness, " must be >= 0"));
  }
  if (options.listen_address.empty()) {
    return absl::InvalidArgumentError("listen_address is empty");
  }
  if (options.shutdown_grace_ms < 0) {
    return absl::InvalidArgumentError("shutdown_grace_ms must be >= 0");
  }
  return absl::OkStatus();
}

class ShardServerImpl final : public ShardServer {
 public:
  explicit ShardServerImpl(const ShardOptions& options) : options_(options) {}

  ~ShardServerImpl() override {
    Shutdown();
    std::thread async;
    {
      common::MutexLock lock(&mu_);
      async = std::move(async_shutdown_);
    }
    if (async.joinable()) async.join();
  }

  absl::Status Init(std::unique_ptr<ParameterStore> store) {
    ShardCore::Options core_options;
    core_options.job_id = options_.job_id;
    core_options.num_workers = options_.num_workers;
    core_options.staleness = options_.staleness;
    core_options.update_sink = options_.update_sink;
    core_options.read_gate = options_.read_gate;
    core_ = std::make_shared<ShardCore>(std::move(core_options), std::move(store));
    const common::CallGate gate{options_.security, refusals_};
    shard_service_ = std::make_unique<ShardService>(core_, gate);
    control_service_ =
        std::make_unique<ControlService>(core_, [this] { RequestShutdownAsync(); }, gate);
    const std::shared_ptr<const common::LinkSecurity> security =
        options_.security != nullptr ? options_.security : common::LinkSecurity::Plaintext();

    grpc::ServerBuilder builder;
    common::ConfigureServerBuilder(&builder, common::ServerKind::kShard);
    // gRPC sets SO_REUSEPORT by default, which would let two shards silently
    // share one port; a taken port must be an error instead.
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    builder.AddListeningPort(options_.listen_address, security->ServerCredentials(refusals_),
                             &port_);
    builder.RegisterService(shard_service_.get());
    builder.RegisterService(control_service_.get());
    server_ = builder.BuildAndStart();
    if (server_ == nullptr || port_ == 0) {
      server_.reset();
      return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.listen_address,
                                                 ": address in use or invalid"));
    }
    if (!options_.local_address.empty()) {
      absl::StatusOr<std::unique_ptr<LocalListener>> listener =
          LocalListener::Start(options_.local_address, server_.get());
      if (!listener.ok()) {
        server_->Shutdown();
        server_.reset();
        return listener.status();
      }
      local_listener_ = std::move(*listener);
    }
    const ShardStats stats = core_->Stats();
    common::Logger("server")->info(
        "shard {}/{} of job '{}' listening on port {}{}{} ({} rows, {} bytes, {} workers, "
        "staleness {})",
        options_.partition_index, options_.partition_size, options_.job_id, port_,
        security->tls() ? " (mutual TLS)" : "",
        options_.local_address.empty() ? "" : " and " + options_.local_address,
        stats.rows_owned, stats.table_bytes, options_.num_workers, options_.staleness);
    return absl::OkStatus();
  }

  int port() const override { return port_; }

  ShardStats Stats() const override {
    ShardStats stats = core_->Stats();
    stats.calls_refused = refusals_->count();
    return stats;
  }

  std::shared_ptr<ShardCore> core() const override { return core_; }

  void Wait() override {
    common::MutexLock lock(&mu_);
    mu_.Await([this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return state_ == State::kStopped; });
  }

  void Shutdown() override {
    {
      common::MutexLock lock(&mu_);
      if (state_ != State::kRunning) {
        // Another thread is shutting down: wait for it to finish.
        mu_.Await([this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return state_ == State::kStopped; });
        return;
      }
      state_ = State::kStopping;
    }
    local_listener_.reset();  // no new connections
    // Abort parked reads and ask every stream to finish; then give them
    // shutdown_grace_ms to drain before gRPC cancels what is left.
    core_->Shutdown();
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() +
                        std::chrono::milliseconds(options_.shutdown_grace_ms));
      server_->Wait();
    }
    if (server_ != nullptr) {
      common::Logger("server")->info("shard {}/{} on port {} stopped", options_.partition_index,
                                     options_.partition_size, port_);
    }
    common::MutexLock lock(&mu_);
    state_ = State::kStopped;
  }

 private:
  enum class State { kRunning, kStopping, kStopped };

  // From the Control.Shutdown RPC: shutting down waits for in-flight RPCs,
  // so it must not run on the RPC's own thread.
  void RequestShutdownAsync() {
    common::MutexLock lock(&mu_);
    if (state_ != State::kRunning || async_shutdown_.joinable()) return;
    async_shutdown_ = std::thread([this] { Shutdown(); });
  }

  // Constant after Init().
  const ShardOptions options_;
  const std::shared_ptr<common::RefusalLog> refusals_ =
      std::make_shared<common::RefusalLog>("server");
  std::shared_ptr<ShardCore> core_;
  std::unique_ptr<ShardService> shard_service_;
  std::unique_ptr<ControlService> control_service_;
  int port_ = 0;
  // Destroyed first (declared last): no RPC runs once it is gone.
  std::unique_ptr<grpc::Server> server_;
  // Stopped before server_ shuts down (Shutdown()). Touched only by Init()
  // and the one thread that runs Shutdown().
  std::unique_ptr<LocalListener> local_listener_;

  // Guards the lifecycle state and the asynchronous shutdown thread.
  common::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_) = State::kRunning;
  std::thread async_shutdown_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<ShardServer>> ShardServer::Start(const ShardOptions& options) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<ParameterStore>> store =
      ParameterStore::Create(options.tables, options.partition_index, options.partition_size);
  if (!store.ok()) return store.status();
  auto server = std::make_unique<ShardServerImpl>(options);
  if (absl::Status s = server->Init(std::move(*store)); !s.ok()) return s;
  return std::unique_ptr<ShardServer>(std::move(server));
}

}  // namespace gaia::server
