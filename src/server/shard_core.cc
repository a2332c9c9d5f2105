#include "src/server/shard_core.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "src/common/logging.h"
#include "src/common/packing.h"
#include "src/common/rpc_options.h"

namespace gaia::server {
namespace {

absl::Status ShuttingDown() { return absl::AbortedError("shard is shutting down"); }

rpc::ShardMessage AbortedRead(uint64_t request_id) {
  rpc::ShardMessage message;
  rpc::Error* error = message.mutable_error();
  error->set_code(rpc::Error::ABORTED);
  error->set_message("shard is shutting down; read was not answered");
  error->set_request_id(request_id);
  return message;
}

}  // namespace

// The store as the update sink sees it: its layout, and values read under mu_.
class ShardCore::SinkView final : public StoreView {
 public:
  explicit SinkView(const ParameterStore& store) : store_(store) {}

  uint32_t num_tables() const override { return store_.num_tables(); }
  uint32_t width(uint32_t table) const override { return store_.width(table); }
  uint64_t owned_rows(uint32_t table) const override { return store_.owned_rows(table); }
  bool Owns(uint32_t table, uint64_t row) const override { return store_.Owns(table, row); }
  uint64_t SlotOf(uint32_t table, uint64_t row) const override {
    return store_.SlotOf(table, row);
  }
  uint64_t RowAt(uint32_t table, uint64_t slot) const override {
    return store_.RowAt(table, slot);
  }
  std::span<const float> Values(uint32_t table, uint64_t slot) const override {
    return {store_.SlotData(table, slot), store_.width(table)};
  }

