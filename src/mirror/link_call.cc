#include "src/mirror/link_call.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "src/common/rpc_options.h"

namespace gaia::mirror {

std::shared_ptr<grpc::Channel> MirrorChannel(
    const std::string& address, const std::shared_ptr<const common::LinkSecurity>& security) {
  const common::LinkSecurity& s =
      security != nullptr ? *security : *common::LinkSecurity::Plaintext();
  return s.Channel(address, common::ClientChannelArguments(common::ServerKind::kMirror));
}

std::unique_ptr<LinkCall> LinkCall::Start(
    const std::string& address, rpc::MirrorHello hello, Events events,
    const std::shared_ptr<const common::LinkSecurity>& security) {
  std::unique_ptr<LinkCall> call(new LinkCall(address, std::move(events)));
  call->stub_ = rpc::Mirror::NewStub(MirrorChannel(address, security));
  // Messages may be gzip-compressed; Write chooses per message.
  call->context_.set_compression_algorithm(GRPC_COMPRESS_GZIP);
  call->stub_->async()->Link(&call->context_, call.get());
  // Writes start from the mirror client thread, outside reactions: the hold
  // keeps gRPC from finishing the call under them.
  call->AddHold();
  call->StartRead(&call->incoming_);
  {
    common::MutexLock lock(&call->mu_);
    *call->outgoing_.mutable_hello() = std::move(hello);
    call->write_in_flight_ = true;
    call->StartWrite(&call->outgoing_);
  }
  call->StartCall();
  return call;
}

LinkCall::~LinkCall() {
  context_.TryCancel();
  common::MutexLock lock(&mu_);
  mu_.Await([this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return done_; });
}

bool LinkCall::Write(rpc::MirrorMessage message, bool compress) {
  {
    common::MutexLock lock(&mu_);
    if (write_in_flight_ || broken_) return false;
    outgoing_ = std::move(message);
    write_in_flight_ = true;
  }
  // outgoing_ is not touched again until OnWriteDone.
  grpc::WriteOptions options;
  if (!compress) options.set_no_compression();
  StartWrite(&outgoing_, options);
  return true;
}

bool LinkCall::writable() const {
  common::MutexLock lock(&mu_);
  return !write_in_flight_ && !broken_;
}

bool LinkCall::done() const {
  common::MutexLock lock(&mu_);
  return done_;
}

void LinkCall::MaybeReleaseHold() {
  {
    common::MutexLock lock(&mu_);
    if (hold_released_ || write_in_flight_ || !broken_) return;
    hold_released_ = true;
  }
  RemoveHold();
}

void LinkCall::OnWriteDone(bool ok) {
  {
    common::MutexLock lock(&mu_);
    write_in_flight_ = false;
    if (!ok) broken_ = true;
  }
  MaybeReleaseHold();
  if (ok && events_.on_write_done) events_.on_write_done();
}

void LinkCall::OnReadDone(bool ok) {
  if (!ok) {
    {
      common::MutexLock lock(&mu_);
      broken_ = true;
    }
    MaybeReleaseHold();
    return;
  }
  switch (incoming_.kind_case()) {
    case rpc::MirrorReply::kWelcome:
      if (events_.on_welcome) events_.on_welcome(incoming_.welcome().next_seq());
      break;
    case rpc::MirrorReply::kAck:
      if (events_.on_ack) events_.on_ack(incoming_.ack().acked_through());
      break;
    case rpc::MirrorReply::kError: {
      common::MutexLock lock(&mu_);
      error_ = absl::FailedPreconditionError(
          absl::StrCat("mirror peer ", address_, ": ", incoming_.error().message()));
      break;
    }
    default:
      break;  // a newer peer's message kind
  }
  StartRead(&incoming_);
}

void LinkCall::OnDone(const grpc::Status& status) {
  absl::Status result;
  {
    common::MutexLock lock(&mu_);
    broken_ = true;
    result = error_.ok() ? absl::UnavailableError(absl::StrCat(
                               "mirror link to ", address_, " ended (", status.error_code(),
                               ": ", status.error_message(), ")"))
                         : error_;
  }
  if (events_.on_done) events_.on_done(result);
  // Last statement: the destructor may run as soon as done_ is set.
  common::MutexLock lock(&mu_);
  done_ = true;
}

}  // namespace gaia::mirror
