// The sweep side of the mirror sender: the significance filter's rounds
// (DESIGN.md §4.2.1, §4.2.5), queueing into the outboxes, selective
// barriers and mirror clocks. The link side is mirror_sender_links.cc.
#include "src/mirror/mirror_sender.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "src/common/logging.h"
#include "src/mirror/hub.h"

namespace gaia::mirror {
namespace {

std::vector<int> OutIndex(const MirrorOptions& options) {
  std::vector<int> index(options.overlay.num_dcs(), -1);
  int next = 0;
  for (uint32_t peer : options.overlay.OutLinks(options.dc)) index[peer] = next++;
  return index;
}

}  // namespace

MirrorSender::MirrorSender(MirrorOptions options)
    : options_(std::move(options)),
      own_targets_(options_.overlay.OwnTargets(options_.dc)),
      layout_fingerprint_(LayoutFingerprint(options_)),
      incarnation_(NewIncarnation()),
      out_index_(OutIndex(options_)),
      schedule_(options_.threshold),
      round_clock_(options_.ds >= 0 ? MirrorClock::kEvery : MirrorClock::kFirstOnly) {
  const std::vector<uint32_t> peers = options_.overlay.OutLinks(options_.dc);
  const std::vector<uint32_t> widths = TableWidths(options_);
  out_.reserve(peers.size());
  for (uint32_t peer : peers) {
    out_.emplace_back(peer,
                      Outbox(widths,
                             {.half_values = options_.values != significance::ValueEmission::kExact,
                              .compact = true}),
                      options_.barrier_backlog_ms, widths, options_.threshold);
  }
}

MirrorSender::~MirrorSender() { Stop(); }

void MirrorSender::Attach(const server::StoreView& store) {
  std::vector<significance::TableShape> shapes;
  for (uint32_t t = 0; t < store.num_tables(); ++t) {
    shapes.push_back({store.width(t), store.owned_rows(t)});
  }
  common::MutexLock lock(&mu_);
  store_ = &store;
  filter_ = std::make_unique<significance::SignificanceFilter>(
      std::move(shapes), options_.significance, options_.values);
}

bool MirrorSender::attached() const {
  common::MutexLock lock(&mu_);
  return filter_ != nullptr;
}

void MirrorSender::Bind(std::shared_ptr<server::MirrorTarget> target) {
  common::MutexLock lock(&mu_);
  target_ = std::move(target);
}

void MirrorSender::SetPeers(const std::map<uint32_t, std::string>& peers) {
  common::MutexLock lock(&mu_);
  for (const auto& [dc, address] : peers) {
    if (dc >= out_index_.size() || out_index_[dc] < 0) continue;
    out_[out_index_[dc]].address = address;
  }
  wake_ = true;
}

void MirrorSender::OnRowsApplied(uint32_t table_id, std::span<const uint64_t> rows,
                                 std::span<const float> deltas) {
  common::MutexLock lock(&mu_);
  const uint32_t width = store_->width(table_id);
  for (size_t i = 0; i < rows.size(); ++i) {
    const uint64_t slot = store_->SlotOf(table_id, rows[i]);
    if (slot == server::StoreView::kNoSlot) continue;
    // An UpdateSink call: the shard's lock is held, Values may be read.
    filter_->Accumulate(table_id, slot, deltas.subspan(i * width, width),
                        store_->Values(table_id, slot));
  }
}

void MirrorSender::OnClockAdvanced(int64_t clock, bool all_done) {
  common::MutexLock lock(&mu_);
  local_clock_ = clock;
  if (all_done) {
    StartRoundLocked({.flush = true, .clock = kDoneClock, .final_flush = true});
  } else {
    const double hard = schedule_.Hard(clock);
    StartRoundLocked({.threshold = SoftBarLocked(hard), .hard = hard, .clock = clock});
  }
}

void MirrorSender::OnLearningRate(double learning_rate) {
  common::MutexLock lock(&mu_);
  schedule_.ReportLearningRate(learning_rate);
}

uint64_t MirrorSender::Flush() {
  std::shared_ptr<server::MirrorTarget> target;
  {
    common::MutexLock lock(&mu_);
    if (stopping_ || target_ == nullptr) return 0;
    target = target_;
  }
  if (!target->RunWithStoreLocked([this] { FlushUnderStoreLock(); })) return 0;
  common::MutexLock lock(&mu_);
  return flushed_elements_;
}

void MirrorSender::FlushUnderStoreLock() {
  common::MutexLock lock(&mu_);
  const uint64_t before = filter_->counters().elements_sent;
  // On request: all at once, whatever is queued already.
  RoundOptions round;
  round.flush = true;
  round.unbounded = true;
  StartRoundLocked(round);
  flushed_elements_ = filter_->counters().elements_sent - before;
}

void MirrorSender::ContinueRoundUnderStoreLock() {
  common::MutexLock lock(&mu_);
  resume_requested_ = false;
  ContinueRoundLocked(/*unbounded=*/false);
}

void MirrorSender::QueueRowLocked(OutLink& link, bool relayed, uint32_t table, uint64_t row,
                                  std::span<const uint32_t> cols, std::span<const float> vals) {
  link.outbox.AddRow(relayed, table, row, cols, vals);
  if (!relayed && !link.parked.empty()) {
    link.parked.Take(table, row, [&](uint32_t t, uint64_t r, std::span<const float> values) {
      AddDenseRow(link.outbox, t, r, values);
    });
  }
  if (options_.barriers) link.barrier.NoteQueued(table, row);
}

void MirrorSender::AddDenseRow(Outbox& outbox, uint32_t table, uint64_t row,
                               std::span<const float> values) {
  scratch_cols_.clear();
  scratch_vals_.clear();
  for (uint32_t c = 0; c < values.size(); ++c) {
    if (values[c] == 0.0f) continue;
    scratch_cols_.push_back(c);
    scratch_vals_.push_back(values[c]);
  }
  if (!scratch_cols_.empty()) outbox.AddRow(false, table, row, scratch_cols_, scratch_vals_);
}

void MirrorSender::EmitRowLocked(const significance::SignificantRow& row) {
  const uint64_t row_id = store_->RowAt(row.table, row.slot);
  const bool hard = row.max_score > round_.hard;
  for (uint32_t dc : own_targets_) {
    OutLink& link = out_[out_index_[dc]];
    if (hard) {
      QueueRowLocked(link, false, row.table, row_id, row.cols, row.acc);
    } else {
      link.parked.Add(row.table, row_id, row.cols, row.acc);
    }
  }
}

void MirrorSender::PromoteParkedLocked(double hard, bool all) {
  for (uint32_t dc : own_targets_) {
    OutLink& link = out_[out_index_[dc]];
    if (link.parked.empty()) continue;
    link.parked.TakeIf([&](uint32_t table, uint64_t row, std::span<const float> values) {
      if (!all) {
        const uint64_t slot = store_->SlotOf(table, row);
        scratch_scores_.resize(values.size());
        options_.significance(values, store_->Values(table, slot), scratch_scores_);
        bool significant = false;
        for (size_t c = 0; c < values.size() && !significant; ++c) {
          significant = values[c] != 0.0f && scratch_scores_[c] > hard;
        }
        if (!significant) return false;
      }
      AddDenseRow(link.outbox, table, row, values);
      if (options_.barriers) link.barrier.NoteQueued(table, row);
      return true;
    });
  }
}

void MirrorSender::SendParkedLocked(OutLink& link) {
  link.parked.TakeOldest(options_.max_batch_bytes,
                         [&](uint32_t table, uint64_t row, std::span<const float> values) {
                           AddDenseRow(link.outbox, table, row, values);
                         });
}

bool MirrorSender::HasRoomLocked(const OutLink& link) const {
  if (link.state != OutLink::State::kUp || link.outbox.queued_rows() > 0 ||
      !link.control.empty() || link.resend < link.unacked.size()) {
    return false;
  }
  if (link.unacked_bytes == 0) return true;
  const uint64_t queued = link.capacity.QueuedBeyondFlight(link.unacked_bytes);
  return link.capacity.DrainMs(queued) * 2 <= options_.barrier_backlog_ms;
}

double MirrorSender::SoftBarLocked(double hard) {
  double lowest = 1.0;
  for (uint32_t dc : own_targets_) {
    OutLink& link = out_[out_index_[dc]];
    link.soft.OnClock(/*spare=*/HasRoomLocked(link) && link.parked.empty());
    lowest = std::min(lowest, link.soft.ratio());
  }
  return lowest * hard;
}

void MirrorSender::MaybeBarriersLocked() {
  for (OutLink& link : out_) {
    // What waits on the link: its queue, and what is unacknowledged beyond
    // what the link holds in flight (the round trip is not a backlog).
    const uint64_t backlog = link.outbox.queued_wire_bytes() +
                             link.capacity.QueuedBeyondFlight(link.unacked_bytes);
    for (rpc::AspBarrier& barrier : link.barrier.Check(backlog, link.capacity, link.outbox)) {
      link.control.push_back(std::move(barrier));
    }
  }
}

void MirrorSender::StartRoundLocked(const RoundOptions& options) {
  if (!filter_->round_open()) {
    round_ = Round();
    round_.sent_before = filter_->counters().elements_sent;
  }
  // A round reopened by a later clock covers that clock too.
  round_.threshold = options.threshold;
  round_.hard = options.hard;
  round_.flush = round_.flush || options.flush;
  if (options.clock) round_clock_.Cover(*options.clock);
  round_.final_flush = round_.final_flush || options.final_flush;
  filter_->BeginRound(options.flush);
  ContinueRoundLocked(options.unbounded);
}

uint64_t MirrorSender::MaxQueuedBytesLocked() const {
  uint64_t most = 0;
  for (const OutLink& link : out_) most = std::max(most, link.outbox.queued_bytes());
  return most;
}

void MirrorSender::ContinueRoundLocked(bool unbounded) {
  if (!filter_->round_open()) return;
  uint64_t budget = std::numeric_limits<uint64_t>::max();
  if (!unbounded) {
    const uint64_t queued = MaxQueuedBytesLocked();
    if (queued >= options_.max_queued_bytes) return;  // Pump resumes it
    // Each emitted element adds at least kQueuedEntryBytes to the queues.
    budget = std::max<uint64_t>(
        1, (options_.max_queued_bytes - queued) / Outbox::kQueuedEntryBytes);
  }
  const server::StoreView* store = store_;
  auto value_of = [store](uint32_t table, uint64_t slot) { return store->Values(table, slot); };
  auto emit = [&](const significance::SignificantRow& row) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    EmitRowLocked(row);
  };
  const bool done = filter_->ContinueRound(round_.threshold, value_of, emit, budget);
  // The clock below covers what is promoted, and a flush leaves nothing
  // parked.
  if (done) PromoteParkedLocked(round_.hard, /*all=*/round_.flush);
  MaybeBarriersLocked();
  wake_ = true;
  if (!done) return;
  // The clock follows the data it covers (Outbox keeps that order).
  if (std::optional<int64_t> clock = round_clock_.TakeDue()) {
    for (uint32_t dc : own_targets_) {
      out_[out_index_[dc]].outbox.AddClock(/*relayed=*/false, options_.dc, *clock);
    }
  }
  if (round_.final_flush) {
    final_flush_done_ = true;
    common::Logger("mirror")->info(
        "dc {} shard {}: local workers done at clock {}; final flush queued {} elements",
        options_.dc, options_.partition_index, local_clock_,
        filter_->counters().elements_sent - round_.sent_before);
  }
  round_ = Round();
}

