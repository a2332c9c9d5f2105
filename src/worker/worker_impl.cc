#include "src/worker/worker_impl.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "src/common/link_security.h"
#include "src/common/logging.h"
#include "src/common/partition.h"

namespace gaia::internal {

absl::Status ValidateWorkerOptions(const WorkerOptions& options) {
  if (options.job_id.empty()) {
    return absl::InvalidArgumentError("WorkerOptions.job_id: required");
  }
  if (options.shard_addresses.empty()) {
    return absl::InvalidArgumentError("WorkerOptions.shard_addresses: required (>= 1 shard)");
  }
  for (const std::string& address : options.shard_addresses) {
    if (address.empty()) {
      return absl::InvalidArgumentError("WorkerOptions.shard_addresses: empty address");
    }
  }
  if (options.connect_timeout_ms <= 0) {
    return absl::InvalidArgumentError("WorkerOptions.connect_timeout_ms: must be > 0");
  }
  if (options.read_timeout_ms <= 0) {
    return absl::InvalidArgumentError("WorkerOptions.read_timeout_ms: must be > 0");
  }
  if (options.max_batch_bytes <= 0) {
    return absl::InvalidArgumentError("WorkerOptions.max_batch_bytes: must be > 0");
  }
  if (options.data_parts == 0 || options.data_part >= options.data_parts) {
    return absl::InvalidArgumentError(
        "WorkerOptions.data_part: must be < data_parts (and data_parts >= 1)");
  }
  return absl::OkStatus();
}

WorkerImpl::WorkerImpl(const WorkerOptions& options)
    : options_(options), start_time_(std::chrono::steady_clock::now()) {}

absl::StatusOr<std::unique_ptr<WorkerImpl>> WorkerImpl::Connect(
    const WorkerOptions& options) {
  if (absl::Status s = ValidateWorkerOptions(options); !s.ok()) return s;
  std::unique_ptr<WorkerImpl> impl(new WorkerImpl(options));
  if (absl::Status s = impl->Handshake(); !s.ok()) return s;
  if (!options.metrics_path.empty()) {
    absl::StatusOr<std::unique_ptr<MetricsWriter>> writer =
        MetricsWriter::Open(options.metrics_path);
    if (!writer.ok()) return writer.status();
    common::MutexLock lock(&impl->clock_mu_);
    impl->metrics_ = std::move(*writer);
  }
  impl->connected_ = true;
  common::Logger("worker")->info(
      "worker {} (dc '{}') connected to {} shard(s) of job '{}': {} table(s), staleness {}",
      options.worker_id, options.dc, options.shard_addresses.size(), options.job_id,
      impl->tables_.size(), impl->staleness_);
  return impl;
}

absl::Status WorkerImpl::Handshake() {
  const size_t n = options_.shard_addresses.size();
  rpc::Hello hello;
  hello.set_job_id(options_.job_id);
  hello.set_worker_id(options_.worker_id);
  absl::BitGen bitgen;
  hello.set_session_nonce(absl::Uniform<uint64_t>(bitgen));

  absl::StatusOr<std::shared_ptr<const common::LinkSecurity>> security =
      common::LinkSecurity::Load({.cert = options_.tls_cert_file,
                                  .key = options_.tls_key_file,
                                  .ca = options_.tls_ca_file,
                                  .token = options_.tls_token_file});
  if (!security.ok()) return security.status();

  const absl::Time deadline = absl::Now() + absl::Milliseconds(options_.connect_timeout_ms);
  std::vector<std::unique_ptr<ShardSession>> sessions;
  for (const std::string& address : options_.shard_addresses) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        MakeShardChannel(address, deadline, **security);
    if (!channel.ok()) return channel.status();
    sessions.push_back(ShardSession::Start(std::move(*channel), address, hello));
  }
  std::vector<rpc::HelloReply> replies;
  for (size_t i = 0; i < n; ++i) {
    absl::StatusOr<rpc::HelloReply> reply = sessions[i]->AwaitHello(deadline);
    if (!reply.ok()) return reply.status();
    replies.push_back(std::move(*reply));
  }

