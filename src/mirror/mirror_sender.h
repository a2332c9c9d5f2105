// The sending side of a shard's ASP mirror (DESIGN.md §4.2, thesis Figure
// 5.6, Appendix 6.A Algorithm 1): the significance filter's sweep rounds
// over the shard's local updates, one Outbox per outgoing link, selective
// barriers, mirror clocks, and the mirror client thread that keeps one
// OutgoingLink per link connected and writes the control queue (barriers)
// before the data queue (batches).
//
//   MirrorSender sender(options);                   // options validated
//   sender.Attach(store);                           // UpdateSink::Attach
//   sender.Bind(target);                            // the shard, for RunWithStoreLocked
//   sender.StartThread();                           // or call Pump() (tests)
//   sender.OnClockAdvanced(clock, false);           // shard lock held
//   ...
//   sender.Stop();
//
// Reliability: every batch on a link has a sequence number, is kept until
// the receiver acknowledges it (after applying it), and is re-sent after a
// reconnect from the receiver's next expected number, its barriers first.
//
// Locking: mu_ guards everything below it. The shard calls the UpdateSink
// methods with its lock held, and the functions the sender runs through
// MirrorTarget::RunWithStoreLocked take mu_ under it too: the order is
// shard lock, then mu_. The receiver calls Forward holding no lock of its
// own; the sender never calls the receiver. Nothing holds mu_ while calling
// the shard, an OutgoingLink's Write or its destructor, or while an
// OutgoingLink event runs (events take mu_). Under mu_ the sender takes only
// leaf locks (OutgoingLink::writable).
//
// Thread-safe.
#ifndef GAIA_SRC_MIRROR_MIRROR_SENDER_H_
#define GAIA_SRC_MIRROR_MIRROR_SENDER_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "proto/gaia.pb.h"
#include "src/common/mutex.h"
#include "src/mirror/best_effort_queue.h"
#include "src/mirror/link_call.h"
#include "src/mirror/link_capacity.h"
#include "src/mirror/mirror_clock.h"
#include "src/mirror/mirror_options.h"
#include "src/mirror/outbox.h"
#include "src/mirror/selective_barrier.h"
#include "src/server/mirror_target.h"
#include "src/server/store_view.h"
#include "src/significance/significance_filter.h"
#include "src/significance/threshold.h"

namespace gaia::mirror {

// Where the receiver hands what a hub forwards (the sender's outboxes).
class ForwardQueue {
 public:
  virtual ~ForwardQueue() = default;
  // `batch` (plain deltas, applied to the shard) arrived from `from`: queue
  // its rows and clocks for the overlay's forward targets, if any.
  virtual void Forward(uint32_t from, const rpc::MirrorBatch& batch) = 0;
};

class MirrorSender final : public ForwardQueue {
 public:
  // REQUIRES: ValidateMirrorOptions(options).ok().
  explicit MirrorSender(MirrorOptions options);
  ~MirrorSender() override;
  MirrorSender(const MirrorSender&) = delete;
  MirrorSender& operator=(const MirrorSender&) = delete;

  // The UpdateSink calls (server/update_sink.h), shard lock held.
  void Attach(const server::StoreView& store);
  bool attached() const;
  void OnRowsApplied(uint32_t table_id, std::span<const uint64_t> rows,
                     std::span<const float> deltas);
  void OnClockAdvanced(int64_t clock, bool all_done);
  void OnLearningRate(double learning_rate);

  // The shard to sweep under (RunWithStoreLocked): set once before Pump or
  // StartThread.
  void Bind(std::shared_ptr<server::MirrorTarget> target);
  // Runs Pump whenever there is work (at least every 50 ms) until Stop.
  void StartThread();
  // One pass of the client thread: reconnects links whose backoff passed,
  // writes the next message on every writable link, and resumes a sweep
  // round the queue bound stopped once the queues drained to half. Tests
  // call it directly instead of StartThread.
  void Pump() ABSL_LOCKS_EXCLUDED(mu_);

  // Mirror addresses of peer DCs ("host:port"); later calls replace them
  // (the next reconnect uses them).
  void SetPeers(const std::map<uint32_t, std::string>& peers);

