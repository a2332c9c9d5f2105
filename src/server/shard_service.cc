#include "src/server/shard_service.h"

#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "src/common/mutex.h"
#include "src/common/logging.h"
#include "src/server/shard_message_encoding.h"

namespace gaia::server {
namespace {

using Reactor = grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>;

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

rpc::ShardMessage ErrorMessage(const absl::Status& status) {
  rpc::ShardMessage message;
  message.mutable_error()->set_code(ToWireCode(status.code()));
  message.mutable_error()->set_message(std::string(status.message()));
  return message;
}

class SessionReactor;

// The handle ShardCore keeps to a stream: forwards to the reactor while it
// exists. Lock order: Link::mu_ before SessionReactor::mu_.
class Link final : public SessionLink {
 public:
  explicit Link(SessionReactor* reactor) : reactor_(reactor) {}
  void Deliver(rpc::ShardMessage message) override;
  void Close(const absl::Status& status) override;
  // The reactor is about to be deleted.
  void Detach() {
    common::MutexLock lock(&mu_);
    reactor_ = nullptr;
  }

 private:
  common::Mutex mu_;
  SessionReactor* reactor_ ABSL_GUARDED_BY(mu_);  // null once the stream is done
};

// One worker's Session stream.
//
// Reads: after a bulk message (kReadAheadMinBytes or more: a push) the next
// message is requested before the current one is handled (decoded,
// validated, added into the table), so that gRPC receives it meanwhile.
// gRPC opens its connection window only for the message a reader waits for;
// requesting the next read only after handling the current one left the link
// idle during every handling (docs/PERFORMANCE.md). After a small message
// the next read is requested once it is handled: requested first, its window
// update went out ahead of a read's reply and cost the 1-row round trip over
// TCP ~25 us. At most kReadAhead messages wait, received but not handled, so
// memory stays bounded.
//
// Messages are handled strictly in stream order, one at a time, by whichever
// reaction finds no other draining `received_` (`draining_`); a reaction that
// arrives meanwhile queues its message and returns. The session fields below
// are therefore touched by one thread at a time.
//
// Writes may be requested from any thread (released reads are delivered by
// whichever thread advanced the clock): one write is in flight, the rest wait
// in `outbox_`. StartRead/StartWrite/Finish are issued under mu_ so none can
// follow Finish(); gRPC never runs a reaction inline from them, so this
// cannot deadlock.
class SessionReactor final : public Reactor {
 public:
  SessionReactor(std::shared_ptr<ShardCore> core, std::string peer)
      : core_(std::move(core)), peer_(std::move(peer)) {
    link_ = std::make_shared<Link>(this);
    if (absl::Status s = core_->Attach(link_); !s.ok()) {
      common::MutexLock lock(&mu_);
      RequestFinishLocked(ToGrpcStatus(s));
      return;
    }
    common::MutexLock lock(&mu_);
    MaybeStartReadLocked();
  }

  // Queues a message; dropped if the stream has finished. Thread-safe.
  void Send(rpc::ShardMessage message) {
    grpc::ByteBuffer encoded = EncodeShardMessage(std::move(message));
    common::MutexLock lock(&mu_);
    if (finished_) return;
    outbox_.push_back(std::move(encoded));
    if (!writing_) {
      writing_ = true;
      StartWrite(&outbox_.front());
    }
  }

  // Ends the stream with `status` after the queued messages. Thread-safe.
  void Close(const grpc::Status& status) {
    common::MutexLock lock(&mu_);
    RequestFinishLocked(status);
  }

 private:
  // Received messages not yet handled, beyond the one being handled.
  static constexpr size_t kReadAhead = 1;
  // Messages at least this large are handled while the next one is received.
  static constexpr size_t kReadAheadMinBytes = 64 << 10;

  // A received message, or (nullopt) the end of the worker's messages.
  using Received = std::optional<grpc::ByteBuffer>;

  void OnReadDone(bool ok) override {
    {
      common::MutexLock lock(&mu_);
      read_in_flight_ = false;
      if (ok) {
        grpc::ByteBuffer buffer;
        buffer.Swap(&incoming_buffer_);
        received_.push_back(std::move(buffer));
      } else {  // half-close by the worker, or the stream broke
        input_ended_ = true;
        received_.push_back(std::nullopt);
      }
      if (draining_) return;  // that reaction handles this message in turn
      draining_ = true;
    }
    Drain();
  }

