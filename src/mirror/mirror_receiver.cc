// The mirror server thread (DESIGN.md §4.2, thesis Figure 5.6): applies what
// other DCs send, in sequence order and at most once, to `value` only;
// installs and releases barriers; tracks mirror clocks; forwards through the
// overlay when this DC is a hub.
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "src/common/logging.h"
#include "src/common/packing.h"
#include "src/mirror/delta_encoding.h"
#include "src/mirror/mirror.h"
#include "src/server/parameter_store.h"
#include "src/server/shard_core.h"

namespace gaia::mirror {
namespace {

constexpr absl::Duration kIdleWake = absl::Milliseconds(100);

rpc::MirrorReply Ack(uint64_t through) {
  rpc::MirrorReply reply;
  reply.mutable_ack()->set_acked_through(through);
  return reply;
}

}  // namespace

void Mirror::OnInbound(std::shared_ptr<InboundStream> stream, rpc::MirrorMessage message) {
  common::MutexLock lock(&mu_);
  if (stopping_) return;
  inbound_.push_back({std::move(stream), std::move(message)});
}

void Mirror::ServerLoop() {
  while (true) {
    Inbound item;
    {
      common::MutexLock lock(&mu_);
      inbound_busy_ = false;
      mu_.AwaitWithTimeout(
          [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return !inbound_.empty() || stopping_; },
          kIdleWake);
      if (stopping_) return;
      if (inbound_.empty()) continue;
      item = std::move(inbound_.front());
      inbound_.pop_front();
      inbound_busy_ = true;
    }
    const size_t size = item.message.ByteSizeLong();
    if (size > options_.max_message_bytes) {
      {
        common::MutexLock lock(&mu_);
        const int64_t peer = item.stream->peer_dc();
        if (peer >= 0) in_[peer].stats.rejected += 1;
      }
      common::Logger("mirror")->warn("dc {} shard {}: refused a {}-byte mirror message (limit {})",
                                     options_.dc, options_.partition_index, size,
                                     options_.max_message_bytes);
      item.stream->Fail(absl::InvalidArgumentError(
          absl::StrCat("message of ", size, " bytes exceeds the limit of ",
                       options_.max_message_bytes)));
      continue;
    }
    switch (item.message.kind_case()) {
      case rpc::MirrorMessage::kHello:
        HandleHello(item.stream, item.message.hello());
        break;
      case rpc::MirrorMessage::kBatch:
        HandleBatch(item.stream, item.message.batch());
        break;
      case rpc::MirrorMessage::kBarrier:
        HandleBarrier(item.stream, item.message.barrier());
        break;
      default:
        item.stream->ReadNext();  // a newer peer's message kind
        break;
    }
  }
}

void Mirror::HandleHello(const std::shared_ptr<InboundStream>& stream,
                         const rpc::MirrorHello& hello) {
  std::string why;
  if (hello.job_id() != options_.job_id) {
    why = absl::StrCat("peer is from job '", hello.job_id(), "', this is job '",
                       options_.job_id, "'");
  } else if (hello.from_dc() >= num_dcs_ || hello.from_dc() == options_.dc) {
    why = absl::StrCat("bad from_dc ", hello.from_dc());
  } else if (hello.to_dc() != options_.dc) {
    why = absl::StrCat("peer meant dc ", hello.to_dc(), ", this is dc ", options_.dc);
  } else if (hello.shard() != options_.partition_index) {
    why = absl::StrCat("peer is shard ", hello.shard(), ", this is shard ",
                       options_.partition_index);
  } else if (hello.layout_fingerprint() != LayoutFingerprint()) {
    why = "peer's tables or partition differ from this shard's";
  } else if (stream->peer_dc() >= 0) {
    why = "second hello on one stream";
  }
  if (!why.empty()) {
    {
      common::MutexLock lock(&mu_);
      rejected_peers_ += 1;
    }
    common::Logger("mirror")->warn("dc {} shard {}: refused a mirror link: {}", options_.dc,
                                   options_.partition_index, why);
    stream->Fail(absl::FailedPreconditionError(why));
    return;
  }
  std::shared_ptr<InboundStream> previous;
  uint64_t next_seq;
  {
    common::MutexLock lock(&mu_);
    InLink& in = in_[hello.from_dc()];
    previous = std::move(in.stream);
    in.stream = stream;
    next_seq = in.next_seq;
  }
  // A reconnect supersedes a stream the sender has given up on.
  if (previous && previous != stream) {
    previous->Fail(absl::FailedPreconditionError("superseded by a newer stream"));
  }
  stream->set_peer_dc(hello.from_dc());
  rpc::MirrorReply welcome;
  welcome.mutable_welcome()->set_next_seq(next_seq);
  stream->Reply(std::move(welcome));
  stream->ReadNext();
}

void Mirror::HandleBatch(const std::shared_ptr<InboundStream>& stream,
                         const rpc::MirrorBatch& batch) {
  auto log = common::Logger("mirror");
  const int64_t peer = stream->peer_dc();
  if (peer < 0) {
    {
      common::MutexLock lock(&mu_);
      rejected_peers_ += 1;
    }
    stream->Fail(absl::FailedPreconditionError("MirrorBatch before MirrorHello"));
    return;
  }
  const uint32_t from = static_cast<uint32_t>(peer);
  uint64_t expected;
  {
    common::MutexLock lock(&mu_);
    InLink& in = in_[from];
    in.stats.bytes += batch.ByteSizeLong();
    in.stats.messages += 1;
    expected = in.next_seq;
    if (batch.seq() < expected) in.stats.duplicates += 1;
    if (batch.seq() > expected) in.stats.rejected += 1;
  }
  if (batch.seq() < expected) {  // already applied: a re-send
    stream->Reply(Ack(expected - 1));
    stream->ReadNext();
    return;
  }
  if (batch.seq() > expected) {
    // A gap means the sender lost track; it reconnects and resumes from
    // the welcome's next_seq.
    log->warn("dc {} shard {}: sequence gap from dc {}: got {}, expected {}", options_.dc,
              options_.partition_index, from, batch.seq(), expected);
    stream->Fail(absl::FailedPreconditionError(
        absl::StrCat("sequence gap: got ", batch.seq(), ", expected ", expected)));
    return;
  }
  // Compact encodings become plain deltas before the store, the forwarding
  // and the counters see the batch.
  rpc::MirrorBatch expanded;
  const rpc::MirrorBatch* data = &batch;
  absl::Status applied = absl::OkStatus();
  if (HasCompactDeltas(batch)) {
    expanded = batch;
    for (rpc::TableDelta& delta : *expanded.mutable_updates()) {
      if (!applied.ok()) break;
      if (delta.table_id() >= options_.tables.size()) {
        applied = absl::NotFoundError(absl::StrCat("unknown table ", delta.table_id()));
      } else {
        applied = ExpandDelta(&delta, options_.tables[delta.table_id()].width);
      }
    }
    data = &expanded;
  }
  if (applied.ok()) applied = core_->ApplyMirrored(data->updates());
  if (!applied.ok()) {
    log->warn("dc {} shard {}: rejected batch {} from dc {}: {}", options_.dc,
              options_.partition_index, batch.seq(), from, std::string(applied.message()));
  }
  // Clocks and barrier releases take effect even for a rejected batch: its
  // sequence number is consumed so the link goes on, and holding reads for
  // data that will never come would stall this DC forever.
  gate_->ReleaseBarriers(from, batch.barriers_through());
  for (const rpc::MirrorClock& clock : batch.clocks()) {
    if (clock.origin_dc() < num_dcs_) gate_->SetMirrorClock(clock.origin_dc(), clock.clock());
  }
  {
    common::MutexLock lock(&mu_);
    InLink& in = in_[from];
    in.next_seq += 1;
    if (applied.ok()) {
      batches_applied_ += 1;
      for (const rpc::TableDelta& delta : data->updates()) {
        in.stats.elements += PlainDeltaElements(delta);
      }
      ForwardLocked(from, *data);
    } else {
      in.stats.rejected += 1;
    }
    wake_client_ = true;
  }
  core_->ReopenGate();
  stream->Reply(Ack(batch.seq()));
  stream->ReadNext();
}

void Mirror::ForwardLocked(uint32_t from, const rpc::MirrorBatch& batch) {
  const std::vector<Overlay::Forward> forwards =
      options_.overlay.ForwardTargets(options_.dc, from, batch.relayed());
  if (forwards.empty()) return;
  std::vector<uint32_t> cols;
  std::vector<float> vals;
  for (const rpc::TableDelta& delta : batch.updates()) {
    const uint32_t width = options_.tables[delta.table_id()].width;
    const size_t dense_rows = delta.dense_row_ids().size() / sizeof(uint64_t);
    cols.resize(width);
    for (uint32_t c = 0; c < width; ++c) cols[c] = c;
    vals.resize(width);
    for (size_t r = 0; r < dense_rows; ++r) {
      const uint64_t row = common::PackedAt<uint64_t>(delta.dense_row_ids(), r);
      std::memcpy(vals.data(), delta.dense_values().data() + r * width * sizeof(float),
                  width * sizeof(float));
      for (const Overlay::Forward& f : forwards) {
        if (out_index_[f.dc] < 0) continue;
        QueueRowLocked(out_[out_index_[f.dc]], f.relayed, delta.table_id(), row, cols, vals);
      }
    }
    common::ForEachSparseRow(
        delta.sparse_row_ids(), delta.sparse_row_nnz(), delta.sparse_entries(),
        [&](uint64_t row, const char* entries, uint32_t count)
            ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          cols.resize(count);
          vals.resize(count);
          for (uint32_t k = 0; k < count; ++k) {
            const common::SparseEntry entry = common::SparseEntryAt(entries, k);
            cols[k] = entry.col;
            vals[k] = entry.value;
          }
          for (const Overlay::Forward& f : forwards) {
            if (out_index_[f.dc] < 0) continue;
            QueueRowLocked(out_[out_index_[f.dc]], f.relayed, delta.table_id(), row, cols, vals);
          }
        });
  }
  for (const rpc::MirrorClock& clock : batch.clocks()) {
    for (const Overlay::Forward& f : forwards) {
      if (out_index_[f.dc] < 0 || clock.origin_dc() == f.dc) continue;
      out_[out_index_[f.dc]].outbox->AddClock(clock.origin_dc(), clock.clock());
    }
  }
  MaybeBarriersLocked();
}

