#include "src/mirror/mirror_receiver.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "src/common/logging.h"
#include "src/mirror/delta_encoding.h"
#include "src/mirror/mirror_clock.h"

namespace gaia::mirror {
namespace {

constexpr absl::Duration kReceiverIdleWake = absl::Milliseconds(100);

rpc::MirrorReply Ack(uint64_t through) {
  rpc::MirrorReply reply;
  reply.mutable_ack()->set_acked_through(through);
  return reply;
}

}  // namespace

MirrorReceiver::MirrorReceiver(MirrorOptions options, std::shared_ptr<AspGate> gate,
                               ForwardQueue* forward)
    : options_(std::move(options)),
      num_dcs_(options_.overlay.num_dcs()),
      layout_fingerprint_(LayoutFingerprint(options_)),
      gate_(std::move(gate)),
      forward_(forward) {
  in_.resize(num_dcs_);
}

MirrorReceiver::~MirrorReceiver() { Stop(); }

void MirrorReceiver::Attach(const server::StoreView& store) {
  common::MutexLock lock(&mu_);
  store_ = &store;
}

void MirrorReceiver::Bind(std::shared_ptr<server::MirrorTarget> target) {
  common::MutexLock lock(&mu_);
  target_ = std::move(target);
}

void MirrorReceiver::StartThread() { thread_ = std::thread([this] { Run(); }); }

void MirrorReceiver::Enqueue(std::shared_ptr<InboundLink> link, rpc::MirrorMessage message) {
  {
    common::MutexLock lock(&mu_);
    if (!stopping_) {
      inbound_.push_back({std::move(link), std::move(message)});
      return;
    }
  }
  // Nobody will read this link's next message: end it, or the gRPC server
  // would wait for it forever when it shuts down.
  link->Fail(absl::UnavailableError("mirror shutting down"));
}

void MirrorReceiver::Run() {
  while (true) {
    Inbound item;
    {
      common::MutexLock lock(&mu_);
      busy_ = false;
      mu_.AwaitWithTimeout(
          [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return !inbound_.empty() || stopping_; },
          kReceiverIdleWake);
      if (stopping_) return;
      if (inbound_.empty()) continue;
      item = std::move(inbound_.front());
      inbound_.pop_front();
      busy_ = true;
    }
    Handle(item.link, item.message);
  }
}

void MirrorReceiver::Handle(const std::shared_ptr<InboundLink>& link,
                            const rpc::MirrorMessage& message) {
  const size_t size = message.ByteSizeLong();
  if (size > options_.max_message_bytes) {
    {
      common::MutexLock lock(&mu_);
      const int64_t peer = link->peer_dc();
      if (peer >= 0) in_[peer].stats.rejected += 1;
    }
    common::Logger("mirror")->warn("dc {} shard {}: refused a {}-byte mirror message (limit {})",
                                   options_.dc, options_.partition_index, size,
                                   options_.max_message_bytes);
    link->Fail(absl::InvalidArgumentError(absl::StrCat(
        "message of ", size, " bytes exceeds the limit of ", options_.max_message_bytes)));
    return;
  }
  switch (message.kind_case()) {
    case rpc::MirrorMessage::kHello:
      HandleHello(link, message.hello());
      break;
    case rpc::MirrorMessage::kBatch:
      HandleBatch(link, message.batch());
      break;
    case rpc::MirrorMessage::kBarrier:
      HandleBarrier(link, message.barrier());
      break;
    default:
      link->ReadNext();  // a newer peer's message kind
      break;
  }
}

std::string MirrorReceiver::CheckHello(const InboundLink& link,
                                       const rpc::MirrorHello& hello) const {
  if (hello.job_id() != options_.job_id) {
    return absl::StrCat("peer is from job '", hello.job_id(), "', this is job '", options_.job_id,
                        "'");
  }
  if (hello.from_dc() >= num_dcs_ || hello.from_dc() == options_.dc) {
    return absl::StrCat("bad from_dc ", hello.from_dc());
  }
  if (hello.to_dc() != options_.dc) {
    return absl::StrCat("peer meant dc ", hello.to_dc(), ", this is dc ", options_.dc);
  }
  if (hello.shard() != options_.partition_index) {
    return absl::StrCat("peer is shard ", hello.shard(), ", this is shard ",
                        options_.partition_index);
  }
  if (hello.layout_fingerprint() != layout_fingerprint_) {
    return "peer's tables or partition differ from this shard's";
  }
  if (link.peer_dc() >= 0) return "second hello on one stream";
  return "";
}

void MirrorReceiver::HandleHello(const std::shared_ptr<InboundLink>& link,
                                 const rpc::MirrorHello& hello) {
  if (const std::string why = CheckHello(*link, hello); !why.empty()) {
    {
      common::MutexLock lock(&mu_);
      rejected_peers_ += 1;
    }
    common::Logger("mirror")->warn("dc {} shard {}: refused a mirror link: {}", options_.dc,
                                   options_.partition_index, why);
    link->Fail(absl::FailedPreconditionError(why));
    return;
  }
  const uint32_t from = hello.from_dc();
  std::shared_ptr<InboundLink> previous;
  uint64_t next_seq = 0;
  std::optional<uint64_t> replaced;
  bool stale = false;
  {
    common::MutexLock lock(&mu_);
    InLink& in = in_[from];
    stale = std::find(in.retired.begin(), in.retired.end(), hello.incarnation()) !=
            in.retired.end();
    if (stale) {
      rejected_peers_ += 1;
    } else {
      replaced = AdoptIncarnationLocked(from, hello.incarnation());
      previous = std::move(in.stream);
      in.stream = link;
      next_seq = in.next_seq;
    }
  }
  if (stale) {
    const std::string why = absl::StrCat("sender incarnation 0x", absl::Hex(hello.incarnation()),
                                         " of dc ", from, " was replaced by a newer one");
    common::Logger("mirror")->warn("dc {} shard {}: refused a mirror link: {}", options_.dc,
                                   options_.partition_index, why);
    link->Fail(absl::FailedPreconditionError(why));
    return;
  }
  if (replaced.has_value()) OnSenderRestarted(from, *replaced, hello.incarnation());
  // A reconnect or a restarted sender supersedes a stream given up on.
  if (previous && previous != link) {
    previous->Fail(absl::FailedPreconditionError("superseded by a newer stream"));
  }
  link->set_peer_dc(from);
  rpc::MirrorReply welcome;
  welcome.mutable_welcome()->set_next_seq(next_seq);
  link->Reply(std::move(welcome));
  link->ReadNext();
}

std::optional<uint64_t> MirrorReceiver::AdoptIncarnationLocked(uint32_t from,
                                                              uint64_t incarnation) {
  InLink& in = in_[from];
  const std::optional<uint64_t> previous = in.incarnation;
  in.incarnation = incarnation;
  if (!previous.has_value() || *previous == incarnation) return std::nullopt;
  in.next_seq = 1;
  in.retired.push_back(*previous);
  if (in.retired.size() > kRetiredIncarnations) in.retired.pop_front();
  return previous;
}

void MirrorReceiver::OnSenderRestarted(uint32_t from, uint64_t replaced, uint64_t incarnation) {
  const uint64_t unblocked = gate_->ForgetBarriers(from);
  common::Logger("mirror")->info(
      "dc {} shard {}: dc {}'s mirror sender restarted (incarnation {:#x} replaces {:#x}): "
      "expecting its batches from 1 again; {} rows its old barriers held are readable",
      options_.dc, options_.partition_index, from, incarnation, replaced, unblocked);
  std::shared_ptr<server::MirrorTarget> target;
  {
    common::MutexLock lock(&mu_);
    target = target_;
  }
  if (unblocked > 0 && target != nullptr) target->ReopenHeldReads();
}

void MirrorReceiver::RefuseBeforeHello(const std::shared_ptr<InboundLink>& link,
                                       const char* what) {
  {
    common::MutexLock lock(&mu_);
    rejected_peers_ += 1;
  }
  link->Fail(absl::FailedPreconditionError(absl::StrCat(what, " before MirrorHello")));
}

absl::Status MirrorReceiver::ApplyBatch(const rpc::MirrorBatch& batch, rpc::MirrorBatch* expanded,
                                        const rpc::MirrorBatch** data) {
  // Compact encodings become plain deltas before the store, the forwarding
  // and the counters see the batch.
  *data = &batch;
  if (HasCompactDeltas(batch)) {
    *expanded = batch;
    *data = expanded;
    for (rpc::TableDelta& delta : *expanded->mutable_updates()) {
      if (delta.table_id() >= options_.tables.size()) {
        return absl::NotFoundError(absl::StrCat("unknown table ", delta.table_id()));
      }
      if (absl::Status s = ExpandDelta(&delta, options_.tables[delta.table_id()].width); !s.ok()) {
        return s;
      }
    }
  }
  std::shared_ptr<server::MirrorTarget> target;
  {
    common::MutexLock lock(&mu_);
    target = target_;
  }
  if (target == nullptr) return absl::UnavailableError("mirror is not started");
  return target->ApplyMirrored((*data)->updates());
}

void MirrorReceiver::HandleBatch(const std::shared_ptr<InboundLink>& link,
                                 const rpc::MirrorBatch& batch) {
  auto log = common::Logger("mirror");
  const int64_t peer = link->peer_dc();
  if (peer < 0) return RefuseBeforeHello(link, "MirrorBatch");
  const uint32_t from = static_cast<uint32_t>(peer);
  uint64_t expected;
  {
    common::MutexLock lock(&mu_);
    InLink& in = in_[from];
    // A newer hello superseded (and ended) this stream: its sender re-sends
    // what it needs on the new one, and a replaced incarnation's numbers
    // must not count against its successor's.
    if (in.stream != link) return;
    in.stats.bytes += batch.ByteSizeLong();
    in.stats.messages += 1;
    expected = in.next_seq;
    if (batch.seq() < expected) in.stats.duplicates += 1;
    if (batch.seq() > expected) in.stats.rejected += 1;
  }
  if (batch.seq() < expected) {  // already applied: a re-send
    link->Reply(Ack(expected - 1));
    link->ReadNext();
    return;
  }
  if (batch.seq() > expected) {
    // A gap means the sender lost track; it reconnects and resumes from
    // the welcome's next_seq.
    log->warn("dc {} shard {}: sequence gap from dc {}: got {}, expected {}", options_.dc,
              options_.partition_index, from, batch.seq(), expected);
    link->Fail(absl::FailedPreconditionError(
        absl::StrCat("sequence gap: got ", batch.seq(), ", expected ", expected)));
    return;
  }
  rpc::MirrorBatch expanded;
  const rpc::MirrorBatch* data = &batch;
  const absl::Status applied = ApplyBatch(batch, &expanded, &data);
  if (!applied.ok()) {
    log->warn("dc {} shard {}: rejected batch {} from dc {}: {}", options_.dc,
              options_.partition_index, batch.seq(), from, std::string(applied.message()));
  }
  // Clocks and barrier releases take effect even for a rejected batch: its
  // sequence number is consumed so the link goes on, and holding reads for
  // data that will never come would stall this DC forever.
  gate_->ReleaseBarriers(from, batch.barriers_through());
  ApplyMirrorClocks(batch, num_dcs_, *gate_);
  {
    common::MutexLock lock(&mu_);
    InLink& in = in_[from];
    in.next_seq += 1;
    if (applied.ok()) {
      batches_applied_ += 1;
      for (const rpc::TableDelta& delta : data->updates()) {
        in.stats.elements += PlainDeltaElements(delta);
      }
    } else {
      in.stats.rejected += 1;
    }
  }
  // A hub passes it on (src/mirror/hub.h); the sender's lock, not ours.
  if (applied.ok()) forward_->Forward(from, *data);
  std::shared_ptr<server::MirrorTarget> target;
  {
    common::MutexLock lock(&mu_);
    target = target_;
  }
  if (target != nullptr) target->ReopenHeldReads();
  link->Reply(Ack(batch.seq()));
  link->ReadNext();
}

std::string MirrorReceiver::CheckBarrier(rpc::AspBarrier* barrier) const {
  if (barrier->table_id() >= options_.tables.size()) {
    return absl::StrCat("unknown table ", barrier->table_id());
  }
  if (barrier->row_bitmap() && barrier->varint_row_ids()) {
    return "row_bitmap and varint_row_ids together";
  }
  absl::Status ids = absl::OkStatus();
  if (barrier->row_bitmap()) {
    ids = ExpandRowBitmap(barrier->row_base(), options_.tables[barrier->table_id()].rows,
                          barrier->mutable_row_ids());
  } else if (barrier->varint_row_ids()) {
    ids = ExpandVarintRowIds(barrier->mutable_row_ids());
  }
  if (!ids.ok()) return absl::StrCat("row_ids: ", ids.message());
  if (barrier->row_ids().size() % sizeof(uint64_t) != 0) {
    return absl::StrCat("row_ids of ", barrier->row_ids().size(), " bytes is not packed uint64");
  }
  const server::StoreView* store;
  {
    common::MutexLock lock(&mu_);
    store = store_;
  }
  const size_t n = barrier->row_ids().size() / sizeof(uint64_t);
  for (size_t i = 0; i < n; ++i) {
    uint64_t row;
    std::memcpy(&row, barrier->row_ids().data() + i * sizeof(uint64_t), sizeof(row));
    if (store == nullptr || !store->Owns(barrier->table_id(), row)) {
      return absl::StrCat("row ", row, " of table ", barrier->table_id(),
                          " is not held by this shard");
    }
  }
  return "";
}

void MirrorReceiver::HandleBarrier(const std::shared_ptr<InboundLink>& link,
                                   const rpc::AspBarrier& received) {
  const int64_t peer = link->peer_dc();
  if (peer < 0) return RefuseBeforeHello(link, "AspBarrier");
  const uint32_t from = static_cast<uint32_t>(peer);
  rpc::AspBarrier barrier = received;  // row ids as packed uint64
  const std::string why = CheckBarrier(&barrier);
  {
    common::MutexLock lock(&mu_);
    InLink& in = in_[from];
    // Superseded (as in HandleBatch): a replaced incarnation's barrier would
    // hold rows that its successor never releases.
    if (in.stream != link) return;
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
  link->ReadNext();
}

bool MirrorReceiver::AddStatus(rpc::MirrorStatusReply* reply) const {
  common::MutexLock lock(&mu_);
  reply->set_rejected_peers(rejected_peers_);
  reply->set_batches_applied(batches_applied_);
  for (uint32_t dc = 0; dc < num_dcs_; ++dc) {
    if (dc == options_.dc) continue;
    const InLink& in = in_[dc];
    rpc::MirrorLinkStats* s = reply->add_links();
    s->set_peer_dc(dc);
    s->set_outgoing(false);
    s->set_connected(in.stream != nullptr && !in.stream->done());
    s->set_bytes(in.stats.bytes);
    s->set_messages(in.stats.messages);
    s->set_elements(in.stats.elements);
    s->set_barriers(in.stats.barriers);
    s->set_rejected(in.stats.rejected);
    s->set_duplicates(in.stats.duplicates);
    s->set_barrier_blocked_s(gate_->barrier_blocked_s(dc));
    s->set_clock_stall_s(gate_->clock_stall_s(dc));
    s->set_mirror_clock(gate_->mirror_clock(dc));
  }
  return inbound_.empty() && !busy_;
}

void MirrorReceiver::Stop() {
  {
    common::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  std::vector<std::shared_ptr<InboundLink>> links;
  {
    common::MutexLock lock(&mu_);
    for (InLink& in : in_) {
      if (in.stream) links.push_back(std::move(in.stream));
    }
    // A queued message's stream has no read pending: nothing but Fail would
    // ever end it, and the gRPC server's shutdown waits for every stream
    // to end (it hung mirror tests under load).
    for (Inbound& item : inbound_) links.push_back(std::move(item.link));
    inbound_.clear();
    target_.reset();
  }
  // End incoming streams now rather than letting the server's shutdown wait
  // for the peers to give up.
  for (auto& link : links) link->Fail(absl::UnavailableError("mirror shutting down"));
}

}  // namespace gaia::mirror