  // Handles received messages in order until none is left.
  void Drain() {
    while (true) {
      Received next;
      {
        common::MutexLock lock(&mu_);
        if (received_.empty() || finish_requested_) {
          received_.clear();  // a finishing stream handles nothing more
          draining_ = false;
          MaybeStartReadLocked();
          return;
        }
        next = std::move(received_.front());
        received_.pop_front();
        // A bulk message (a push) is likely followed by more: receive the
        // next one while this one is handled. After a small one (a read
        // request) the next read starts once it is answered, so that no
        // window update is written ahead of the reply.
        if (next.has_value() && next->Length() >= kReadAheadMinBytes) MaybeStartReadLocked();
      }
      std::optional<grpc::Status> end =
          next.has_value() ? HandleReceived(&*next) : std::optional(grpc::Status::OK);
      if (end.has_value()) {
        common::MutexLock lock(&mu_);
        RequestFinishLocked(*end);
      }
    }
  }

  // Requests the next message unless one is in flight, the read-ahead is
  // full, or the stream ends.
  void MaybeStartReadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (read_in_flight_ || input_ended_ || finish_requested_ ||
        received_.size() >= kReadAhead) {
      return;
    }
    read_in_flight_ = true;
    StartRead(&incoming_buffer_);
  }

  // Decodes and handles one message. Returns the status to end the stream
  // with, or nullopt to keep reading.
  std::optional<grpc::Status> HandleReceived(grpc::ByteBuffer* buffer) {
    DecodedWorkerMessage decoded;
    if (absl::Status s = DecodeWorkerMessage(buffer, &decoded); !s.ok()) {
      common::Logger("server")->warn("ending session from {}: {}", peer_, s.ToString());
      SendError(s, std::nullopt, std::nullopt);
      return ToGrpcStatus(s);
    }
    return Handle(decoded);
  }

  void OnWriteDone(bool ok) override {
    common::MutexLock lock(&mu_);
    outbox_.pop_front();
    writing_ = false;
    if (!ok) {  // the stream is broken; nothing more can be written
      outbox_.clear();
      RequestFinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed"));
      return;
    }
    if (!outbox_.empty() && !finished_) {
      writing_ = true;
      StartWrite(&outbox_.front());
      return;
    }
    MaybeFinishLocked();
  }

  void OnCancel() override {
    common::MutexLock lock(&mu_);
    RequestFinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    link_->Detach();
    core_->Detach(link_, worker_, said_goodbye_);
    delete this;
  }

  void RequestFinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!finish_requested_) {
      finish_requested_ = true;
      finish_status_ = std::move(status);
    }
    MaybeFinishLocked();
  }

  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finish_requested_ && !finished_ && !writing_) {
      finished_ = true;
      Finish(finish_status_);
    }
  }

  void SendError(const absl::Status& status, std::optional<uint64_t> request_id,
                 std::optional<int64_t> push_clock) {
    rpc::ShardMessage message = ErrorMessage(status);
    if (request_id) message.mutable_error()->set_request_id(*request_id);
    if (push_clock) message.mutable_error()->set_push_clock(*push_clock);
    Send(std::move(message));
  }

  // Handles one decoded message. Returns the status to end the stream with,
  // or nullopt to keep reading.
  std::optional<grpc::Status> Handle(DecodedWorkerMessage& incoming);

  const std::shared_ptr<ShardCore> core_;
  const std::string peer_;
  std::shared_ptr<Link> link_;  // set in the constructor, then constant

  // Touched only by the draining reaction (see class comment).
  std::optional<uint32_t> worker_;  // set by a successful Hello
  bool said_goodbye_ = false;

  // Guards the read state, the write queue and the finish state.
  common::Mutex mu_;
  grpc::ByteBuffer incoming_buffer_ ABSL_GUARDED_BY(mu_);  // target of the read in flight
  bool read_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<Received> received_ ABSL_GUARDED_BY(mu_);
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool input_ended_ ABSL_GUARDED_BY(mu_) = false;  // a read failed: no more come
  std::deque<grpc::ByteBuffer> outbox_ ABSL_GUARDED_BY(mu_);  // front in flight if writing_
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_requested_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status finish_status_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;  // Finish() was called
};