void Mirror::HandleBarrier(const std::shared_ptr<InboundStream>& stream,
                           const rpc::AspBarrier& received) {
  const int64_t peer = stream->peer_dc();
  if (peer < 0) {
    {
      common::MutexLock lock(&mu_);
      rejected_peers_ += 1;
    }
    stream->Fail(absl::FailedPreconditionError("AspBarrier before MirrorHello"));
    return;
  }
  const uint32_t from = static_cast<uint32_t>(peer);
  std::string why;
  rpc::AspBarrier barrier = received;  // row ids as packed uint64
  absl::Status ids = absl::OkStatus();
  if (barrier.table_id() >= options_.tables.size()) {
    why = absl::StrCat("unknown table ", barrier.table_id());
  } else if (barrier.row_bitmap() && barrier.varint_row_ids()) {
    why = "row_bitmap and varint_row_ids together";
  } else if (barrier.row_bitmap()) {
    ids = ExpandRowBitmap(barrier.row_base(), options_.tables[barrier.table_id()].rows,
                          barrier.mutable_row_ids());
  } else if (barrier.varint_row_ids()) {
    ids = ExpandVarintRowIds(barrier.mutable_row_ids());
  }
  if (!ids.ok()) {
    why = absl::StrCat("row_ids: ", ids.message());
  } else if (!why.empty()) {
    // nothing more to check
  } else if (barrier.row_ids().size() % sizeof(uint64_t) != 0) {
    why = absl::StrCat("row_ids of ", barrier.row_ids().size(), " bytes is not packed uint64");
  } else {
    const size_t n = barrier.row_ids().size() / sizeof(uint64_t);
    for (size_t i = 0; i < n && why.empty(); ++i) {
      uint64_t row;
      std::memcpy(&row, barrier.row_ids().data() + i * sizeof(uint64_t), sizeof(row));
      if (!store_->Owns(barrier.table_id(), row)) {
        why = absl::StrCat("row ", row, " of table ", barrier.table_id(),
                           " is not held by this shard");
      }
    }
  }
  {
    common::MutexLock lock(&mu_);
    InLink& in = in_[from];
    in.stats.bytes += received.ByteSizeLong();
    in.stats.messages += 1;
    if (why.empty()) {
      in.stats.barriers += 1;
    } else {
      in.stats.rejected += 1;
    }
  }
  if (!why.empty()) {
    common::Logger("mirror")->warn("dc {} shard {}: rejected barrier {} from dc {}: {}",
                                   options_.dc, options_.partition_index, barrier.barrier_id(),
                                   from, why);
  } else {
    gate_->AddBarrier(from, barrier);
  }
  stream->ReadNext();
}

}  // namespace gaia::mirror
