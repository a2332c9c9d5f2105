// The receiving side of a shard's ASP mirror (DESIGN.md §4.2, thesis Figure
// 5.6): the mirror server thread. It checks each incoming link's hello,
// applies other DCs' batches to the shard in sequence order and at most
// once (to `value` only), acknowledges them, installs and releases
// barriers and mirror clocks in the read gate, and hands what a hub must
// forward to the sender (ForwardQueue).
//
// Sender incarnations (MirrorHello.incarnation): a hello from the incoming
// link's sender as before (a reconnect) resumes at the next expected
// sequence number. A new incarnation is a restarted sender, numbering from
// 1 again: the link expects 1 and forgets the old sender's barriers, which
// nobody will release now. Incarnations are random, so they say nothing
// about which sender is newer; the receiver remembers the ones it replaced
// instead and refuses them (a stale sender that comes back). Messages still
// queued from a superseded stream are dropped.
//
//   MirrorReceiver receiver(options, gate, &sender);
//   receiver.Attach(store);                // the shard's layout
//   receiver.Bind(target);                 // the shard, to apply to
//   receiver.StartThread();                // or Handle() each message (tests)
//   receiver.Enqueue(link, message);       // InboundHandler::OnInbound
//   ...
//   receiver.Stop();
//
// Locking: mu_ guards everything below it and is never held while calling
// out: not into the shard (MirrorTarget), the sender (Forward), the gate or
// an InboundLink's Reply/Fail/ReadNext. Under mu_ it takes only leaf locks
// (AspGate's, InboundLink::done). So the receiver's lock and the sender's
// are never held together, and the shard's lock is never taken under it.
//
// Thread-safe.
#ifndef GAIA_SRC_MIRROR_MIRROR_RECEIVER_H_
#define GAIA_SRC_MIRROR_MIRROR_RECEIVER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "proto/gaia.pb.h"
#include "src/common/mutex.h"
#include "src/mirror/asp_gate.h"
#include "src/mirror/mirror_options.h"
#include "src/mirror/mirror_sender.h"
#include "src/mirror/mirror_service.h"
#include "src/server/mirror_target.h"
#include "src/server/store_view.h"

namespace gaia::mirror {

class MirrorReceiver {
 public:
  // REQUIRES: ValidateMirrorOptions(options).ok(); gate and forward outlive
  // this receiver.
  MirrorReceiver(MirrorOptions options, std::shared_ptr<AspGate> gate, ForwardQueue* forward);
  ~MirrorReceiver();
  MirrorReceiver(const MirrorReceiver&) = delete;
  MirrorReceiver& operator=(const MirrorReceiver&) = delete;

  // The shard's tables (layout only: barriers may name only owned rows).
  void Attach(const server::StoreView& store);
  // The shard to apply to; set once before messages are handled.
  void Bind(std::shared_ptr<server::MirrorTarget> target);
  // Handles queued messages on the mirror server thread until Stop.
  void StartThread();

  // InboundHandler::OnInbound (gRPC threads): queues the message for the
  // thread. Once stopping, ends the link instead (Fail). Does not block.
  void Enqueue(std::shared_ptr<InboundLink> link, rpc::MirrorMessage message);
  // Handles one message now, as the thread does each queued one: a hello,
  // a batch or a barrier from `link`. Tests call it directly.
  void Handle(const std::shared_ptr<InboundLink>& link, const rpc::MirrorMessage& message);

  // Fills the receiver's part of a status reply (rejected peers, batches
  // applied, incoming links with their gate stalls); returns whether no
  // message is queued or being handled.
  bool AddStatus(rpc::MirrorStatusReply* reply) const;

  // Stops the thread, ends every incoming link (accepted ones and those
  // whose message is still queued), drops the shard. Idempotent.
  void Stop();

 private:
  struct LinkStats {
    uint64_t bytes = 0, messages = 0, elements = 0, barriers = 0, rejected = 0, duplicates = 0;
  };
  struct InLink {
    uint64_t next_seq = 1;
    // The sender next_seq counts for; unset before the link's first hello.
    std::optional<uint64_t> incarnation;
    // Incarnations this link replaced, oldest first: the last
    // kRetiredIncarnations of them (a sender replaced that long ago is gone).
    std::deque<uint64_t> retired;
    std::shared_ptr<InboundLink> stream;
    LinkStats stats;
  };
  static constexpr size_t kRetiredIncarnations = 16;
  struct Inbound {
    std::shared_ptr<InboundLink> link;
    rpc::MirrorMessage message;
  };

  void Run();
  void HandleHello(const std::shared_ptr<InboundLink>& link, const rpc::MirrorHello& hello);
  void HandleBatch(const std::shared_ptr<InboundLink>& link, const rpc::MirrorBatch& batch);
  void HandleBarrier(const std::shared_ptr<InboundLink>& link, const rpc::AspBarrier& barrier);
  // Why a hello is refused; empty if accepted.
  std::string CheckHello(const InboundLink& link, const rpc::MirrorHello& hello) const;
  // Makes `incarnation` the sender the link from `from` counts for. A new
  // one numbers its batches from 1 again; returns the one it replaced, if
  // any. REQUIRES: `incarnation` is not one the link replaced.
  std::optional<uint64_t> AdoptIncarnationLocked(uint32_t from, uint64_t incarnation)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // `from`'s sender restarted as `incarnation`: lifts the barriers of the
  // one it replaced, which it can no longer release.
  void OnSenderRestarted(uint32_t from, uint64_t replaced, uint64_t incarnation);
  // Why a barrier is refused; empty if valid. Expands its row ids to packed
  // uint64 in *barrier.
  std::string CheckBarrier(rpc::AspBarrier* barrier) const;
  // Expands compact encodings into *expanded (when there are any) and
  // applies the batch's updates; the batch the store saw in *data.
  absl::Status ApplyBatch(const rpc::MirrorBatch& batch, rpc::MirrorBatch* expanded,
                          const rpc::MirrorBatch** data);
  // Counts a message that came before its link's hello and ends the link.
  void RefuseBeforeHello(const std::shared_ptr<InboundLink>& link, const char* what);

  // Constant after construction.
  const MirrorOptions options_;
  const uint32_t num_dcs_;
  const uint64_t layout_fingerprint_;
  const std::shared_ptr<AspGate> gate_;
  ForwardQueue* const forward_;
  std::thread thread_;  // started by StartThread, joined by Stop

  mutable common::Mutex mu_;
  const server::StoreView* store_ ABSL_GUARDED_BY(mu_) = nullptr;       // Attach
  std::shared_ptr<server::MirrorTarget> target_ ABSL_GUARDED_BY(mu_);  // Bind; Stop resets
  std::vector<InLink> in_ ABSL_GUARDED_BY(mu_);  // by peer dc
  std::deque<Inbound> inbound_ ABSL_GUARDED_BY(mu_);
  bool busy_ ABSL_GUARDED_BY(mu_) = false;  // the thread is handling a message
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t rejected_peers_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t batches_applied_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace gaia::mirror

#endif  // GAIA_SRC_MIRROR_MIRROR_RECEIVER_H_
