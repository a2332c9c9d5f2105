#include "src/mirror/mirror.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "src/common/logging.h"
#include "src/common/rpc_options.h"

namespace gaia::mirror {

absl::StatusOr<std::shared_ptr<Mirror>> Mirror::Create(MirrorOptions options) {
  if (absl::Status s = ValidateMirrorOptions(options); !s.ok()) return s;
  return std::make_shared<Mirror>(std::move(options));
}

Mirror::Mirror(MirrorOptions options)
    : dc_(options.dc),
      partition_index_(options.partition_index),
      listen_address_(options.listen_address),
      security_(options.security),
      gate_(std::make_shared<AspGate>(options.dc, options.overlay.num_dcs(), options.ds,
                                      options.barriers)),
      sender_(options),
      receiver_(std::move(options), gate_, &sender_) {}

Mirror::~Mirror() { Stop(); }

void Mirror::Attach(const server::StoreView& store) {
  sender_.Attach(store);
  receiver_.Attach(store);
}

absl::Status Mirror::Start(std::shared_ptr<server::MirrorTarget> target) {
  {
    common::MutexLock lock(&mu_);
    if (started_) return absl::FailedPreconditionError("mirror already started");
    if (!sender_.attached()) {
      return absl::FailedPreconditionError("mirror: the shard did not attach its store");
    }
    started_ = true;
  }
  sender_.Bind(target);
  receiver_.Bind(std::move(target));
  service_ = std::make_unique<MirrorService>(this);
  grpc::ServerBuilder builder;
  common::ConfigureServerBuilder(&builder, common::ServerKind::kMirror);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  const common::LinkSecurity& security =
      security_ != nullptr ? *security_ : *common::LinkSecurity::Plaintext();
  builder.AddListeningPort(listen_address_, security.ServerCredentials(refusals_), &port_);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat("mirror: cannot listen on ", listen_address_));
  }
  sender_.StartThread();
  receiver_.StartThread();
  common::Logger("mirror")->info(
      "dc {} shard {}: mirror listening on port {}{}, {} outgoing links", dc_, partition_index_,
      port_, security.tls() ? " (mutual TLS)" : "", sender_.num_links());
  return absl::OkStatus();
}

void Mirror::Stop() {
  {
    common::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  // The sender first: its links end, and it drops the shard.
  sender_.Stop();
  // Then the receiver: its incoming streams end now rather than letting the
  // server's shutdown wait for the peers to give up.
  receiver_.Stop();
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    server_->Wait();
  }
}

rpc::MirrorStatusReply Mirror::GetStatus() const {
  rpc::MirrorStatusReply reply;
  reply.set_dc(dc_);
  reply.set_shard(partition_index_);
  // Outgoing links first, then incoming (as the status has always listed them).
  const bool sender_idle = sender_.AddStatus(&reply);
  const bool receiver_idle = receiver_.AddStatus(&reply);
  reply.set_idle(sender_idle && receiver_idle);
  reply.set_calls_refused(refusals_->count());
  return reply;
}

}  // namespace gaia::mirror