  // Every shard must describe the same job; a mismatch means the addresses or
  // their order do not match the partition, and rows would land on the wrong
  // shard.
  const rpc::HelloReply& first = replies[0];
  for (size_t i = 0; i < n; ++i) {
    const rpc::HelloReply& r = replies[i];
    const std::string& address = options_.shard_addresses[i];
    if (r.num_shards() != n) {
      return absl::FailedPreconditionError(absl::StrCat(
          "shard ", address, " belongs to a partition of ", r.num_shards(),
          " shards, but the worker was given ", n, " shard addresses"));
    }
    if (r.shard_index() != i) {
      return absl::FailedPreconditionError(absl::StrCat(
          "shard ", address, " is partition index ", r.shard_index(),
          " but is listed at position ", i, " of shard_addresses"));
    }
    if (r.staleness() != first.staleness()) {
      return absl::FailedPreconditionError(
          absl::StrCat("shard ", address, " reports staleness ", r.staleness(), ", shard ",
                       options_.shard_addresses[0], " reports ", first.staleness()));
    }
    bool same_tables = r.tables_size() == first.tables_size();
    for (int t = 0; same_tables && t < r.tables_size(); ++t) {
      const rpc::TableInfo& a = r.tables(t);
      const rpc::TableInfo& b = first.tables(t);
      same_tables = a.table_id() == b.table_id() && a.name() == b.name() &&
                    a.width() == b.width() && a.num_rows() == b.num_rows();
    }
    if (!same_tables) {
      return absl::FailedPreconditionError(
          absl::StrCat("shard ", address, " reports other tables than shard ",
                       options_.shard_addresses[0]));
    }
  }
  if (first.staleness() < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("shards report negative staleness ", first.staleness()));
  }
  staleness_ = first.staleness();
  std::vector<uint32_t> widths;
  std::vector<uint64_t> num_rows;
  for (int t = 0; t < first.tables_size(); ++t) {
    const rpc::TableInfo& info = first.tables(t);
    if (info.table_id() != static_cast<uint32_t>(t) || info.width() == 0 ||
        info.num_rows() == 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "shard ", options_.shard_addresses[0], " describes table '", info.name(),
          "' with id ", info.table_id(), " at position ", t, ", width ", info.width(),
          ", rows ", info.num_rows(), " (want id == position, width and rows > 0)"));
    }
    tables_.push_back(TableMeta{info.name(), info.width(), info.num_rows()});
    table_ids_.emplace(info.name(), static_cast<uint32_t>(t));
    widths.push_back(info.width());
    num_rows.push_back(info.num_rows());
  }
  for (size_t i = 0; i < n; ++i) {
    // Sent clocks a read may still need: a read at clock c is served at
    // stamps >= c - s, and one issued before a concurrent Clock() at
    // stamps >= c - s - 1 (WorkerImpl's comment).
    shards_.push_back(std::make_unique<ShardState>(widths, num_rows, int64_t{staleness_} + 1));
    shards_.back()->session = std::move(sessions[i]);
    sessions_.push_back(shards_.back()->session.get());
  }
  shard_modulus_ = common::Modulus(static_cast<uint32_t>(n));
  if (options_.enable_cache) cache_ = std::make_unique<RowCache>(kCacheCapacityBytes);
  return absl::OkStatus();
}

WorkerImpl::~WorkerImpl() {
  if (connected_) {
    absl::Status status = Finish();
    if (!status.ok()) {
      common::Logger("worker")->warn("worker {}: finish: {}", options_.worker_id,
                                     status.ToString());
    }
  }
  // ShardState destructors cancel any session still open and wait for gRPC.
}

absl::StatusOr<Table> WorkerImpl::GetTable(std::string_view name) {
  auto it = table_ids_.find(std::string(name));
  if (it == table_ids_.end()) {
    std::vector<std::string> names;
    for (const TableMeta& t : tables_) names.push_back(t.name);
    return absl::NotFoundError(absl::StrCat("no table '", std::string(name), "' in job '",
                                            options_.job_id, "' (tables: ",
                                            absl::StrJoin(names, ", "), ")"));
  }
  const TableMeta& meta = tables_[it->second];
  return Table(this, it->second, meta.width, meta.num_rows);
}

const std::string& WorkerImpl::TableName(uint32_t table_id) const {
  return tables_.at(table_id).name;
}

absl::Status WorkerImpl::CheckTableAndRow(uint32_t table_id, uint64_t row) const {
  if (table_id >= tables_.size()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown table id ", table_id));
  }
  if (row >= tables_[table_id].num_rows) {
    return absl::InvalidArgumentError(
        absl::StrCat("table '", tables_[table_id].name, "': row ", row,
                     " out of range [0, ", tables_[table_id].num_rows, ")"));
  }
  if (finished_.load(std::memory_order_acquire)) {
    return absl::FailedPreconditionError("worker already finished");
  }
  return absl::OkStatus();
}