  // Queues every accumulated update now, all at once (Mirror.Flush).
  // Returns the elements queued; 0 once stopping or before Bind.
  uint64_t Flush();

  // ForwardQueue (from the receiver, no receiver lock held).
  void Forward(uint32_t from, const rpc::MirrorBatch& batch) override;

  // Fills the sender's part of a status reply (clock, filter counters,
  // thresholds, outgoing links); returns whether nothing is queued,
  // unacknowledged or waiting in an open round.
  bool AddStatus(rpc::MirrorStatusReply* reply) const;
  size_t num_links() const;

  // Stops the thread, ends every link (waiting for each), drops the shard.
  // Unsent updates are dropped. Idempotent.
  void Stop();

 private:
  struct SentBatch {
    rpc::MirrorBatch batch;
    size_t bytes = 0;
    bool written = false;
  };
  struct LinkStats {
    uint64_t bytes = 0, messages = 0, elements = 0, barriers = 0, retransmitted = 0;
  };
  struct OutLink {
    OutLink(uint32_t peer, Outbox outbox, double backlog_ms, std::vector<uint32_t> widths,
            const significance::ThresholdOptions& threshold)
        : peer(peer),
          outbox(std::move(outbox)),
          barrier(backlog_ms),
          parked(std::move(widths)),
          soft(threshold) {}
    uint32_t peer = 0;
    std::string address;
    Outbox outbox;
    SelectiveBarrier barrier;                // rows queued since the last barrier check
    LinkCapacity capacity;                   // measured from acks
    BestEffortQueue parked;                  // own updates below the hard threshold
    significance::SoftRatio soft;            // this link's soft bar / hard
    std::deque<rpc::AspBarrier> control;     // to write before any batch
    std::deque<rpc::AspBarrier> unreleased;  // written; re-sent after a reconnect
    std::deque<SentBatch> unacked;           // seq ascending
    size_t unacked_bytes = 0;
    size_t resend = 0;                       // unacked[resend..] not yet written on this call
    uint64_t next_seq = 1;
    std::unique_ptr<OutgoingLink> call;
    uint64_t generation = 0;                 // of `call`; stale events are ignored
    enum class State { kIdle, kHello, kUp, kDone } state = State::kIdle;
    absl::Time retry_at = absl::InfinitePast();
    bool logged_down = false;
    LinkStats stats;
  };
  // How a sweep round is opened (StartRoundLocked).
  struct RoundOptions {
    double threshold = 0;           // significance bar: the lowest link's soft one
    double hard = 0;                // rows above it go to every link; below, best effort
    bool flush = false;             // every nonzero acc, regardless of significance
    std::optional<int64_t> clock;   // mirror clock to queue once the round is done
    bool final_flush = false;       // the end of the job
    bool unbounded = false;         // emit the whole round now, past the queue bound
  };
  // What one Pump does outside mu_.
  struct PumpWork;

