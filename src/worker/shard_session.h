// One worker's session with one shard: the `Shard.Session` bidi stream
// (proto/gaia.proto), driven by the gRPC callback API.
//
//   auto session = ShardSession::Start(channel, "host:port", hello);
//   absl::StatusOr<rpc::HelloReply> reply = session->AwaitHello(deadline);
//   auto read = session->Read(table, packed_rows, min_clock);   // async
//   (*read)->done.WaitForNotificationWithDeadline(deadline);
//   session->Send(push_message);                                 // queued
//   session->Close(final_clock, deadline);                       // Goodbye
//
// Writes: one in flight at a time (gRPC allows no more), the rest queued in
// order; ordering on the stream is part of the protocol (a PushBatch before a
// ClockTick belongs to that clock). Send() blocks while more than
// kMaxQueuedBytes are queued, so a fast producer cannot exhaust memory.
//
// Errors: an Error the shard sends about a push (no request id) is kept as a
// sticky background error, returned by error() and every later Send()/Read(),
// like leveldb's bg_error_: the shard rejected updates, so the model no longer
// holds what the worker believes. A broken stream fails every pending read
// with UNAVAILABLE naming the shard address, and becomes the sticky error.
//
// The stream is raw (grpc::ByteBuffer both ways, the proto's wire format):
// messages are serialized by Enqueue, and a read reply's values stay in
// gRPC's receive buffer until GetMany copies them into place
// (shard_reply_decoding.h).
//
// Thread-safe. No lock is held while calling into gRPC.
#ifndef GAIA_SRC_WORKER_SHARD_SESSION_H_
#define GAIA_SRC_WORKER_SHARD_SESSION_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/gaia.grpc.pb.h"
#include "proto/gaia.pb.h"
#include "src/common/link_security.h"
#include "src/common/mutex.h"
#include "src/worker/shard_reply_decoding.h"

namespace gaia::internal {

// A channel to `address` with Gaia's client channel arguments, mutual TLS
// (TCP) and the job token as `security` says (common::LinkSecurity). For a
// same-host Unix socket address (common::IsLocalAddress) it connects at once,
// retrying until `deadline` while nothing listens there; a TCP channel
// connects lazily (wait_for_ready).
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeShardChannel(
    const std::string& address, absl::Time deadline, const common::LinkSecurity& security);

// Completion of one ReadRequest. `status`, `shard_clock` and `values` are
// written before `done` is notified and never after.
struct PendingRead {
  common::Notification done;
  absl::Status status;
  int64_t shard_clock = 0;  // of the reply: rows reflect every clock below it
  ReplyValues values;       // packed float32, rows in request order
  uint64_t request_id = 0;
  // Bytes the session had queued before this request (its position on the
  // stream). Set by Read() before the request can be sent; constant after.
  uint64_t stream_offset = 0;
};

class ShardSession final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  // Queued bytes above which Send() waits for the stream to drain.
  static constexpr size_t kMaxQueuedBytes = 64 << 20;

  // Opens the stream and queues `hello`. The call waits for the channel to
  // become ready (wait_for_ready), so a shard still starting up is fine;
  // AwaitHello bounds the wait.
  static std::unique_ptr<ShardSession> Start(std::shared_ptr<grpc::Channel> channel,
                                             std::string address, rpc::Hello hello);

  // Cancels the stream if still open and waits for gRPC to finish with it.
  ~ShardSession() override;
  ShardSession(const ShardSession&) = delete;
  ShardSession& operator=(const ShardSession&) = delete;

  // Waits for the shard's HelloReply. DEADLINE_EXCEEDED if none by `deadline`;
  // the shard's Error (e.g. wrong job) or the stream failure otherwise.
  absl::StatusOr<rpc::HelloReply> AwaitHello(absl::Time deadline);

  // Sends a ReadRequest; the result arrives in the returned PendingRead. Fails
  // at once if the session is broken.
  absl::StatusOr<std::shared_ptr<PendingRead>> Read(uint32_t table_id,
                                                    std::string packed_row_ids,
                                                    int64_t min_clock);