 private:
  const ParameterStore& store_;
};
static_assert(StoreView::kNoSlot == ParameterStore::kNoSlot);

ShardCore::ShardCore(Options options, std::unique_ptr<ParameterStore> store)
    : options_(std::move(options)),
      store_(std::move(store)),
      sink_view_(std::make_unique<SinkView>(*store_)),
      pending_(store_.get()),
      clocks_(options_.num_workers),
      pushed_clock_(options_.num_workers, -1) {
  if (options_.update_sink) options_.update_sink->Attach(*sink_view_);
}

ShardCore::~ShardCore() = default;

absl::Status ShardCore::Attach(std::shared_ptr<SessionLink> link) {
  common::MutexLock lock(&mu_);
  if (shutting_down_) return ShuttingDown();
  links_.insert(std::move(link));
  return absl::OkStatus();
}

void ShardCore::Detach(const std::shared_ptr<SessionLink>& link, std::optional<uint32_t> worker,
                       bool said_goodbye) {
  int64_t worker_clock = 0;
  {
    common::MutexLock lock(&mu_);
    links_.erase(link);
    if (!worker.has_value()) return;
    --connected_workers_;
    worker_clock = clocks_.worker_clock(*worker);
    if (said_goodbye || shutting_down_) return;
  }
  common::Logger("server")->warn(
      "shard {}: worker {} ended its session without Goodbye at clock {}; the shard clock "
      "waits for it until it reconnects",
      store_->partition_index(), *worker, worker_clock);
}

absl::StatusOr<rpc::HelloReply> ShardCore::Hello(const rpc::Hello& hello) {
  if (hello.job_id() != options_.job_id) {
    return absl::FailedPreconditionError(absl::StrCat("Hello.job_id '", hello.job_id(),
                                                      "' does not match this shard's job '",
                                                      options_.job_id, "'"));
  }
  if (hello.worker_id() >= options_.num_workers) {
    return absl::FailedPreconditionError(absl::StrCat("Hello.worker_id ", hello.worker_id(),
                                                      " not in [0, num_workers ",
                                                      options_.num_workers, ")"));
  }
  rpc::HelloReply reply;
  reply.set_shard_index(store_->partition_index());
  reply.set_num_shards(store_->partition_size());
  reply.set_num_workers(options_.num_workers);
  reply.set_staleness(options_.staleness);
  for (uint32_t t = 0; t < store_->num_tables(); ++t) {
    rpc::TableInfo* info = reply.add_tables();
    info->set_table_id(t);
    info->set_name(store_->spec(t).name);
    info->set_width(store_->spec(t).width);
    info->set_num_rows(store_->spec(t).rows);
  }
  common::MutexLock lock(&mu_);
  if (shutting_down_) return ShuttingDown();
  ++connected_workers_;
  reply.set_shard_clock(clocks_.reported_clock());
  common::Logger("server")->info("shard {}: worker {} joined (nonce {:x}) at shard clock {}",
                                 store_->partition_index(), hello.worker_id(),
                                 hello.session_nonce(), clocks_.reported_clock());
  return reply;
}

absl::Status ShardCore::Push(uint32_t worker, const rpc::PushBatch& batch,
                             std::span<const PackedValues> given_values) {
  const std::vector<PackedValues> own_values =
      given_values.empty() ? DenseValuesOf(batch) : std::vector<PackedValues>();
  const std::span<const PackedValues> values = given_values.empty() ? own_values : given_values;
  // The store's layout is constant: validate the whole batch before locking.
  if (absl::Status s = store_->ValidatePush(batch, values); !s.ok()) return s;
  uint64_t value_bytes = 0;
  for (int i = 0; i < batch.tables_size(); ++i) {
    value_bytes += values[i].size() + batch.tables(i).sparse_entries().size();
  }
  bool late = false;
  int64_t shard_clock = 0;
  {
    common::MutexLock lock(&mu_);
    if (shutting_down_) return ShuttingDown();
    // Against the stored rows: pushes of the same clock still buffered are
    // not counted (docs/ARCHITECTURE.md "Integer counts").
    if (absl::Status s = store_->CheckCountsAfterAdd(batch, values); !s.ok()) return s;
    bytes_received_ += value_bytes;
    shard_clock = clocks_.clock();
    pushed_clock_[worker] = std::max(pushed_clock_[worker], batch.clock());
    if (options_.staleness == 0 && batch.clock() == shard_clock &&
        EarlyApplyAllowedLocked(worker, batch)) {
      // Early-applied clock. Adding a clock-c push to the table before the
      // shard clock passes c is safe here because no read is answered from
      // the table until the shard clock passes c, and live because every
      // worker that still holds the shard clock at c is inside its Clock()
      // (EarlyApplyAllowedLocked):
      //  * The table is visible only to reads answered while the shard clock
      //    is at its current value c (= batch.clock(), the pushing worker's
      //    clock; every other worker is past c, gone, or has pushed clock c
      //    itself, so only ticks or Goodbyes that are already on their way
      //    can advance it: a worker sends its pushes of a clock right
      //    before that clock's tick, and waits for no read in between).
      //  * From now until then, every read is held to min_clock >= c + 1
      //    (EffectiveMinClockLocked): reads from the other workers ask
      //    c + 1 or more anyway under BSP (staleness 0); a read of this
      //    worker or a read sent before a tick (it may ask min_clock <= c)
      //    is parked and answered after the advance, stamped with the new
      //    shard clock, so it sees exactly "updates of clocks < its
      //    shard_clock" like every other reply.
      //  * Reads answered before this push saw the table without it.
      //  * OnAdvancedLocked clears early_clock_ once the clock passes c;
      //    buffered pushes of clock c from workers that ticked are added
      //    then (with an update sink) or now (without one: below), and
      //    addition commutes.
      // Dump() is the one unsynchronized view: it may include these updates
      // while the shard clock is still c. With staleness > 0 readers may ask
      // for c, so holding them would add latency: the fast path is off.
      // An update sink sees the rows now instead of at the advance, which
      // keeps its contract: they are reported before OnClockAdvanced(c + 1),
      // and a worker's clock-c rows are already coalesced (one per row; the
      // path takes dense rows only, which is what workers send for tables
      // narrower than common::kSparseRowsMinWidth).
      if (early_clock_ != batch.clock() && options_.update_sink == nullptr) {
        // The first early push of clock c: what is buffered for c goes in
        // now, and with it the memory holding it.
        updates_applied_ += pending_.ApplyBefore(batch.clock() + 1, store_.get(), nullptr);
      }
      for (int i = 0; i < batch.tables_size(); ++i) {
        updates_applied_ += store_->AddDelta(batch.tables(i), values[i]);
        if (options_.update_sink) ReportDenseLocked(batch.tables(i), values[i], batch.clock() + 1);
      }
      early_clock_ = batch.clock();
      ++early_pushes_;
      return absl::OkStatus();
    }
    pending_.Add(batch.clock(), batch, values);
    if (batch.clock() < shard_clock) {
      // Late push: its clock is already visible, so make it visible now.
      late = true;
      updates_applied_ +=
          pending_.ApplyBefore(shard_clock, store_.get(), options_.update_sink.get());
    }
  }
  if (late) {
    common::Logger("server")->warn(
        "shard {}: worker {} pushed for clock {} behind shard clock {}; applied immediately",
        store_->partition_index(), worker, batch.clock(), shard_clock);
  }
  return absl::OkStatus();
}

bool ShardCore::DenseOnly(const rpc::PushBatch& batch) {
  for (const rpc::TableDelta& delta : batch.tables()) {
    if (!delta.sparse_row_ids().empty()) return false;
  }
  return true;
}

void ShardCore::ReportDenseLocked(const rpc::TableDelta& delta, const PackedValues& values,
                                  int64_t visible_clock) {
  if (delta.dense_row_ids().empty()) return;
  const std::vector<uint64_t> rows = common::Unpack<uint64_t>(delta.dense_row_ids());
  const size_t row_bytes = size_t{store_->width(delta.table_id())} * sizeof(float);
  std::vector<float> deltas(values.size() / sizeof(float));
  values.ForEachRow(row_bytes, [&](size_t i, const char* row) {
    std::memcpy(deltas.data() + i * row_bytes / sizeof(float), row, row_bytes);
  });
  options_.update_sink->OnRowsApplied(delta.table_id(), rows, deltas, visible_clock);
}

bool ShardCore::EarlyApplyAllowedLocked(uint32_t worker, const rpc::PushBatch& batch) const {
  const int64_t clock = batch.clock();
  if (options_.update_sink != nullptr) {
    // The sink sees rows as they are applied; buffered ones are coalesced
    // per row at the advance. Early rows are reported as pushed, dense only.
    return DenseOnly(batch) && clocks_.OnlyHolder(worker, clock);
  }
  // Every worker still at `clock` has pushed for it: each is in its Clock().
  for (uint32_t w = 0; w < clocks_.num_workers(); ++w) {
    if (clocks_.said_goodbye(w) || clocks_.worker_clock(w) > clock) continue;
    if (w != worker && pushed_clock_[w] != clock) return false;
  }
  return clocks_.worker_clock(worker) == clock && !clocks_.said_goodbye(worker);
}

void ShardCore::OnAdvancedLocked(std::vector<Delivery>* deliveries) {
  const int64_t clock = clocks_.clock();
  if (early_clock_ >= 0 && clock > early_clock_) early_clock_ = -1;
  updates_applied_ += pending_.ApplyBefore(clock, store_.get(), options_.update_sink.get());
  if (options_.update_sink) {
    options_.update_sink->OnClockAdvanced(clocks_.reported_clock(),
                                          clock == ClockTracker::kAllDone);
  }
  for (uint64_t ticket : clocks_.TakeReady()) {
    auto it = parked_.find(ticket);
    if (it == parked_.end()) continue;
    ParkedRead read = std::move(it->second);
    parked_.erase(it);
    ReleaseOrGateLocked(std::move(read), deliveries);
  }
}

void ShardCore::ReleaseOrGateLocked(ParkedRead read, std::vector<Delivery>* deliveries) {
  const ReadGate::Hold hold = GateCheckLocked(read.request);
  if (hold.kind != ReadGate::Hold::kNone) {
    gated_.push_back({std::move(read), hold, absl::Now()});
    return;
  }
  Delivery delivery{std::move(read.link), {}};
  *delivery.message.mutable_read() = BuildReplyLocked(read.request);
  deliveries->push_back(std::move(delivery));
}

void ShardCore::ReopenHeldReads() {
  std::vector<Delivery> deliveries;
  {
    common::MutexLock lock(&mu_);
    if (gated_.empty()) return;
    const absl::Time now = absl::Now();
    std::vector<GatedRead> still;
    for (GatedRead& gated : gated_) {
      if (GateCheckLocked(gated.read.request).kind != ReadGate::Hold::kNone) {
        still.push_back(std::move(gated));
        continue;
      }
      options_.read_gate->ReadReleased(gated.hold, absl::ToDoubleSeconds(now - gated.since));
      Delivery delivery{std::move(gated.read.link), {}};
      *delivery.message.mutable_read() = BuildReplyLocked(gated.read.request);
      deliveries.push_back(std::move(delivery));
    }
    gated_ = std::move(still);
  }
  Deliver(std::move(deliveries));
}

absl::Status ShardCore::ApplyMirrored(
    const google::protobuf::RepeatedPtrField<rpc::TableDelta>& deltas) {
  for (const rpc::TableDelta& delta : deltas) {
    if (absl::Status s = store_->ValidateTableDelta(delta); !s.ok()) return s;
  }
  common::MutexLock lock(&mu_);
  if (shutting_down_) return ShuttingDown();
  for (const rpc::TableDelta& delta : deltas) updates_mirrored_ += store_->AddDelta(delta);
  return absl::OkStatus();
}

bool ShardCore::RunWithStoreLocked(absl::FunctionRef<void()> fn) {
  common::MutexLock lock(&mu_);
  if (shutting_down_) return false;
  fn();
  return true;
}

absl::Status ShardCore::Tick(uint32_t worker, int64_t clock, double learning_rate) {
  std::vector<Delivery> deliveries;
  {
    common::MutexLock lock(&mu_);
    if (shutting_down_) return ShuttingDown();
    if (learning_rate > 0 && options_.update_sink) {
      options_.update_sink->OnLearningRate(learning_rate);
    }
    absl::StatusOr<bool> advanced = clocks_.Tick(worker, clock);
    if (!advanced.ok()) return advanced.status();
    if (*advanced) OnAdvancedLocked(&deliveries);
  }
  Deliver(std::move(deliveries));
  return absl::OkStatus();
}

absl::Status ShardCore::Goodbye(uint32_t worker, int64_t final_clock) {
  std::vector<Delivery> deliveries;
  {
    common::MutexLock lock(&mu_);
    if (shutting_down_) return ShuttingDown();
    absl::StatusOr<bool> advanced = clocks_.Goodbye(worker, final_clock);
    if (!advanced.ok()) return advanced.status();
    if (*advanced) OnAdvancedLocked(&deliveries);
  }
  common::Logger("server")->info("shard {}: worker {} said Goodbye at clock {}",
                                 store_->partition_index(), worker, final_clock);
  Deliver(std::move(deliveries));
  return absl::OkStatus();
}

rpc::ReadReply ShardCore::BuildReplyLocked(const rpc::ReadRequest& request) const {
  rpc::ReadReply reply;
  reply.set_request_id(request.request_id());
  reply.set_shard_clock(clocks_.reported_clock());
  store_->ReadRows(request.table_id(), request.row_ids(), reply.mutable_values());
  return reply;
}

absl::StatusOr<std::optional<rpc::ReadReply>> ShardCore::Read(rpc::ReadRequest request,
                                                              std::shared_ptr<SessionLink> link) {
  if (absl::Status s = store_->ValidateRead(request); !s.ok()) return s;
  const uint64_t reply_bytes = request.row_ids().size() / sizeof(uint64_t) *
                               store_->width(request.table_id()) * sizeof(float);
  // Leave room for the envelope; a larger reply could never be sent.
  if (reply_bytes > static_cast<uint64_t>(common::kMaxMessageBytes) - 4096) {
    return absl::InvalidArgumentError(absl::StrCat(
        "read of table ", request.table_id(), " needs a ", reply_bytes,
        "-byte reply, above the message limit of ", common::kMaxMessageBytes, " bytes"));
  }
  {
    common::ReaderMutexLock lock(&mu_);
    if (shutting_down_) return ShuttingDown();
    if (clocks_.Ready(EffectiveMinClockLocked(request)) &&
        GateCheckLocked(request).kind == ReadGate::Hold::kNone) {
      return BuildReplyLocked(request);
    }
  }
  common::MutexLock lock(&mu_);
  if (shutting_down_) return ShuttingDown();
  // The clock (or the gate) may have changed between the two locks.
  const int64_t min_clock = EffectiveMinClockLocked(request);
  if (clocks_.Ready(min_clock)) {
    const ReadGate::Hold hold = GateCheckLocked(request);
    if (hold.kind == ReadGate::Hold::kNone) return BuildReplyLocked(request);
    gated_.push_back({ParkedRead{std::move(request), std::move(link)}, hold, absl::Now()});
    return std::optional<rpc::ReadReply>();
  }
  const uint64_t ticket = clocks_.Park(min_clock);
  parked_.emplace(ticket, ParkedRead{std::move(request), std::move(link)});
  return std::optional<rpc::ReadReply>();
}

absl::StatusOr<rpc::DumpReply> ShardCore::Dump(uint32_t table_id, uint64_t first,
                                               uint64_t max_rows) const {
  if (table_id >= store_->num_tables()) {
    return absl::NotFoundError(absl::StrCat("unknown table ", table_id, " (this job has ",
                                            store_->num_tables(), " tables)"));
  }
  rpc::DumpReply reply;
  common::ReaderMutexLock lock(&mu_);
  store_->Dump(table_id, reply.mutable_row_ids(), reply.mutable_values(), first, max_rows);
  return reply;
}

ShardStats ShardCore::Stats() const {
  ShardStats stats;
  stats.rows_owned = store_->rows_owned();
  stats.table_bytes = store_->table_bytes();
  common::ReaderMutexLock lock(&mu_);
  stats.shard_clock = clocks_.reported_clock();
  stats.connected_workers = connected_workers_;
  stats.updates_applied = updates_applied_;
  stats.updates_mirrored = updates_mirrored_;
  stats.bytes_received = bytes_received_;
  stats.pushes_applied_early = early_pushes_;
  return stats;
}

void ShardCore::Shutdown() {
  std::vector<Delivery> deliveries;
  std::vector<std::shared_ptr<SessionLink>> links;
  {
    common::MutexLock lock(&mu_);
    if (shutting_down_) return;
    shutting_down_ = true;
    for (uint64_t ticket : clocks_.TakeAll()) {
      auto it = parked_.find(ticket);
      if (it == parked_.end()) continue;
      deliveries.push_back(
          {std::move(it->second.link), AbortedRead(it->second.request.request_id())});
    }
    parked_.clear();
    for (GatedRead& gated : gated_) {
      deliveries.push_back(
          {std::move(gated.read.link), AbortedRead(gated.read.request.request_id())});
    }
    gated_.clear();
    links.assign(links_.begin(), links_.end());
  }
  if (!deliveries.empty()) {
    common::Logger("server")->info("shard {}: shutting down, aborting {} parked reads",
                                   store_->partition_index(), deliveries.size());
  }
  Deliver(std::move(deliveries));
  for (const std::shared_ptr<SessionLink>& link : links) link->Close(ShuttingDown());
}

void ShardCore::Deliver(std::vector<Delivery> deliveries) {
  for (Delivery& delivery : deliveries) delivery.link->Deliver(std::move(delivery.message));
}

}  // namespace gaia::server
