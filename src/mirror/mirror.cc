#include "src/mirror/mirror.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "src/common/logging.h"
#include "src/common/rpc_options.h"
#include "src/mirror/delta_encoding.h"
#include "src/server/parameter_store.h"
#include "src/server/shard_core.h"

namespace gaia::mirror {
namespace {

constexpr int64_t kDoneClock = std::numeric_limits<int64_t>::max();

std::vector<uint32_t> Widths(const std::vector<common::TableSpec>& tables) {
  std::vector<uint32_t> widths;
  for (const common::TableSpec& t : tables) widths.push_back(t.width);
  return widths;
}

}  // namespace

absl::StatusOr<std::shared_ptr<Mirror>> Mirror::Create(MirrorOptions options) {
  const uint32_t num_dcs = options.overlay.num_dcs();
  if (options.dc >= num_dcs) {
    return absl::InvalidArgumentError(
        absl::StrCat("mirror: dc ", options.dc, " not in [0, ", num_dcs, ")"));
  }
  if (!options.significance) {
    return absl::InvalidArgumentError("mirror: no significance function");
  }
  if (options.tables.empty()) return absl::InvalidArgumentError("mirror: no tables");
  if (!(options.threshold.initial > 0)) {
    return absl::InvalidArgumentError("mirror: threshold must be > 0");
  }
  return std::make_shared<Mirror>(std::move(options));
}

Mirror::Mirror(MirrorOptions options)
    : options_(std::move(options)),
      num_dcs_(options_.overlay.num_dcs()),
      gate_(std::make_shared<AspGate>(options_.dc, num_dcs_, options_.ds, options_.barriers)),
      schedule_(options_.threshold) {
  out_index_.assign(num_dcs_, -1);
  in_.resize(num_dcs_);
  for (uint32_t peer : options_.overlay.OutLinks(options_.dc)) {
    out_index_[peer] = static_cast<int>(out_.size());
    OutLink link;
    link.peer = peer;
    link.outbox = std::make_unique<Outbox>(
        Widths(options_.tables),
        /*half_values=*/options_.values != significance::ValueEmission::kExact,
        /*compact=*/true);
    out_.push_back(std::move(link));
  }
}

Mirror::~Mirror() { Stop(); }

absl::Status Mirror::Start(std::shared_ptr<server::ShardCore> core) {
  {
    common::MutexLock lock(&mu_);
    if (started_) return absl::FailedPreconditionError("mirror already started");
    if (filter_ == nullptr) {
      return absl::FailedPreconditionError("mirror: the shard did not attach its store");
    }
    started_ = true;
  }
  core_ = std::move(core);
  service_ = std::make_unique<MirrorService>(this);
  grpc::ServerBuilder builder;
  common::ConfigureServerBuilder(&builder, common::ServerKind::kMirror);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(options_.listen_address, MirrorServerCredentials(), &port_);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    server_.reset();
    return absl::UnavailableError(
        absl::StrCat("mirror: cannot listen on ", options_.listen_address));
  }
  client_thread_ = std::thread([this] { ClientLoop(); });
  server_thread_ = std::thread([this] { ServerLoop(); });
  common::Logger("mirror")->info("dc {} shard {}: mirror listening on port {}, {} outgoing links",
                                 options_.dc, options_.partition_index, port_, out_.size());
  return absl::OkStatus();
}

void Mirror::SetPeers(const std::map<uint32_t, std::string>& peers) {
  {
    common::MutexLock lock(&mu_);
    for (const auto& [dc, address] : peers) {
      if (dc >= num_dcs_ || out_index_[dc] < 0) continue;
      out_[out_index_[dc]].address = address;
    }
  }
  Wake();
}

void Mirror::Stop() {
  std::vector<std::unique_ptr<LinkCall>> calls;
  {
    common::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (client_thread_.joinable()) client_thread_.join();
  if (server_thread_.joinable()) server_thread_.join();
  std::vector<std::shared_ptr<InboundStream>> inbound;
  {
    common::MutexLock lock(&mu_);
    for (OutLink& link : out_) {
      if (link.call) calls.push_back(std::move(link.call));
    }
    for (InLink& in : in_) {
      if (in.stream) inbound.push_back(std::move(in.stream));
    }
  }
  for (auto& call : calls) call->Cancel();
  calls.clear();  // waits for gRPC to finish each call
  // End incoming streams now rather than letting the server's shutdown wait
  // for the peers to give up.
  for (auto& stream : inbound) stream->Fail(absl::UnavailableError("mirror shutting down"));
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    server_->Wait();
  }
  // The shard holds this mirror as its update sink: drop the shard so that
  // neither keeps the other alive.
  common::MutexLock lock(&mu_);
  core_.reset();
}

void Mirror::Wake() {
  common::MutexLock lock(&mu_);
  wake_client_ = true;
}

