#include "src/mirror/mirror_service.h"

#include <utility>

namespace gaia::mirror {

void InboundStream::Begin(std::shared_ptr<InboundStream> self) {
  {
    common::MutexLock lock(&mu_);
    self_ = std::move(self);
  }
  StartRead(&incoming_);
}

void InboundStream::ReadNext() {
  {
    common::MutexLock lock(&mu_);
    if (done_ || finish_requested_) return;
  }
  StartRead(&incoming_);
}

void InboundStream::Reply(rpc::MirrorReply reply) {
  {
    common::MutexLock lock(&mu_);
    if (done_ || finish_requested_) return;
    if (reply.has_ack() && !replies_.empty() && replies_.back().has_ack()) {
      replies_.back() = std::move(reply);  // the newer ack covers the older
    } else {
      replies_.push_back(std::move(reply));
    }
  }
  Pump();
}

void InboundStream::Fail(const absl::Status& status) {
  {
    common::MutexLock lock(&mu_);
    if (done_ || finish_requested_) return;
    rpc::MirrorReply reply;
    rpc::Error* error = reply.mutable_error();
    error->set_code(status.code() == absl::StatusCode::kInvalidArgument
                        ? rpc::Error::INVALID_ARGUMENT
                        : rpc::Error::FAILED_PRECONDITION);
    error->set_message(std::string(status.message()));
    replies_.push_back(std::move(reply));
    finish_requested_ = true;
    finish_status_ = grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                                  std::string(status.message()));
  }
  Pump();
}

void InboundStream::Pump() {
  enum { kNone, kWrite, kFinish } action = kNone;
  grpc::Status status;
  {
    common::MutexLock lock(&mu_);
    if (done_ || write_in_flight_ || finished_) return;
    if (!replies_.empty()) {
      outgoing_ = std::move(replies_.front());
      replies_.pop_front();
      write_in_flight_ = true;
      action = kWrite;
    } else if (finish_requested_) {
      finished_ = true;
      status = finish_status_;
      action = kFinish;
    }
  }
  // outgoing_ is untouched until OnWriteDone.
  if (action == kWrite) StartWrite(&outgoing_);
  if (action == kFinish) Finish(status);
}

int64_t InboundStream::peer_dc() const {
  common::MutexLock lock(&mu_);
  return peer_dc_;
}

void InboundStream::set_peer_dc(uint32_t dc) {
  common::MutexLock lock(&mu_);
  peer_dc_ = dc;
}

bool InboundStream::done() const {
  common::MutexLock lock(&mu_);
  return done_ || finish_requested_;
}

void InboundStream::OnReadDone(bool ok) {
  if (!ok) {
    // The sender closed its side or the stream broke: finish after the
    // replies already queued.
    {
      common::MutexLock lock(&mu_);
      if (!finish_requested_) {
        finish_requested_ = true;
        finish_status_ = grpc::Status::OK;
      }
    }
    Pump();
    return;
  }
  std::shared_ptr<InboundStream> self;
  {
    common::MutexLock lock(&mu_);
    self = self_;
  }
  if (self) handler_->OnInbound(std::move(self), std::move(incoming_));
}

void InboundStream::OnWriteDone(bool ok) {
  {
    common::MutexLock lock(&mu_);
    write_in_flight_ = false;
    if (!ok) {
      replies_.clear();
      if (!finish_requested_) {
        finish_requested_ = true;
        finish_status_ = grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed");
      }
    }
  }
  Pump();
}

void InboundStream::OnDone() {
  std::shared_ptr<InboundStream> self;
  {
    common::MutexLock lock(&mu_);
    done_ = true;
    self = std::move(self_);
  }
  // `self` may be the last reference: the stream is destroyed on return,
  // after which gRPC no longer touches it.
}

grpc::ServerBidiReactor<rpc::MirrorMessage, rpc::MirrorReply>* MirrorService::Link(
    grpc::CallbackServerContext* /*context*/) {
  auto stream = std::make_shared<InboundStream>(handler_);
  stream->Begin(stream);
  return stream.get();
}

grpc::ServerUnaryReactor* MirrorService::Flush(grpc::CallbackServerContext* context,
                                               const rpc::FlushRequest* /*request*/,
                                               rpc::FlushReply* reply) {
  reply->set_elements_flushed(handler_->FlushNow());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* MirrorService::Status(grpc::CallbackServerContext* context,
                                                const rpc::MirrorStatusRequest* /*request*/,
                                                rpc::MirrorStatusReply* reply) {
  *reply = handler_->StatusNow();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace gaia::mirror
