// The ASP mirror of one shard (DESIGN.md §4.2, thesis §5.3, Figure 5.6): the
// significance filter on local updates, a mirror client thread that sends
// significant updates, barriers and mirror clocks to the same shard in other
// DCs, and a mirror server thread that applies what they send.
//
//   MirrorOptions options = ...;                       // from the job spec
//   absl::StatusOr<std::shared_ptr<Mirror>> mirror = Mirror::Create(options);
//   shard_options.update_sink = *mirror;                // before the shard starts
//   shard_options.read_gate = (*mirror)->gate();
//   auto shard = server::ShardServer::Start(shard_options);
//   (*mirror)->Start((*shard)->core());                 // serves on (*mirror)->port()
//   (*mirror)->SetPeers({{1, "127.0.0.1:7001"}});       // whenever known
//   ...
//   (*mirror)->Stop();                                  // before the shard shuts down
//
// Reliability: every batch on a directed link has a sequence number, is kept
// until the receiver acknowledges it (after applying it), and is re-sent
// after a reconnect from the receiver's next expected number; the receiver
// applies each at most once. Updates queued while a link is down or slow
// coalesce in its Outbox, so memory stays bounded by the table size.
//
// Locking: the shard calls the UpdateSink methods with its lock held and they
// take mu_ (order: shard lock, then mu_). Nothing holds mu_ while calling into
// the shard, gRPC or a LinkCall's events. The gate has its own lock.
//
// Thread-safe.
#ifndef GAIA_SRC_MIRROR_MIRROR_H_
#define GAIA_SRC_MIRROR_MIRROR_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gaia/significance.h"
#include "proto/gaia.pb.h"
#include "src/common/job_spec.h"
#include "src/common/mutex.h"
#include "src/mirror/asp_gate.h"
#include "src/mirror/link_call.h"
#include "src/mirror/mirror_service.h"
#include "src/mirror/outbox.h"
#include "src/mirror/overlay.h"
#include "src/server/update_sink.h"
#include "src/significance/significance_filter.h"
#include "src/significance/threshold.h"

namespace gaia::server {
class ParameterStore;
class ShardCore;
}  // namespace gaia::server

namespace gaia::mirror {

struct MirrorOptions {
  std::string job_id;                      // peers of another job are refused
  uint32_t dc = 0;                         // this shard's DC index
  uint32_t partition_index = 0;            // shard k mirrors shard k elsewhere
  uint32_t partition_size = 1;
  std::vector<common::TableSpec> tables;   // every table of the job
  Overlay overlay{{0}, {{0}}};             // groups and hubs; num_dcs from it

  gaia::SignificanceFn significance;       // required
  significance::ThresholdOptions threshold;
  int32_t ds = 2;                          // mirror-clock bound; < 0: none and no
                                           // MIRROR CLOCKs are sent (gaia_async)
  bool barriers = true;                    // false: never send or honour barriers
  // A barrier goes ahead of newly queued rows when the link's backlog would
  // take longer than this to drain at its measured bandwidth.
  double barrier_backlog_ms = 100;
  // How significant values are sent, with error feedback
  // (src/significance/emission.h); the final flush is exact either way.
  significance::ValueEmission values = significance::ValueEmission::kHalf;

  // Messages on a link whose measured bandwidth is below this are
  // gzip-compressed: zlib deflates mirror batches far faster than such a
  // link carries them (14% fewer WAN bytes on the 2 Mbit/s MF job with
  // ternary values). Faster links, and links not measured yet (the first
  // acknowledgement measures them), send them as they are.
  double compress_below_mbps = 200;

  std::string listen_address = "127.0.0.1:0";
  size_t max_batch_bytes = 1 << 20;        // data per MirrorBatch (approximate)
  size_t max_unacked_bytes = 8 << 20;      // sent but unacknowledged, per link
  // Queued but not yet sent, per link (approximate wire bytes). A sweep that
  // would queue more stops there and goes on as the links drain; the rest
  // waits in the filter's accumulators (SignificanceFilter rounds).
  size_t max_queued_bytes = 8 << 20;
  size_t max_message_bytes = 64 << 20;     // larger incoming messages are refused
  int64_t reconnect_backoff_ms = 200;
};

class Mirror final : public server::UpdateSink, public InboundHandler {
 public:
  // INVALID_ARGUMENT for inconsistent options.
  static absl::StatusOr<std::shared_ptr<Mirror>> Create(MirrorOptions options);
  ~Mirror() override;

  std::shared_ptr<AspGate> gate() const { return gate_; }

  // Serves the Mirror service and starts the client and server threads.
  // REQUIRES: the shard was started with this mirror as its update sink.
  absl::Status Start(std::shared_ptr<server::ShardCore> core);
  int port() const { return port_; }

  // Mirror addresses ("host:port") of peer DCs; may be called any time,
  // again with new addresses (the next reconnect uses them).
  void SetPeers(const std::map<uint32_t, std::string>& peers);

  // Queues every accumulated update now (Mirror.Flush). Returns elements.
  uint64_t Flush();
  rpc::MirrorStatusReply GetStatus() const;

  // Stops threads and links; unsent updates are dropped. Idempotent.
  void Stop();

  // server::UpdateSink (shard lock held).
  void Attach(const server::ParameterStore& store) override;
  void OnRowsApplied(uint32_t table_id, std::span<const uint64_t> rows,
                     std::span<const float> deltas, int64_t shard_clock) override;
  void OnClockAdvanced(int64_t clock, bool all_done) override;
  void OnLearningRate(double learning_rate) override;
  void OnFlush() override;
  void OnResume() override;

  // InboundHandler (gRPC threads).
  void OnInbound(std::shared_ptr<InboundStream> stream, rpc::MirrorMessage message) override;
  uint64_t FlushNow() override { return Flush(); }
  rpc::MirrorStatusReply StatusNow() const override { return GetStatus(); }