  // Forgets a read the caller stopped waiting for (its reply is dropped).
  void Abandon(uint64_t request_id);

  // Bytes on the stream ahead of `read` that the shard may not have taken in
  // yet: everything sent after the newest answered read and before `read`.
  // The shard handles a stream's messages in order, so it answers `read` only
  // after taking in these bytes (pushes it adds, reads it answers).
  uint64_t BytesAheadOf(const PendingRead& read) const;

  // Queues a push/clock message. Returns the sticky error if there is one.
  absl::Status Send(const rpc::WorkerMessage& message);
  // Send() for a message already serialized (UpdateBuffer's batches).
  absl::Status SendSerialized(grpc::ByteBuffer message);

  // The sticky background error (OK if none).
  absl::Status error() const;

  // Queues Goodbye{final_clock} followed by the half-close; later Send()s and
  // Read()s fail. Idempotent. Lets a caller close many sessions in parallel.
  void SendGoodbye(int64_t final_clock);

  // SendGoodbye(final_clock), then waits until `deadline` for
  // the shard to end the stream; cancels it after that. Returns the sticky
  // error, or how the stream ended if that was not clean. Idempotent.
  absl::Status Close(int64_t final_clock, absl::Time deadline);

  const std::string& address() const { return address_; }

  // grpc::ClientBidiReactor (called by gRPC only).
  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnWritesDoneDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  enum class WriteAction { kNone, kWrite, kWritesDone };

  explicit ShardSession(std::string address) : address_(std::move(address)) {}

  // Queues a serialized message for writing.
  void Enqueue(grpc::ByteBuffer message) ABSL_LOCKS_EXCLUDED(mu_);
  WriteAction EnqueueLocked(grpc::ByteBuffer message) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  WriteAction NextWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool TakeHoldReleaseLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RunWriteAction(WriteAction action, bool release_hold) ABSL_LOCKS_EXCLUDED(mu_);
  // Takes in a message from the shard; returns the read it answers (removed
  // from pending_), for the caller to notify once mu_ is released.
  std::shared_ptr<PendingRead> Dispatch(DecodedShardMessage& decoded)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FailPendingLocked(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool QueueHasRoom() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return queued_bytes_ <= kMaxQueuedBytes || broken_;
  }
  bool HelloSettled() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return hello_received_ || !hello_status_.ok() || done_;
  }
  bool IsDone() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done_; }

  // Constant after construction.
  const std::string address_;
  std::unique_ptr<grpc::GenericStub> stub_;
  grpc::ClientContext context_;

  // Touched only by gRPC's read reaction chain (one read in flight).
  grpc::ByteBuffer incoming_;
  // Touched only by whoever set write_in_flight_ (one write in flight).
  grpc::ByteBuffer in_flight_;

  mutable common::Mutex mu_;
  std::deque<grpc::ByteBuffer> queue_ ABSL_GUARDED_BY(mu_);  // serialized messages
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t enqueued_total_ ABSL_GUARDED_BY(mu_) = 0;  // bytes ever queued
  uint64_t answered_offset_ ABSL_GUARDED_BY(mu_) = 0;  // newest answered read's
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;        // Goodbye queued
  bool writes_done_started_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;         // no more writes possible
  bool hold_released_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;           // OnDone ran
  grpc::Status final_status_ ABSL_GUARDED_BY(mu_);
  bool hello_received_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status hello_status_ ABSL_GUARDED_BY(mu_);
  rpc::HelloReply hello_reply_ ABSL_GUARDED_BY(mu_);
  absl::Status error_ ABSL_GUARDED_BY(mu_);          // sticky
  uint64_t next_request_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<uint64_t, std::shared_ptr<PendingRead>> pending_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace gaia::internal

#endif  // GAIA_SRC_WORKER_SHARD_SESSION_H_