absl::Status WorkerImpl::BackgroundError() const {
  for (const auto& shard : shards_) {
    if (absl::Status s = shard->session->error(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status WorkerImpl::CheckTableAndRows(uint32_t table_id,
                                           std::span<const uint64_t> rows) const {
  if (table_id >= tables_.size()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown table id ", table_id));
  }
  const uint64_t num_rows = tables_[table_id].num_rows;
  for (uint64_t row : rows) {
    if (row >= num_rows) return CheckTableAndRow(table_id, row);  // names the row
  }
  if (finished_.load(std::memory_order_acquire)) {
    return absl::FailedPreconditionError("worker already finished");
  }
  return absl::OkStatus();
}

absl::Status WorkerImpl::Inc(uint32_t table_id, uint64_t row,
                             std::span<const float> delta) {
  if (absl::Status s = CheckTableAndRow(table_id, row); !s.ok()) return s;
  const TableMeta& meta = tables_[table_id];
  if (delta.size() != meta.width) {
    return absl::InvalidArgumentError(absl::StrCat("table '", meta.name, "': Inc delta has ",
                                                   delta.size(), " floats, the row width is ",
                                                   meta.width));
  }
  ShardState& shard = *shards_[ShardFor(table_id, row)];
  common::ExclusiveLock lock(&shard.mu);
  shard.buffer.Add(table_id, row, delta);
  return absl::OkStatus();
}

absl::Status WorkerImpl::IncMany(uint32_t table_id, std::span<const uint64_t> rows,
                                 std::span<const float> deltas) {
  if (absl::Status s = CheckTableAndRows(table_id, rows); !s.ok()) return s;
  const TableMeta& meta = tables_[table_id];
  if (deltas.size() != rows.size() * meta.width) {
    return absl::InvalidArgumentError(
        absl::StrCat("table '", meta.name, "': IncMany got ", deltas.size(), " floats for ",
                     rows.size(), " rows of width ", meta.width));
  }
  if (shards_.size() == 1) {
    ShardState& shard = *shards_[0];
    common::ExclusiveLock lock(&shard.mu);
    shard.buffer.AddMany(table_id, rows, deltas);
    return absl::OkStatus();
  }
  // Positions of each shard's rows, then one lock per shard. The lists are
  // this thread's scratch, reused across calls: fresh ones would page-fault
  // on first touch for every large call.
  thread_local std::vector<std::vector<uint32_t>> by_shard;
  by_shard.resize(std::max(by_shard.size(), shards_.size()));
  for (std::vector<uint32_t>& picks : by_shard) picks.clear();
  for (size_t i = 0; i < rows.size(); ++i) {
    by_shard[ShardFor(table_id, rows[i])].push_back(static_cast<uint32_t>(i));
  }
  for (size_t k = 0; k < shards_.size(); ++k) {
    if (by_shard[k].empty()) continue;
    ShardState& shard = *shards_[k];
    common::ExclusiveLock lock(&shard.mu);
    shard.buffer.AddMany(table_id, rows, deltas, by_shard[k]);
  }
  return absl::OkStatus();
}

absl::Status WorkerImpl::IncSparse(uint32_t table_id, uint64_t row,
                                   std::span<const uint32_t> cols,
                                   std::span<const float> vals) {
  if (absl::Status s = CheckTableAndRow(table_id, row); !s.ok()) return s;
  const TableMeta& meta = tables_[table_id];
  if (cols.size() != vals.size()) {
    return absl::InvalidArgumentError(absl::StrCat("table '", meta.name, "': IncSparse got ",
                                                   cols.size(), " columns and ", vals.size(),
                                                   " values"));
  }
  for (uint32_t col : cols) {
    if (col >= meta.width) {
      return absl::InvalidArgumentError(absl::StrCat("table '", meta.name, "': column ", col,
                                                     " out of range [0, ", meta.width, ")"));
    }
  }
  ShardState& shard = *shards_[ShardFor(table_id, row)];
  common::ExclusiveLock lock(&shard.mu);
  shard.buffer.AddSparse(table_id, row, cols, vals);
  return absl::OkStatus();
}

absl::Status WorkerImpl::FlushUpdates(int64_t clock, uint64_t* rows, uint64_t* bytes) {
  absl::Status status;
  for (const auto& shard : shards_) {
    std::vector<grpc::ByteBuffer> batches;
    {
      common::ExclusiveLock lock(&shard->mu);
      // Even an empty buffer: TakeBatches also forgets sent clocks no read
      // needs any more.
      *rows += shard->buffer.rows();
      *bytes += shard->buffer.value_bytes();
      batches = shard->buffer.TakeBatches(clock, options_.max_batch_bytes);
    }
    for (grpc::ByteBuffer& batch : batches) {
      status.Update(shard->session->SendSerialized(std::move(batch)));
    }
  }
  return status;
}

absl::Status WorkerImpl::Clock() {
  common::MutexLock lock(&clock_mu_);
  if (finished_.load(std::memory_order_acquire)) {
    return absl::FailedPreconditionError("worker already finished");
  }
  const int64_t c = clock_.load(std::memory_order_acquire);
  uint64_t rows = 0;
  uint64_t bytes = 0;
  absl::Status status = FlushUpdates(c, &rows, &bytes);
  double learning_rate = 0;
  {
    common::MutexLock report_lock(&report_mu_);
    learning_rate = learning_rate_.value_or(0.0);
  }
  // Every shard gets the tick, with or without updates: the shard clock is
  // the minimum over workers, so silence would stall everyone.
  for (const auto& shard : shards_) {
    rpc::WorkerMessage tick;
    tick.mutable_clock()->set_clock(c + 1);
    if (learning_rate > 0) tick.mutable_clock()->set_learning_rate(learning_rate);
    status.Update(shard->session->Send(std::move(tick)));
  }
  clock_.store(c + 1, std::memory_order_release);

  ClockMetrics metrics;
  metrics.worker = options_.worker_id;
  metrics.dc = options_.dc;
  metrics.clock = c;
  metrics.time_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time_).count();
  metrics.unix_time_s =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  {
    common::MutexLock report_lock(&report_mu_);
    metrics.objective = std::exchange(objective_, std::nullopt);
    metrics.learning_rate = std::exchange(learning_rate_, std::nullopt);
    metrics.held_out = std::exchange(held_out_, std::nullopt);
    metrics.input_bytes = input_bytes_;
  }
  metrics.rows_pushed = rows;
  metrics.bytes_pushed = bytes;
  metrics.reads = reads_.exchange(0);
  metrics.read_wait_s = static_cast<double>(read_wait_ns_.exchange(0)) * 1e-9;
  if (metrics_ != nullptr) status.Update(metrics_->Append(metrics));
  common::Logger("worker")->debug("worker {}: clock {} done, {} rows / {} bytes pushed",
                                  options_.worker_id, c, rows, bytes);
  return status;
}

void WorkerImpl::ReportObjective(double objective) {
  common::MutexLock lock(&report_mu_);
  objective_ = objective;
}

void WorkerImpl::ReportLearningRate(double learning_rate) {
  common::MutexLock lock(&report_mu_);
  learning_rate_ = learning_rate;
}

void WorkerImpl::ReportHeldOut(std::string_view name, double sum, double count,
                               bool root_of_mean) {
  common::MutexLock lock(&report_mu_);
  held_out_ = HeldOutMetric{std::string(name), sum, count, root_of_mean};
}

void WorkerImpl::ReportInputBytes(uint64_t bytes) {
  common::MutexLock lock(&report_mu_);
  input_bytes_ = bytes;
}

absl::Status WorkerImpl::Finish() {
  common::MutexLock lock(&clock_mu_);
  if (finished_.load(std::memory_order_acquire)) return finish_status_;
  const int64_t c = clock_.load(std::memory_order_acquire);
  // Updates made after the last Clock() still belong to clock c.
  uint64_t rows = 0;
  uint64_t bytes = 0;
  absl::Status status = FlushUpdates(c, &rows, &bytes);
  finished_.store(true, std::memory_order_release);
  for (const auto& shard : shards_) shard->session->SendGoodbye(c);
  const absl::Time deadline = absl::Now() + absl::Milliseconds(options_.connect_timeout_ms);
  for (const auto& shard : shards_) status.Update(shard->session->Close(c, deadline));
  finish_status_ = status;
  common::Logger("worker")->info("worker {}: finished at clock {}{}", options_.worker_id, c,
                                 status.ok() ? "" : absl::StrCat(": ", status.ToString()));
  return status;
}

}  // namespace gaia::internal