  explicit Mirror(MirrorOptions options);  // use Create()

 private:
  struct SentBatch {
    rpc::MirrorBatch batch;
    size_t bytes = 0;
    bool written = false;
  };
  struct LinkStats {
    uint64_t bytes = 0, messages = 0, elements = 0, barriers = 0, retransmitted = 0;
    uint64_t rejected = 0, duplicates = 0;
  };
  struct OutLink {
    uint32_t peer = 0;
    std::string address;
    std::unique_ptr<Outbox> outbox;
    std::deque<rpc::AspBarrier> control;     // to write before any batch
    std::deque<rpc::AspBarrier> unreleased;  // written; re-sent after a reconnect
    std::deque<SentBatch> unacked;           // seq ascending
    size_t unacked_bytes = 0;
    size_t resend = 0;                       // unacked[resend..] not yet written on this call
    uint64_t next_seq = 1;
    std::unique_ptr<LinkCall> call;
    uint64_t generation = 0;                 // of `call`; stale events are ignored
    enum class State { kIdle, kHello, kUp, kDone } state = State::kIdle;
    absl::Time retry_at = absl::InfinitePast();
    bool logged_down = false;
    double bandwidth_bytes_per_s = 0;        // measured from acks; 0 = unknown
    absl::Time busy_since = absl::InfinitePast();
    std::vector<std::pair<uint32_t, uint64_t>> fresh_rows;  // queued since the last barrier check
    LinkStats stats;
  };
  struct InLink {
    uint64_t next_seq = 1;
    std::shared_ptr<InboundStream> stream;
    LinkStats stats;
  };
  struct Inbound {
    std::shared_ptr<InboundStream> stream;
    rpc::MirrorMessage message;
  };

  // --- filter side (mirror.cc) ---
  // Queues a significant row for `link` (own lane or relayed).
  void QueueRowLocked(OutLink& link, bool relayed, uint32_t table, uint64_t row,
                      std::span<const uint32_t> cols, std::span<const float> vals)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sends barriers for rows queued since the last check on links whose
  // backlog exceeds barrier_backlog_ms.
  void MaybeBarriersLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Opens (or reopens) a sweep round of the filter and emits what the links'
  // queues have room for; `clock` is the mirror clock to queue once the round
  // is done, `final_flush` marks the end of the job. `unbounded` emits the
  // whole round now.
  void StartRoundLocked(double threshold, bool flush, std::optional<int64_t> clock,
                        bool final_flush, bool unbounded) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Emits more of the open round, if any and if the queues have room; ends
  // it (queues its clock) when nothing is left.
  void ContinueRoundLocked(bool unbounded) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint64_t MaxQueuedBytesLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool LinksUnderusedLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint64_t LayoutFingerprint() const;

  // --- client thread (mirror_client.cc) ---
  void ClientLoop();
  std::optional<rpc::MirrorMessage> NextMessageLocked(OutLink& link)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnWelcome(size_t link, uint64_t generation, uint64_t next_seq);
  void OnAck(size_t link, uint64_t generation, uint64_t acked_through);
  void OnLinkDone(size_t link, uint64_t generation, const absl::Status& status);
  void Wake() ABSL_LOCKS_EXCLUDED(mu_);

  // --- server thread (mirror_receiver.cc) ---
  void ServerLoop();
  void HandleHello(const std::shared_ptr<InboundStream>& stream, const rpc::MirrorHello& hello);
  void HandleBatch(const std::shared_ptr<InboundStream>& stream, const rpc::MirrorBatch& batch);
  void HandleBarrier(const std::shared_ptr<InboundStream>& stream,
                     const rpc::AspBarrier& barrier);
  void ForwardLocked(uint32_t from, const rpc::MirrorBatch& batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction (store_ and core_ after Attach/Start; Stop
  // resets core_ under mu_ once no thread or handler uses it).
  const MirrorOptions options_;
  const uint32_t num_dcs_;
  const std::shared_ptr<AspGate> gate_;
  const server::ParameterStore* store_ = nullptr;
  std::shared_ptr<server::ShardCore> core_;
  std::unique_ptr<MirrorService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::thread client_thread_;
  std::thread server_thread_;

  mutable common::Mutex mu_;
  std::unique_ptr<significance::SignificanceFilter> filter_ ABSL_GUARDED_BY(mu_);
  significance::ThresholdSchedule schedule_ ABSL_GUARDED_BY(mu_);
  std::vector<OutLink> out_ ABSL_GUARDED_BY(mu_);
  std::vector<int> out_index_ ABSL_GUARDED_BY(mu_);  // dc -> index in out_, -1
  std::vector<InLink> in_ ABSL_GUARDED_BY(mu_);      // by peer dc
  std::deque<Inbound> inbound_ ABSL_GUARDED_BY(mu_);
  bool inbound_busy_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_client_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  int64_t local_clock_ ABSL_GUARDED_BY(mu_) = 0;
  bool final_flush_done_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t rejected_peers_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t batches_applied_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t flushed_elements_ ABSL_GUARDED_BY(mu_) = 0;  // by the last OnFlush
  // The open sweep round (filter_->round_open()).
  struct Round {
    double threshold = 0;
    std::optional<int64_t> clock;  // mirror clock queued when it is done
    bool final_flush = false;
    uint64_t sent_before = 0;      // elements_sent when it opened
  };
  Round round_ ABSL_GUARDED_BY(mu_);
  bool resume_requested_ ABSL_GUARDED_BY(mu_) = false;  // ResumeSink on its way
};

}  // namespace gaia::mirror

#endif  // GAIA_SRC_MIRROR_MIRROR_H_
