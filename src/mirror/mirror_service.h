// The server side of the mirror's gRPC service (proto/gaia.proto `Mirror`):
// one InboundStream reactor per incoming directed link, plus the unary Flush
// and Status calls. It only moves messages; what they mean is decided by the
// InboundHandler (the mirror, src/mirror/mirror.h, which hands them to its
// receiver, src/mirror/mirror_receiver.h).
//
// Thread-safe.
#ifndef GAIA_SRC_MIRROR_MIRROR_SERVICE_H_
#define GAIA_SRC_MIRROR_MIRROR_SERVICE_H_

#include <cstdint>
#include <deque>
#include <memory>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "proto/gaia.grpc.pb.h"
#include "proto/gaia.pb.h"
#include "src/common/mutex.h"

namespace gaia::mirror {

// One incoming directed link as the mirror receiver sees it: InboundStream
// over gRPC, or a test's fake (tests/mirror/fake_shard.h). Thread-safe;
// calls after the link ended are ignored.
class InboundLink {
 public:
  virtual ~InboundLink() = default;
  // Reads the next message (after the handler processed the last one).
  virtual void ReadNext() = 0;
  // Queues a reply (acks coalesce: only the newest queued one is sent).
  virtual void Reply(rpc::MirrorReply reply) = 0;
  // Sends an error reply and ends the link with `status`.
  virtual void Fail(const absl::Status& status) = 0;
  // The peer DC once its hello was accepted; -1 before.
  virtual int64_t peer_dc() const = 0;
  virtual void set_peer_dc(uint32_t dc) = 0;
  virtual bool done() const = 0;
};

class InboundHandler {
 public:
  virtual ~InboundHandler() = default;
  // A message arrived on `stream`. The stream reads nothing more until the
  // handler calls stream->ReadNext(). Called on a gRPC thread: must not block.
  virtual void OnInbound(std::shared_ptr<InboundLink> stream, rpc::MirrorMessage message) = 0;
  // Elements queued by an on-demand flush.
  virtual uint64_t FlushNow() = 0;
  virtual rpc::MirrorStatusReply StatusNow() const = 0;
};

// One incoming link. Replies are written in order, one at a time; queued
// acks are coalesced (only the newest is sent).
class InboundStream final : public InboundLink,
                            public grpc::ServerBidiReactor<rpc::MirrorMessage, rpc::MirrorReply>,
                            public std::enable_shared_from_this<InboundStream> {
 public:
  explicit InboundStream(InboundHandler* handler) : handler_(handler) {}

  // Starts the first read; keeps itself alive until gRPC is done with it.
  void Begin(std::shared_ptr<InboundStream> self);

  // InboundLink.
  void ReadNext() override;
  void Reply(rpc::MirrorReply reply) override;
  void Fail(const absl::Status& status) override;
  int64_t peer_dc() const override;
  void set_peer_dc(uint32_t dc) override;
  bool done() const override;

 private:
  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override;
  // Nothing to do: a cancelled call ends through OnReadDone(false) when a
  // read is pending, and otherwise the handler holds the last message and
  // must ReadNext or Fail the stream (MirrorReceiver does, also when it
  // stops); gRPC waits for that Finish.
  void OnCancel() override {}
  // Starts the next write or the Finish if due. REQUIRES: mu_ not held.
  void Pump();

  InboundHandler* const handler_;
  rpc::MirrorMessage incoming_;

  mutable common::Mutex mu_;
  std::shared_ptr<InboundStream> self_ ABSL_GUARDED_BY(mu_);
  std::deque<rpc::MirrorReply> replies_ ABSL_GUARDED_BY(mu_);
  rpc::MirrorReply outgoing_ ABSL_GUARDED_BY(mu_);
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status finish_status_ ABSL_GUARDED_BY(mu_);
  int64_t peer_dc_ ABSL_GUARDED_BY(mu_) = -1;
};

class MirrorService final : public rpc::Mirror::CallbackService {
 public:
  explicit MirrorService(InboundHandler* handler) : handler_(handler) {}

  grpc::ServerBidiReactor<rpc::MirrorMessage, rpc::MirrorReply>* Link(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* Flush(grpc::CallbackServerContext* context,
                                  const rpc::FlushRequest* request,
                                  rpc::FlushReply* reply) override;
  grpc::ServerUnaryReactor* Status(grpc::CallbackServerContext* context,
                                   const rpc::MirrorStatusRequest* request,
                                   rpc::MirrorStatusReply* reply) override;

 private:
  InboundHandler* const handler_;
};

}  // namespace gaia::mirror

#endif  // GAIA_SRC_MIRROR_MIRROR_SERVICE_H_
