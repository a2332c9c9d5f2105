// The mirror client thread (DESIGN.md §4.2, thesis Figure 5.6): keeps one
// LinkCall per outgoing link connected, and writes the control queue
// (barriers) before the data queue (batches packed from the Outbox).
#include <utility>

#include "absl/strings/str_cat.h"
#include "src/common/logging.h"
#include "src/mirror/mirror.h"
#include "src/server/shard_core.h"

namespace gaia::mirror {
namespace {

constexpr absl::Duration kIdleWake = absl::Milliseconds(50);
constexpr double kBandwidthSmoothing = 0.3;  // weight of a new sample

}  // namespace

std::optional<rpc::MirrorMessage> Mirror::NextMessageLocked(OutLink& link) {
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
    sent.written = true;
    *message.mutable_batch() = sent.batch;
    return message;
  }
  if (link.unacked_bytes >= options_.max_unacked_bytes) return std::nullopt;
  std::optional<rpc::MirrorBatch> batch = link.outbox->Seal(options_.max_batch_bytes);
  if (!batch) return std::nullopt;
  batch->set_seq(link.next_seq++);
  SentBatch sent;
  sent.bytes = batch->ByteSizeLong();
  sent.written = true;
  link.stats.elements = link.outbox->packed_elements();
  link.stats.bytes += sent.bytes;
  link.stats.messages += 1;
  if (link.unacked.empty()) link.busy_since = absl::Now();
  link.unacked_bytes += sent.bytes;
  *message.mutable_batch() = *batch;
  sent.batch = std::move(*batch);
  link.unacked.push_back(std::move(sent));
  link.resend = link.unacked.size();
  return message;
}

void Mirror::ClientLoop() {
  auto log = common::Logger("mirror");
  while (true) {
    std::vector<std::unique_ptr<LinkCall>> finished;
    struct Connect {
      size_t index;
      std::string address;
      uint32_t peer;
      uint64_t generation;
    };
    std::vector<Connect> connect;
    struct Write {
      LinkCall* call;
      rpc::MirrorMessage message;
      bool compress;
    };
    std::vector<Write> writes;
    std::shared_ptr<server::ShardCore> resume;
    {
      common::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(
          [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return wake_client_ || stopping_; },
          kIdleWake);
      wake_client_ = false;
      if (stopping_) return;
      const absl::Time now = absl::Now();
      for (size_t i = 0; i < out_.size(); ++i) {
        OutLink& link = out_[i];
        if (link.state == OutLink::State::kDone && link.call != nullptr) {
          finished.push_back(std::move(link.call));
          link.state = OutLink::State::kIdle;
          link.retry_at = now + absl::Milliseconds(options_.reconnect_backoff_ms);
        }
        if (link.state == OutLink::State::kIdle && link.call == nullptr &&
            !link.address.empty() && now >= link.retry_at) {
          link.state = OutLink::State::kHello;
          connect.push_back({i, link.address, link.peer, ++link.generation});
          continue;
        }
        if (link.state != OutLink::State::kUp || link.call == nullptr ||
            !link.call->writable()) {
          continue;
        }
        if (std::optional<rpc::MirrorMessage> message = NextMessageLocked(link)) {
          // gzip once the link is measured slower than compressing.
          const bool compress = link.bandwidth_bytes_per_s > 0 &&
                                link.bandwidth_bytes_per_s * 8 / 1e6 < options_.compress_below_mbps;
          writes.push_back({link.call.get(), std::move(*message), compress});
        }
      }
      // A sweep round stopped at the queue bound goes on once the queues
      // drained to half; it reads the store, so under the shard's lock.
      if (filter_ != nullptr && filter_->round_open() && !resume_requested_ &&
          core_ != nullptr && MaxQueuedBytesLocked() <= options_.max_queued_bytes / 2) {
        resume_requested_ = true;
        resume = core_;
      }
    }
    if (resume != nullptr) resume->ResumeSink();  // calls OnResume: takes mu_
    // Calls are destroyed (which waits for gRPC) and started outside mu_:
    // their events take mu_.
    finished.clear();
    for (const Connect& c : connect) {
      const size_t index = c.index;
      const uint64_t generation = c.generation;
      rpc::MirrorHello hello;
      hello.set_job_id(options_.job_id);
      hello.set_from_dc(options_.dc);
      hello.set_to_dc(c.peer);
      hello.set_shard(options_.partition_index);
      hello.set_layout_fingerprint(LayoutFingerprint());
      LinkCall::Events events;
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
      std::unique_ptr<LinkCall> call = LinkCall::Start(c.address, std::move(hello), events);
      common::MutexLock lock(&mu_);
      out_[index].call = std::move(call);  // its events may have come already
    }
    // Only this thread destroys calls, so the pointers stay valid here.
    for (Write& w : writes) w.call->Write(std::move(w.message), w.compress);
  }
}

void Mirror::OnWelcome(size_t index, uint64_t generation, uint64_t next_seq) {
  common::MutexLock lock(&mu_);
  OutLink& link = out_[index];
  if (link.generation != generation || link.state == OutLink::State::kDone) return;
  // Everything below next_seq was applied by the receiver.
  while (!link.unacked.empty() && link.unacked.front().batch.seq() < next_seq) {
    link.unacked_bytes -= link.unacked.front().bytes;
    link.unacked.pop_front();
  }
  link.resend = 0;
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
  wake_client_ = true;
}

void Mirror::OnAck(size_t index, uint64_t generation, uint64_t acked_through) {
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
    const absl::Time now = absl::Now();
    const double dt = absl::ToDoubleSeconds(now - link.busy_since);
    if (dt > 1e-4) {
      const double sample = static_cast<double>(acked_bytes) / dt;
      link.bandwidth_bytes_per_s =
          link.bandwidth_bytes_per_s <= 0
              ? sample
              : (1 - kBandwidthSmoothing) * link.bandwidth_bytes_per_s +
                    kBandwidthSmoothing * sample;
    }
    link.busy_since = now;
  }
  wake_client_ = true;
}

void Mirror::OnLinkDone(size_t index, uint64_t generation, const absl::Status& status) {
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
  wake_client_ = true;
}

}  // namespace gaia::mirror
