// The link side of the mirror sender (DESIGN.md §4.2, thesis Figure 5.6):
// the client thread keeps one OutgoingLink per outgoing link connected and
// writes the control queue (barriers) before the data queue (batches packed
// from the Outbox); the links' events move each one's state machine
// (kIdle -> kHello -> kUp -> kDone -> kIdle after the backoff).
#include <utility>

#include "src/common/logging.h"
#include "src/mirror/mirror_sender.h"

namespace gaia::mirror {
namespace {

constexpr absl::Duration kSenderIdleWake = absl::Milliseconds(50);

}  // namespace

struct MirrorSender::PumpWork {
  // Calls of links that ended: destroyed (which waits for gRPC) outside mu_.
  std::vector<std::unique_ptr<OutgoingLink>> finished;
  struct Connect {
    size_t index;
    std::string address;
    uint32_t peer;
    uint64_t generation;
  };
  std::vector<Connect> connect;
  struct Write {
    OutgoingLink* call;
    rpc::MirrorMessage message;
    bool compress;
  };
  std::vector<Write> writes;
  // Set when a round stopped at the queue bound may go on.
  std::shared_ptr<server::MirrorTarget> resume;
};

size_t MirrorSender::num_links() const {
  common::MutexLock lock(&mu_);
  return out_.size();
}

void MirrorSender::StartThread() { thread_ = std::thread([this] { Run(); }); }

void MirrorSender::Run() {
  while (true) {
    {
      common::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout([this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return wake_ || stopping_; },
                           kSenderIdleWake);
      wake_ = false;
      if (stopping_) return;
    }
    Pump();
  }
}

void MirrorSender::Wake() {
  common::MutexLock lock(&mu_);
  wake_ = true;
}

void MirrorSender::Pump() {
  PumpWork work;
  {
    common::MutexLock lock(&mu_);
    if (stopping_) return;
    CollectWorkLocked(&work);
  }
  // The sweep reads the store's values: under the shard's lock, which is
  // taken before mu_ (ContinueRoundUnderStoreLock takes mu_).
  if (work.resume != nullptr) {
    work.resume->RunWithStoreLocked([this] { ContinueRoundUnderStoreLock(); });
  }
  // Calls are destroyed (which waits for gRPC) and started outside mu_:
  // their events take mu_.
  work.finished.clear();
  for (const PumpWork::Connect& c : work.connect) {
    std::unique_ptr<OutgoingLink> call = Connect(c.index, c.generation, c.address, c.peer);
    common::MutexLock lock(&mu_);
    out_[c.index].call = std::move(call);  // its events may have come already
  }
  // Only Pump (one thread) and Stop (after it) destroy calls, so the
  // pointers stay valid here.
  for (PumpWork::Write& w : work.writes) w.call->Write(std::move(w.message), w.compress);
}

void MirrorSender::CollectWorkLocked(PumpWork* work) {
  const absl::Time now = options_.clock->Now();
  for (size_t i = 0; i < out_.size(); ++i) {
    OutLink& link = out_[i];
    if (link.state == OutLink::State::kDone && link.call != nullptr) {
      work->finished.push_back(std::move(link.call));
      link.state = OutLink::State::kIdle;
      link.retry_at = now + absl::Milliseconds(options_.reconnect_backoff_ms);
    }
    if (link.state == OutLink::State::kIdle && link.call == nullptr && !link.address.empty() &&
        now >= link.retry_at) {
      link.state = OutLink::State::kHello;
      work->connect.push_back({i, link.address, link.peer, ++link.generation});
      continue;
    }
    if (link.state != OutLink::State::kUp || link.call == nullptr || !link.call->writable()) {
      continue;
    }
    // Best-effort rows go when nothing else waits and the link has room.
    if (!link.parked.empty() && HasRoomLocked(link)) SendParkedLocked(link);
    if (std::optional<rpc::MirrorMessage> message = NextMessageLocked(link)) {
      // gzip once the link's capacity is measured slower than compressing.
      const bool compress =
          link.capacity.measured() && link.capacity.mbps() < options_.compress_below_mbps;
      work->writes.push_back({link.call.get(), std::move(*message), compress});
    }
  }
  // A sweep round stopped at the queue bound goes on once the queues
  // drained to half.
  if (filter_ != nullptr && filter_->round_open() && !resume_requested_ && target_ != nullptr &&
      MaxQueuedBytesLocked() <= options_.max_queued_bytes / 2) {
    resume_requested_ = true;
    work->resume = target_;
  }
}

std::unique_ptr<OutgoingLink> MirrorSender::Connect(size_t index, uint64_t generation,
                                                    const std::string& address, uint32_t peer) {
  rpc::MirrorHello hello;
  hello.set_job_id(options_.job_id);
  hello.set_from_dc(options_.dc);
  hello.set_to_dc(peer);
  hello.set_shard(options_.partition_index);
  hello.set_layout_fingerprint(layout_fingerprint_);
  hello.set_incarnation(incarnation_);
  OutgoingLink::Events events;
  events.on_welcome = [this, index, generation](uint64_t next_seq) {
    OnWelcome(index, generation, next_seq);
  };
  events.on_ack = [this, index, generation](uint64_t through) {
    OnAck(index, generation, through);
  };
  events.on_write_done = [this] { Wake(); };
  events.on_done = [this, index, generation](const absl::Status& status) {
    OnLinkDone(index, generation, status);
  };
  if (options_.connect) return options_.connect(address, std::move(hello), std::move(events));
  return LinkCall::Start(address, std::move(hello), std::move(events), options_.security);
}

std::optional<rpc::MirrorMessage> MirrorSender::NextMessageLocked(OutLink& link) {
  rpc::MirrorMessage message;
  if (!link.control.empty()) {
    *message.mutable_barrier() = std::move(link.control.front());
    link.control.pop_front();
    link.unreleased.push_back(message.barrier());
    link.stats.barriers += 1;
    link.stats.messages += 1;
    link.stats.bytes += message.ByteSizeLong();
    return message;
  }
  if (link.resend < link.unacked.size()) {
    SentBatch& sent = link.unacked[link.resend++];
    if (sent.written) link.stats.retransmitted += 1;
    link.capacity.OnWritten(options_.clock->Now());
    sent.written = true;
    *message.mutable_batch() = sent.batch;
    return message;
  }
  if (link.unacked_bytes >= options_.max_unacked_bytes) return std::nullopt;
  std::optional<rpc::MirrorBatch> batch = link.outbox.Seal(options_.max_batch_bytes);
  if (!batch) return std::nullopt;
  batch->set_seq(link.next_seq++);
  SentBatch sent;
  sent.bytes = batch->ByteSizeLong();
  sent.written = true;
  link.stats.elements = link.outbox.packed_elements();
  link.stats.bytes += sent.bytes;
  link.stats.messages += 1;
  link.capacity.OnWritten(options_.clock->Now());
  link.unacked_bytes += sent.bytes;
  *message.mutable_batch() = *batch;
  sent.batch = std::move(*batch);
  link.unacked.push_back(std::move(sent));
  link.resend = link.unacked.size();
  return message;
}

void MirrorSender::OnWelcome(size_t index, uint64_t generation, uint64_t next_seq) {
  common::MutexLock lock(&mu_);
  OutLink& link = out_[index];
  if (link.generation != generation || link.state == OutLink::State::kDone) return;
  // A receiver that asks for a batch already acknowledged (and dropped
  // here) is a restarted peer shard that lost what it had applied: number
  // what is still held from where it expects, or it would see a gap and
  // end every link for good, and send the mirror clocks again (in
  // gaia_async the first one is the only one, and its start line would hold
  // the peer's reads for good without it).
  const uint64_t oldest_held =
      link.unacked.empty() ? link.next_seq : link.unacked.front().batch.seq();
  if (next_seq < oldest_held) {
    link.next_seq = next_seq;
    for (SentBatch& sent : link.unacked) sent.batch.set_seq(link.next_seq++);
    link.outbox.RepeatClocks();
  }
  // Everything below next_seq was applied by the receiver.
  while (!link.unacked.empty() && link.unacked.front().batch.seq() < next_seq) {
    link.unacked_bytes -= link.unacked.front().bytes;
    link.unacked.pop_front();
  }
  link.resend = 0;
  link.capacity.OnReconnect();
  // Barriers of batches not yet acknowledged go again, ahead of them.
  std::deque<rpc::AspBarrier> control = std::move(link.unreleased);
  link.unreleased.clear();
  for (rpc::AspBarrier& b : link.control) control.push_back(std::move(b));
  link.control = std::move(control);
  link.state = OutLink::State::kUp;
  if (link.logged_down) {
    common::Logger("mirror")->info("dc {} shard {}: link to dc {} is back; re-sending {} batches",
                                   options_.dc, options_.partition_index, link.peer,
                                   link.unacked.size());
  }
  link.logged_down = false;
  wake_ = true;
}

void MirrorSender::OnAck(size_t index, uint64_t generation, uint64_t acked_through) {
  common::MutexLock lock(&mu_);
  OutLink& link = out_[index];
  if (link.generation != generation) return;
  size_t acked_bytes = 0;
  uint64_t released_through = 0;
  while (!link.unacked.empty() && link.unacked.front().batch.seq() <= acked_through) {
    const SentBatch& sent = link.unacked.front();
    acked_bytes += sent.bytes;
    released_through = std::max(released_through, sent.batch.barriers_through());
    link.unacked_bytes -= sent.bytes;
    link.unacked.pop_front();
    if (link.resend > 0) --link.resend;
  }
  while (!link.unreleased.empty() && link.unreleased.front().barrier_id() <= released_through) {
    link.unreleased.pop_front();
  }
  if (acked_bytes > 0) {
    link.capacity.OnAcked(acked_bytes, options_.clock->Now(), link.unacked_bytes);
  }
  wake_ = true;
}

void MirrorSender::OnLinkDone(size_t index, uint64_t generation, const absl::Status& status) {
  common::MutexLock lock(&mu_);
  OutLink& link = out_[index];
  if (link.generation != generation) return;
  link.state = OutLink::State::kDone;
  if (!link.logged_down && !stopping_) {
    common::Logger("mirror")->warn("dc {} shard {}: link to dc {} down ({}); {} batches kept",
                                   options_.dc, options_.partition_index, link.peer,
                                   std::string(status.message()), link.unacked.size());
    link.logged_down = true;
  }
  wake_ = true;
}

void MirrorSender::Stop() {
  {
    common::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  std::vector<std::unique_ptr<OutgoingLink>> calls;
  {
    common::MutexLock lock(&mu_);
    for (OutLink& link : out_) {
      if (link.call) calls.push_back(std::move(link.call));
    }
  }
  for (auto& call : calls) call->Cancel();
  calls.clear();  // waits for gRPC to finish each call
  // The shard holds the mirror as its update sink: drop the shard so that
  // neither keeps the other alive.
  common::MutexLock lock(&mu_);
  target_.reset();
}

}  // namespace gaia::mirror