uint64_t Mirror::LayoutFingerprint() const {
  // FNV-1a over what both ends must agree on.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  };
  mix(&options_.partition_size, sizeof(options_.partition_size));
  for (const common::TableSpec& t : options_.tables) {
    mix(t.name.data(), t.name.size());
    mix(&t.rows, sizeof(t.rows));
    mix(&t.width, sizeof(t.width));
  }
  return h;
}

// --- UpdateSink ---

void Mirror::Attach(const server::ParameterStore& store) {
  std::vector<significance::TableShape> shapes;
  for (uint32_t t = 0; t < store.num_tables(); ++t) {
    shapes.push_back({store.width(t), store.owned_rows(t)});
  }
  common::MutexLock lock(&mu_);
  store_ = &store;
  filter_ = std::make_unique<significance::SignificanceFilter>(
      std::move(shapes), options_.significance, options_.values);
}

void Mirror::OnRowsApplied(uint32_t table_id, std::span<const uint64_t> rows,
                           std::span<const float> deltas, int64_t /*shard_clock*/) {
  const uint32_t width = store_->width(table_id);
  common::MutexLock lock(&mu_);
  for (size_t i = 0; i < rows.size(); ++i) {
    const uint64_t slot = store_->SlotOf(table_id, rows[i]);
    if (slot == server::ParameterStore::kNoSlot) continue;
    filter_->Accumulate(table_id, slot, deltas.subspan(i * width, width));
  }
}

void Mirror::QueueRowLocked(OutLink& link, bool relayed, uint32_t table, uint64_t row,
                            std::span<const uint32_t> cols, std::span<const float> vals) {
  link.outbox->AddRow(relayed, table, row, cols, vals);
  if (options_.barriers) link.fresh_rows.emplace_back(table, row);
}

void Mirror::MaybeBarriersLocked() {
  for (OutLink& link : out_) {
    if (link.fresh_rows.empty()) continue;
    std::vector<std::pair<uint32_t, uint64_t>> fresh = std::move(link.fresh_rows);
    link.fresh_rows.clear();
    if (link.bandwidth_bytes_per_s <= 0) continue;  // not measured yet
    const double backlog_s =
        static_cast<double>(link.outbox->queued_wire_bytes() + link.unacked_bytes) /
        link.bandwidth_bytes_per_s;
    if (backlog_s * 1000.0 <= options_.barrier_backlog_ms) continue;
    // One barrier per table, ahead of the data on the control queue; ids
    // sorted, as varint deltas or a row bitmap.
    std::sort(fresh.begin(), fresh.end());
    fresh.erase(std::unique(fresh.begin(), fresh.end()), fresh.end());
    std::vector<uint64_t> rows;
    for (size_t i = 0; i < fresh.size();) {
      const uint32_t table = fresh[i].first;
      rows.clear();
      for (; i < fresh.size() && fresh[i].first == table; ++i) rows.push_back(fresh[i].second);
      RowIdList list = EncodeAscendingRows(rows);
      rpc::AspBarrier barrier;
      barrier.set_barrier_id(link.outbox->NextBarrierId());
      barrier.set_table_id(table);
      barrier.set_varint_row_ids(!list.bitmap);
      barrier.set_row_bitmap(list.bitmap);
      barrier.set_row_base(list.base);
      barrier.set_row_ids(std::move(list.bytes));
      link.control.push_back(std::move(barrier));
    }
  }
}

void Mirror::StartRoundLocked(double threshold, bool flush, std::optional<int64_t> clock,
                              bool final_flush, bool unbounded) {
  if (!filter_->round_open()) {
    round_ = Round();
    round_.sent_before = filter_->counters().elements_sent;
  }
  // A round reopened by a later clock covers that clock too.
  round_.threshold = threshold;
  if (clock) round_.clock = std::max(round_.clock.value_or(*clock), *clock);
  round_.final_flush = round_.final_flush || final_flush;
  filter_->BeginRound(flush);
  ContinueRoundLocked(unbounded);
}

uint64_t Mirror::MaxQueuedBytesLocked() const {
  uint64_t most = 0;
  for (const OutLink& link : out_) most = std::max(most, link.outbox->queued_bytes());
  return most;
}