void Link::Deliver(rpc::ShardMessage message) {
  common::MutexLock lock(&mu_);
  if (reactor_ != nullptr) reactor_->Send(std::move(message));
}

void Link::Close(const absl::Status& status) {
  common::MutexLock lock(&mu_);
  if (reactor_ != nullptr) reactor_->Close(ToGrpcStatus(status));
}

std::optional<grpc::Status> SessionReactor::Handle(DecodedWorkerMessage& incoming) {
  rpc::WorkerMessage& message = incoming.message;
  if (!worker_.has_value()) {
    absl::Status status;
    if (message.kind_case() != rpc::WorkerMessage::kHello) {
      status = absl::FailedPreconditionError("the first message of a session must be Hello");
    } else {
      absl::StatusOr<rpc::HelloReply> reply = core_->Hello(message.hello());
      if (reply.ok()) {
        worker_ = message.hello().worker_id();
        rpc::ShardMessage out;
        *out.mutable_hello() = std::move(*reply);
        Send(std::move(out));
        return std::nullopt;
      }
      status = reply.status();
    }
    common::Logger("server")->warn("refused session from {}: {}", peer_, status.ToString());
    SendError(status, std::nullopt, std::nullopt);
    return ToGrpcStatus(status);
  }

  const uint32_t worker = *worker_;
  switch (message.kind_case()) {
    case rpc::WorkerMessage::kHello:
      SendError(absl::FailedPreconditionError("duplicate Hello on a session"), std::nullopt,
                std::nullopt);
      break;
    case rpc::WorkerMessage::kPush: {
      const int64_t clock = message.push().clock();
      absl::Status s = said_goodbye_ ? absl::FailedPreconditionError("PushBatch after Goodbye")
                                     : core_->Push(worker, message.push(), incoming.values);
      if (!s.ok()) SendError(s, std::nullopt, clock);
      break;
    }
    case rpc::WorkerMessage::kClock:
      if (absl::Status s = core_->Tick(worker, message.clock().clock(),
                                           message.clock().learning_rate()); !s.ok()) {
        SendError(s, std::nullopt, std::nullopt);
      }
      break;
    case rpc::WorkerMessage::kRead: {
      const uint64_t request_id = message.read().request_id();
      absl::StatusOr<std::optional<rpc::ReadReply>> reply =
          core_->Read(std::move(*message.mutable_read()), link_);
      if (!reply.ok()) {
        SendError(reply.status(), request_id, std::nullopt);
      } else if (reply->has_value()) {
        rpc::ShardMessage out;
        *out.mutable_read() = std::move(**reply);
        Send(std::move(out));
      }
      break;
    }
    case rpc::WorkerMessage::kGoodbye:
      if (absl::Status s = core_->Goodbye(worker, message.goodbye().final_clock()); !s.ok()) {
        SendError(s, std::nullopt, std::nullopt);
      } else {
        said_goodbye_ = true;
      }
      break;
    case rpc::WorkerMessage::KIND_NOT_SET:
      SendError(absl::InvalidArgumentError("empty WorkerMessage"), std::nullopt, std::nullopt);
      break;
  }
  return std::nullopt;
}

}  // namespace

rpc::Error::Code ToWireCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return rpc::Error::INVALID_ARGUMENT;
    case absl::StatusCode::kNotFound:
      return rpc::Error::NOT_FOUND;
    case absl::StatusCode::kFailedPrecondition:
      return rpc::Error::FAILED_PRECONDITION;
    case absl::StatusCode::kAborted:
      return rpc::Error::ABORTED;
    default:
      return rpc::Error::UNKNOWN;
  }
}

// A session refused by the token check: finishes before reading anything.
class RefusedSession final : public Reactor {
 public:
  RefusedSession() {
    Finish(grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "refused: no or wrong job token"));
  }
  void OnDone() override { delete this; }
};

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* ShardService::Session(
    grpc::CallbackServerContext* context) {
  if (!gate_.Admit(*context)) return new RefusedSession();
  return new SessionReactor(core_, context->peer());
}

}  // namespace gaia::server
