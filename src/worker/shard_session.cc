#include "src/worker/shard_session.h"

#include <algorithm>
#include <thread>
#include <utility>

#include <grpcpp/create_channel_posix.h>

#include "absl/strings/str_cat.h"
#include "src/common/byte_buffer.h"
#include "src/common/local_socket.h"
#include "src/common/logging.h"
#include "src/common/rpc_options.h"

namespace gaia::internal {
namespace {

absl::Status FromShardError(const std::string& address, const rpc::Error& error) {
  const std::string message = absl::StrCat("shard ", address, ": ", error.message());
  switch (error.code()) {
    case rpc::Error::INVALID_ARGUMENT: return absl::InvalidArgumentError(message);
    case rpc::Error::NOT_FOUND: return absl::NotFoundError(message);
    case rpc::Error::FAILED_PRECONDITION: return absl::FailedPreconditionError(message);
    case rpc::Error::ABORTED: return absl::AbortedError(message);
    default: return absl::UnknownError(message);
  }
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeShardChannel(
    const std::string& address, absl::Time deadline, const common::LinkSecurity& security) {
  const grpc::ChannelArguments args = common::ClientChannelArguments(common::ServerKind::kShard);
  if (!common::IsLocalAddress(address)) return security.Channel(address, args);
  // A socket we connect ourselves (gRPC cannot size its buffers). The shard
  // may still be starting: retry until the deadline, as wait_for_ready does
  // for TCP.
  while (true) {
    absl::StatusOr<int> fd = common::ConnectLocal(address);
    if (fd.ok()) return security.ChannelFromFd(address, *fd, args);
    if (!absl::IsUnavailable(fd.status()) || absl::Now() >= deadline) {
      return absl::Status(fd.status().code(),
                          absl::StrCat("shard ", fd.status().message(),
                                       " (is the shard running on this host?)"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::unique_ptr<ShardSession> ShardSession::Start(std::shared_ptr<grpc::Channel> channel,
                                                  std::string address, rpc::Hello hello) {
  std::unique_ptr<ShardSession> session(new ShardSession(std::move(address)));
  session->stub_ = std::make_unique<grpc::GenericStub>(std::move(channel));
  session->context_.set_wait_for_ready(true);
  session->stub_->PrepareBidiStreamingCall(
      &session->context_, absl::StrCat("/", rpc::Shard::service_full_name(), "/Session"),
      grpc::StubOptions(), session.get());
  // Writes are started from application threads, outside reactions: the
  // hold keeps gRPC from finishing the call under them (released once no
  // more writes can start).
  session->AddHold();
  session->StartRead(&session->incoming_);
  rpc::WorkerMessage message;
  *message.mutable_hello() = std::move(hello);
  session->Enqueue(common::SerializeToByteBuffer(message));
  session->StartCall();
  return session;
}

ShardSession::~ShardSession() {
  context_.TryCancel();
  common::MutexLock lock(&mu_);
  mu_.Await([this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return IsDone(); });
}

absl::StatusOr<rpc::HelloReply> ShardSession::AwaitHello(absl::Time deadline) {
  common::MutexLock lock(&mu_);
  if (!mu_.AwaitWithDeadline([this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return HelloSettled(); },
                             deadline)) {
    return absl::DeadlineExceededError(
        absl::StrCat("shard ", address_, ": no answer to Hello before the connect "
                     "timeout (is the shard running and reachable?)"));
  }
  if (hello_received_) return hello_reply_;
  if (!hello_status_.ok()) return hello_status_;
  if (!error_.ok()) return error_;  // e.g. an undecodable message
  return absl::UnavailableError(absl::StrCat("shard ", address_,
                                             ": stream closed during Hello: ",
                                             final_status_.error_message()));
}

absl::StatusOr<std::shared_ptr<PendingRead>> ShardSession::Read(uint32_t table_id,
                                                                std::string packed_row_ids,
                                                                int64_t min_clock) {
  auto pending = std::make_shared<PendingRead>();
  rpc::WorkerMessage message;
  {
    common::MutexLock lock(&mu_);
    if (!error_.ok()) return error_;
    if (broken_ || closing_) {
      return absl::UnavailableError(absl::StrCat("shard ", address_, ": session closed"));
    }
    pending->request_id = next_request_id_++;
    pending_.emplace(pending->request_id, pending);
  }
  rpc::ReadRequest* read = message.mutable_read();
  read->set_request_id(pending->request_id);
  read->set_table_id(table_id);
  read->set_row_ids(std::move(packed_row_ids));
  read->set_min_clock(min_clock);
  grpc::ByteBuffer buffer = common::SerializeToByteBuffer(message);
  WriteAction action;
  {
    common::MutexLock lock(&mu_);
    pending->stream_offset = enqueued_total_;
    action = EnqueueLocked(std::move(buffer));
  }
  RunWriteAction(action, /*release_hold=*/false);
  return pending;
}

uint64_t ShardSession::BytesAheadOf(const PendingRead& read) const {
  common::MutexLock lock(&mu_);
  return read.stream_offset > answered_offset_ ? read.stream_offset - answered_offset_ : 0;
}

void ShardSession::Abandon(uint64_t request_id) {
  common::MutexLock lock(&mu_);
  pending_.erase(request_id);
}

absl::Status ShardSession::Send(const rpc::WorkerMessage& message) {
  return SendSerialized(common::SerializeToByteBuffer(message));
}

absl::Status ShardSession::SendSerialized(grpc::ByteBuffer message) {
  {
    common::MutexLock lock(&mu_);
    mu_.Await([this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return QueueHasRoom(); });
    if (!error_.ok()) return error_;
    if (broken_ || closing_) {
      return absl::UnavailableError(absl::StrCat("shard ", address_, ": session closed"));
    }
  }
  Enqueue(std::move(message));
  return absl::OkStatus();
}

absl::Status ShardSession::error() const {
  common::MutexLock lock(&mu_);
  return error_;
}

void ShardSession::Enqueue(grpc::ByteBuffer buffer) {
  WriteAction action;
  {
    common::MutexLock lock(&mu_);
    action = EnqueueLocked(std::move(buffer));
  }
  RunWriteAction(action, /*release_hold=*/false);
}

ShardSession::WriteAction ShardSession::EnqueueLocked(grpc::ByteBuffer buffer) {
  if (broken_) return WriteAction::kNone;  // the caller sees the failure via error()/reads
  enqueued_total_ += buffer.Length();
  queued_bytes_ += buffer.Length();
  queue_.push_back(std::move(buffer));
  return NextWriteLocked();
}

ShardSession::WriteAction ShardSession::NextWriteLocked() {
  if (write_in_flight_ || broken_) return WriteAction::kNone;
  if (!queue_.empty()) {
    in_flight_ = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= std::min(queued_bytes_, in_flight_.Length());
    write_in_flight_ = true;
    return WriteAction::kWrite;
  }
  if (closing_ && !writes_done_started_) {
    writes_done_started_ = true;
    write_in_flight_ = true;
    return WriteAction::kWritesDone;
  }
  return WriteAction::kNone;
}

bool ShardSession::TakeHoldReleaseLocked() {
  if (hold_released_ || write_in_flight_) return false;
  if (!broken_ && !writes_done_started_) return false;
  hold_released_ = true;
  return true;
}

void ShardSession::RunWriteAction(WriteAction action, bool release_hold) {
  if (action == WriteAction::kWrite) StartWrite(&in_flight_);
  if (action == WriteAction::kWritesDone) StartWritesDone();
  if (release_hold) RemoveHold();
}

void ShardSession::OnWriteDone(bool ok) {
  WriteAction action;
  bool release_hold;
  {
    common::MutexLock lock(&mu_);
    write_in_flight_ = false;
    if (!ok) broken_ = true;
    action = NextWriteLocked();
    release_hold = TakeHoldReleaseLocked();
  }
  RunWriteAction(action, release_hold);
}

void ShardSession::OnWritesDoneDone(bool /*ok*/) {
  bool release_hold;
  {
    common::MutexLock lock(&mu_);
    write_in_flight_ = false;
    release_hold = TakeHoldReleaseLocked();
  }
  RunWriteAction(WriteAction::kNone, release_hold);
}

void ShardSession::OnReadDone(bool ok) {
  if (!ok) {
    // The shard ended the stream (or it broke); OnDone brings the status.
    bool release_hold;
    {
      common::MutexLock lock(&mu_);
      broken_ = true;
      release_hold = TakeHoldReleaseLocked();
    }
    RunWriteAction(WriteAction::kNone, release_hold);
    return;
  }
  DecodedShardMessage decoded;
  if (absl::Status s = DecodeShardMessage(std::move(incoming_), &decoded); !s.ok()) {
    // A protocol violation: no more reads; the stream is cancelled, and
    // OnDone fails every pending read. `error_` says why.
    bool release_hold;
    {
      common::MutexLock lock(&mu_);
      if (error_.ok()) {
        error_ = absl::InternalError(absl::StrCat("shard ", address_, ": ", s.message()));
      }
      broken_ = true;
      release_hold = TakeHoldReleaseLocked();
    }
    context_.TryCancel();
    RunWriteAction(WriteAction::kNone, release_hold);
    return;
  }
  // The answered read is woken after mu_ is released, so that a reader woken
  // at once does not block on mu_ with its next request (measured: ~1.5 us
  // off a 1-row round trip against waking it under mu_).
  std::shared_ptr<PendingRead> answered;
  {
    common::MutexLock lock(&mu_);
    answered = Dispatch(decoded);
  }
  if (answered != nullptr) answered->done.Notify();
  StartRead(&incoming_);
}

std::shared_ptr<PendingRead> ShardSession::Dispatch(DecodedShardMessage& decoded) {
  if (decoded.is_read) {
    auto it = pending_.find(decoded.request_id);
    if (it == pending_.end()) return nullptr;  // abandoned after a timeout
    std::shared_ptr<PendingRead> pending = std::move(it->second);
    pending_.erase(it);
    answered_offset_ = std::max(answered_offset_, pending->stream_offset);
    pending->shard_clock = decoded.shard_clock;
    pending->values = std::move(decoded.values);
    return pending;
  }
  rpc::ShardMessage& message = decoded.message;
  switch (message.kind_case()) {
    case rpc::ShardMessage::kHello:
      hello_reply_ = std::move(*message.mutable_hello());
      hello_received_ = true;
      return nullptr;
    case rpc::ShardMessage::kError: {
      const rpc::Error& error = message.error();
      absl::Status status = FromShardError(address_, error);
      if (error.request_id() != 0) {
        auto it = pending_.find(error.request_id());
        if (it == pending_.end()) return nullptr;
        std::shared_ptr<PendingRead> pending = std::move(it->second);
        pending_.erase(it);
        answered_offset_ = std::max(answered_offset_, pending->stream_offset);
        pending->status = std::move(status);
        return pending;
      }
      if (!hello_received_) {
        hello_status_ = status;
        return nullptr;
      }
      common::Logger("worker")->error("shard {}: error for clock {}: {}", address_,
                                      error.push_clock(), error.message());
      if (error_.ok()) {
        error_ = error.push_clock() == 0
                     ? status
                     : absl::Status(status.code(),
                                    absl::StrCat(status.message(), " (push of clock ",
                                                 error.push_clock(), ")"));
      }
      return nullptr;
    }
    default:
      return nullptr;  // a newer shard's message kind; ignore
  }
}

void ShardSession::FailPendingLocked(const absl::Status& status) {
  for (auto& [id, pending] : pending_) {
    pending->status = status;
    pending->done.Notify();
  }
  pending_.clear();
}

void ShardSession::OnDone(const grpc::Status& status) {
  common::MutexLock lock(&mu_);
  done_ = true;
  broken_ = true;
  final_status_ = status;
  const absl::Status failure = absl::UnavailableError(absl::StrCat(
      "shard ", address_, ": session ended (", status.error_code(), ": ",
      status.error_message().empty() ? "no message" : status.error_message(), ")"));
  FailPendingLocked(failure);
  if (error_.ok() && !closing_) error_ = failure;
  queue_.clear();
  queued_bytes_ = 0;
}

void ShardSession::SendGoodbye(int64_t final_clock) {
  WriteAction action = WriteAction::kNone;
  {
    common::MutexLock lock(&mu_);
    if (closing_) return;
    closing_ = true;
    if (!broken_) {
      rpc::WorkerMessage goodbye;
      goodbye.mutable_goodbye()->set_final_clock(final_clock);
      grpc::ByteBuffer buffer = common::SerializeToByteBuffer(goodbye);
      queued_bytes_ += buffer.Length();
      queue_.push_back(std::move(buffer));
      action = NextWriteLocked();
    }
  }
  RunWriteAction(action, /*release_hold=*/false);
}

absl::Status ShardSession::Close(int64_t final_clock, absl::Time deadline) {
  SendGoodbye(final_clock);

  bool cancelled = false;
  {
    common::MutexLock lock(&mu_);
    cancelled =
        !mu_.AwaitWithDeadline([this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return IsDone(); }, deadline);
  }
  // Not under mu_: gRPC may run reactions (which lock mu_) inside TryCancel.
  if (cancelled) context_.TryCancel();
  common::MutexLock lock(&mu_);
  mu_.Await([this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return IsDone(); });
  if (!error_.ok()) return error_;
  if (cancelled) {
    return absl::DeadlineExceededError(
        absl::StrCat("shard ", address_, ": did not end the session after Goodbye"));
  }
  if (!final_status_.ok()) {
    return absl::UnavailableError(absl::StrCat("shard ", address_, ": session ended with ",
                                               final_status_.error_message()));
  }
  return absl::OkStatus();
}

}  // namespace gaia::internal