void MirrorSender::Forward(uint32_t from, const rpc::MirrorBatch& batch) {
  std::vector<Overlay::Forward> targets;
  for (const Overlay::Forward& f :
       options_.overlay.ForwardTargets(options_.dc, from, batch.relayed())) {
    if (f.dc < out_index_.size() && out_index_[f.dc] >= 0) targets.push_back(f);
  }
  const std::vector<uint32_t> widths = TableWidths(options_);
  common::MutexLock lock(&mu_);
  wake_ = true;
  if (targets.empty()) return;
  ForwardThroughHub(
      targets, batch, widths,
      [&](const Overlay::Forward& to, uint32_t table, uint64_t row, std::span<const uint32_t> cols,
          std::span<const float> vals) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        QueueRowLocked(out_[out_index_[to.dc]], to.relayed, table, row, cols, vals);
      },
      [&](const Overlay::Forward& to, uint32_t origin, int64_t clock)
          ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
            out_[out_index_[to.dc]].outbox.AddClock(to.relayed, origin, clock);
          });
  MaybeBarriersLocked();
}

bool MirrorSender::AddStatus(rpc::MirrorStatusReply* reply) const {
  common::MutexLock lock(&mu_);
  reply->set_local_clock(local_clock_);
  reply->set_final_flush_done(final_flush_done_);
  bool idle = !(filter_ && filter_->round_open());
  if (filter_) {
    reply->set_elements_seen(filter_->counters().elements_seen);
    reply->set_elements_sent(filter_->counters().elements_sent);
    reply->set_updates_scored(filter_->counters().updates_scored);
    reply->set_updates_insignificant(filter_->counters().updates_insignificant);
  }
  const double hard = schedule_.Hard(local_clock_);
  reply->set_hard_threshold(hard);
  double lowest_ratio = 1.0;
  for (uint32_t dc : own_targets_) {
    lowest_ratio = std::min(lowest_ratio, out_[out_index_[dc]].soft.ratio());
  }
  reply->set_soft_threshold(lowest_ratio * hard);
  for (const OutLink& link : out_) {
    idle = idle && link.outbox.empty() && link.unacked.empty() && link.control.empty() &&
           link.parked.empty();
    rpc::MirrorLinkStats* s = reply->add_links();
    s->set_peer_dc(link.peer);
    s->set_outgoing(true);
    s->set_connected(link.state == OutLink::State::kUp);
    s->set_bytes(link.stats.bytes);
    s->set_messages(link.stats.messages);
    s->set_elements(link.stats.elements);
    s->set_barriers(link.stats.barriers);
    s->set_retransmitted(link.stats.retransmitted);
    s->set_unacked_batches(link.unacked.size());
    s->set_queued_rows(link.outbox.queued_rows());
    s->set_bandwidth_mbps(link.capacity.mbps());
    s->set_rtt_ms(link.capacity.rtt_ms());
    s->set_soft_threshold(link.soft.ratio() * hard);
    s->set_parked_rows(link.parked.rows());
  }
  return idle;
}

}  // namespace gaia::mirror