  // --- sweep rounds (mirror_sender.cc) ---
  // Queues a significant row for `link` (own lane or relayed); an own row
  // takes the link's parked sum for it along.
  void QueueRowLocked(OutLink& link, bool relayed, uint32_t table, uint64_t row,
                      std::span<const uint32_t> cols, std::span<const float> vals)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Adds a parked row's nonzero values to the own lane of `outbox`.
  void AddDenseRow(Outbox& outbox, uint32_t table, uint64_t row, std::span<const float> values)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Queues a row the filter emitted: above the hard threshold for every
  // own link, else parked on each (best effort).
  void EmitRowLocked(const significance::SignificantRow& row) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Queues parked rows whose sum is significant at `hard` (all of them if
  // `all`, for a flush). REQUIRES: the shard's lock held too.
  void PromoteParkedLocked(double hard, bool all) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves up to a batch of parked rows into the outbox of a link with room.
  void SendParkedLocked(OutLink& link) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Nothing waits to be written on the link and what is in flight drains
  // well within the barrier limit: best-effort rows may go.
  bool HasRoomLocked(const OutLink& link) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // End of a clock: moves every own link's soft ratio and returns the sweep
  // bar, the lowest link's soft threshold.
  double SoftBarLocked(double hard) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Puts barriers for rows queued since the last check on the control queue
  // of links whose backlog exceeds barrier_backlog_ms.
  void MaybeBarriersLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Opens (or reopens) a sweep round of the filter and emits what the links'
  // queues have room for. REQUIRES: the shard's lock held too.
  void StartRoundLocked(const RoundOptions& round) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Emits more of the open round, if any and if the queues have room (or
  // all of it if `unbounded`); ends it (queues its clock) when nothing is
  // left. REQUIRES: the shard's lock held too.
  void ContinueRoundLocked(bool unbounded) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Run through MirrorTarget::RunWithStoreLocked, because the filter reads
  // the store's values: the whole accumulated state now (Flush), or the
  // next step of a round the queue bound stopped (Pump).
  void FlushUnderStoreLock() ABSL_LOCKS_EXCLUDED(mu_);
  void ContinueRoundUnderStoreLock() ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t MaxQueuedBytesLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // --- links (mirror_sender_links.cc) ---
  void Run();
  // Under mu_: what Pump must do for the links and the open round.
  void CollectWorkLocked(PumpWork* work) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::unique_ptr<OutgoingLink> Connect(size_t index, uint64_t generation,
                                        const std::string& address, uint32_t peer);
  std::optional<rpc::MirrorMessage> NextMessageLocked(OutLink& link)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnWelcome(size_t link, uint64_t generation, uint64_t next_seq) ABSL_LOCKS_EXCLUDED(mu_);
  void OnAck(size_t link, uint64_t generation, uint64_t acked_through) ABSL_LOCKS_EXCLUDED(mu_);
  void OnLinkDone(size_t link, uint64_t generation, const absl::Status& status)
      ABSL_LOCKS_EXCLUDED(mu_);
  void Wake() ABSL_LOCKS_EXCLUDED(mu_);

  // Constant after construction.
  const MirrorOptions options_;
  const std::vector<uint32_t> own_targets_;  // where this DC's updates go
  const uint64_t layout_fingerprint_;
  const uint64_t incarnation_;               // MirrorHello.incarnation, new per sender
  const std::vector<int> out_index_;         // dc -> index in out_, -1
  std::thread thread_;  // started by StartThread, joined by Stop

  mutable common::Mutex mu_;
  // Set by Attach, once: the shard's tables (layout constant; values only
  // under the shard's lock).
  const server::StoreView* store_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::shared_ptr<server::MirrorTarget> target_ ABSL_GUARDED_BY(mu_);  // Bind; Stop resets
  std::unique_ptr<significance::SignificanceFilter> filter_ ABSL_GUARDED_BY(mu_);
  significance::ThresholdSchedule schedule_ ABSL_GUARDED_BY(mu_);
  // One per outgoing link; never resized after construction (events name
  // links by index).
  std::vector<OutLink> out_ ABSL_GUARDED_BY(mu_);
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t local_clock_ ABSL_GUARDED_BY(mu_) = 0;
  bool final_flush_done_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t flushed_elements_ ABSL_GUARDED_BY(mu_) = 0;  // by the last Flush
  // The open sweep round (filter_->round_open()).
  struct Round {
    double threshold = 0;
    double hard = 0;
    bool flush = false;
    bool final_flush = false;
    uint64_t sent_before = 0;  // elements_sent when it opened
  };
  Round round_ ABSL_GUARDED_BY(mu_);
  MirrorClock round_clock_ ABSL_GUARDED_BY(mu_);  // the mirror clock the round owes
  // ContinueRoundUnderStoreLock is on its way (requested by Pump).
  bool resume_requested_ ABSL_GUARDED_BY(mu_) = false;
  // Scratch for parked rows (dense there, sparse in an outbox) and their
  // significance.
  std::vector<uint32_t> scratch_cols_ ABSL_GUARDED_BY(mu_);
  std::vector<float> scratch_vals_ ABSL_GUARDED_BY(mu_);
  std::vector<float> scratch_scores_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gaia::mirror

#endif  // GAIA_SRC_MIRROR_MIRROR_SENDER_H_
