// One attempt at a directed mirror link: the client side of a `Mirror.Link`
// stream (proto/gaia.proto), driven by the gRPC callback API. The mirror
// client makes a new LinkCall after each failure; what must survive a
// reconnect (sequence numbers, unacknowledged batches) lives in the mirror,
// not here.
//
// Events are delivered on gRPC threads with no LinkCall lock held; they must
// not block. At most one write is in flight: Write() returns false while one
// is (wait for on_write_done).
//
// Thread-safe.
#ifndef GAIA_SRC_MIRROR_LINK_CALL_H_
#define GAIA_SRC_MIRROR_LINK_CALL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "proto/gaia.grpc.pb.h"
#include "proto/gaia.pb.h"
#include "src/common/link_security.h"
#include "src/common/mutex.h"

namespace gaia::mirror {

// A channel to a mirror at `address` (or to a relay in front of one):
// mutual TLS and the job token when `security` says so (null: plaintext).
// With TLS the client checks the far mirror's certificate, not the dialed
// relay's address (common::LinkSecurity).
std::shared_ptr<grpc::Channel> MirrorChannel(
    const std::string& address, const std::shared_ptr<const common::LinkSecurity>& security);

// One attempt at a directed link as the mirror sender drives it: LinkCall
// over gRPC, or a test's fake (tests/mirror/fake_shard.h) so the sender's
// logic runs without a network.
class OutgoingLink {
 public:
  // Delivered on the transport's threads, with no lock of the link held.
  struct Events {
    std::function<void(uint64_t next_seq)> on_welcome;
    std::function<void(uint64_t acked_through)> on_ack;
    std::function<void()> on_write_done;
    // Last event: the stream is over (error from the peer, or broken).
    std::function<void(const absl::Status&)> on_done;
  };

  // Ends the attempt (cancels it if still open) and waits until no event
  // will be delivered any more.
  virtual ~OutgoingLink() = default;

  // Starts writing `message`, gzip-compressed if `compress` (gRPC message
  // compression; the receiving server inflates it). False (message dropped)
  // if a write is in flight, the hello is not written yet, or the stream is
  // broken.
  virtual bool Write(rpc::MirrorMessage message, bool compress) = 0;
  virtual bool writable() const = 0;
  virtual void Cancel() = 0;
};

// Opens a link attempt to `address` that starts by sending `hello`.
using LinkConnector = std::function<std::unique_ptr<OutgoingLink>(
    const std::string& address, rpc::MirrorHello hello, OutgoingLink::Events events)>;

class LinkCall final : public OutgoingLink,
                       public grpc::ClientBidiReactor<rpc::MirrorMessage, rpc::MirrorReply> {
 public:
  using Events = OutgoingLink::Events;

  // Opens the stream to `address` and sends `hello` (over MirrorChannel).
  static std::unique_ptr<LinkCall> Start(
      const std::string& address, rpc::MirrorHello hello, Events events,
      const std::shared_ptr<const common::LinkSecurity>& security);

  // Cancels the stream if still open and waits for gRPC to finish with it.
  ~LinkCall() override;
  LinkCall(const LinkCall&) = delete;
  LinkCall& operator=(const LinkCall&) = delete;

  bool Write(rpc::MirrorMessage message, bool compress) override;
  bool writable() const override;
  void Cancel() override { context_.TryCancel(); }
  bool done() const;

 private:
  LinkCall(std::string address, Events events)
      : address_(std::move(address)), events_(std::move(events)) {}

  void OnWriteDone(bool ok) override;
  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;
  // Releases the hold taken in Start() once no more writes can start.
  void MaybeReleaseHold() ABSL_LOCKS_EXCLUDED(mu_);

  const std::string address_;
  const Events events_;
  std::unique_ptr<rpc::Mirror::Stub> stub_;
  grpc::ClientContext context_;
  rpc::MirrorReply incoming_;  // owned by the read in flight

  mutable common::Mutex mu_;
  rpc::MirrorMessage outgoing_ ABSL_GUARDED_BY(mu_);
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool hold_released_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);  // from an Error reply
};

}  // namespace gaia::mirror

#endif  // GAIA_SRC_MIRROR_LINK_CALL_H_