void Mirror::ContinueRoundLocked(bool unbounded) {
  if (!filter_->round_open()) return;
  uint64_t budget = std::numeric_limits<uint64_t>::max();
  if (!unbounded) {
    const uint64_t queued = MaxQueuedBytesLocked();
    if (queued >= options_.max_queued_bytes) return;  // the client resumes it
    // Each emitted element adds at least kQueuedEntryBytes to the queues.
    budget = std::max<uint64_t>(1, (options_.max_queued_bytes - queued) / Outbox::kQueuedEntryBytes);
  }
  const std::vector<uint32_t> targets = options_.overlay.OwnTargets(options_.dc);
  auto value_of = [this](uint32_t table, uint64_t slot) {
    return std::span<const float>(store_->SlotData(table, slot), store_->width(table));
  };
  auto emit = [&](const significance::SignificantRow& row) {
    const uint64_t row_id = store_->RowAt(row.table, row.slot);
    for (uint32_t dc : targets) {
      QueueRowLocked(out_[out_index_[dc]], false, row.table, row_id, row.cols, row.acc);
    }
  };
  const bool done = filter_->ContinueRound(round_.threshold, value_of, emit, budget);
  MaybeBarriersLocked();
  wake_client_ = true;
  if (!done) return;
  // The clock follows the data it covers (Outbox keeps that order).
  // Without a DS bound (gaia_async) nobody needs mirror clocks.
  if (options_.ds >= 0 && round_.clock) {
    for (uint32_t dc : targets) out_[out_index_[dc]].outbox->AddClock(options_.dc, *round_.clock);
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

bool Mirror::LinksUnderusedLocked() const {
  for (const OutLink& link : out_) {
    if (!link.outbox->empty() || !link.unacked.empty() || !link.control.empty()) return false;
  }
  return true;
}

void Mirror::OnClockAdvanced(int64_t clock, bool all_done) {
  common::MutexLock lock(&mu_);
  local_clock_ = clock;
  if (all_done) {
    StartRoundLocked(0, /*flush=*/true, kDoneClock, /*final_flush=*/true, /*unbounded=*/false);
  } else {
    schedule_.OnClock(LinksUnderusedLocked());
    StartRoundLocked(schedule_.Soft(clock), /*flush=*/false, clock, /*final_flush=*/false,
                     /*unbounded=*/false);
  }
}

void Mirror::OnLearningRate(double learning_rate) {
  common::MutexLock lock(&mu_);
  schedule_.ReportLearningRate(learning_rate);
}

void Mirror::OnFlush() {
  common::MutexLock lock(&mu_);
  const uint64_t before = filter_->counters().elements_sent;
  // On request: all at once, whatever is queued already.
  StartRoundLocked(0, /*flush=*/true, std::nullopt, /*final_flush=*/false, /*unbounded=*/true);
  flushed_elements_ = filter_->counters().elements_sent - before;
}

void Mirror::OnResume() {
  common::MutexLock lock(&mu_);
  resume_requested_ = false;
  ContinueRoundLocked(/*unbounded=*/false);
}

uint64_t Mirror::Flush() {
  std::shared_ptr<server::ShardCore> core;
  {
    common::MutexLock lock(&mu_);
    if (stopping_ || core_ == nullptr) return 0;
    core = core_;
  }
  core->FlushSink();  // calls OnFlush under the shard's lock
  common::MutexLock lock(&mu_);
  return flushed_elements_;
}

rpc::MirrorStatusReply Mirror::GetStatus() const {
  rpc::MirrorStatusReply reply;
  common::MutexLock lock(&mu_);
  reply.set_dc(options_.dc);
  reply.set_shard(options_.partition_index);
  reply.set_local_clock(local_clock_);
  reply.set_final_flush_done(final_flush_done_);
  bool idle = inbound_.empty() && !inbound_busy_ && !(filter_ && filter_->round_open());
  if (filter_) {
    reply.set_elements_seen(filter_->counters().elements_seen);
    reply.set_elements_sent(filter_->counters().elements_sent);
  }
  reply.set_hard_threshold(schedule_.Hard(local_clock_));
  reply.set_soft_threshold(schedule_.Soft(local_clock_));
  reply.set_rejected_peers(rejected_peers_);
  reply.set_batches_applied(batches_applied_);
  for (const OutLink& link : out_) {
    idle = idle && link.outbox->empty() && link.unacked.empty() && link.control.empty();
    rpc::MirrorLinkStats* s = reply.add_links();
    s->set_peer_dc(link.peer);
    s->set_outgoing(true);
    s->set_connected(link.state == OutLink::State::kUp);
    s->set_bytes(link.stats.bytes);
    s->set_messages(link.stats.messages);
    s->set_elements(link.stats.elements);
    s->set_barriers(link.stats.barriers);
    s->set_retransmitted(link.stats.retransmitted);
    s->set_unacked_batches(link.unacked.size());
    s->set_queued_rows(link.outbox->queued_rows());
    s->set_bandwidth_mbps(link.bandwidth_bytes_per_s * 8 / 1e6);
  }
  for (uint32_t dc = 0; dc < num_dcs_; ++dc) {
    if (dc == options_.dc) continue;
    const InLink& in = in_[dc];
    rpc::MirrorLinkStats* s = reply.add_links();
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
  reply.set_idle(idle);
  return reply;
}

}  // namespace gaia::mirror
