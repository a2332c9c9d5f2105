// The implementation behind gaia::Worker and gaia::Table (include/gaia/worker.h).
//
// One ShardSession (bidi stream) per shard; one UpdateBuffer per shard, each
// under its own mutex so threads Inc-ing rows of different shards do not
// contend; an SSP-consistent RowCache; a MetricsWriter fed by Clock().
//
// Read-my-writes (DESIGN.md §4.1): the cache holds rows exactly as the
// shards sent them, each stamped with its shard clock S (it reflects every
// update of clocks < S, and none of later clocks). A read adds to each row,
// cached or fresh, what the worker's own UpdateBuffer holds of it that S
// does not cover: the row as buffered (this clock), and as sent at every
// clock >= S (the buffer keeps staleness + 1 sent clocks for that, which
// covers every stamp a read at the current clock, or at the previous one
// overlapping a Clock(), may be served at). An update sent at clock k is
// therefore added exactly while the row's snapshot predates k, and counted
// by the shard's values once it does not: never twice, never missing.
//
// Thread-safe. No lock is held while waiting on the network: reads wait on
// per-request notifications, Clock() only enqueues messages.
#ifndef GAIA_SRC_WORKER_WORKER_IMPL_H_
#define GAIA_SRC_WORKER_WORKER_IMPL_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/common/mutex.h"
#include "src/common/partition.h"
#include "gaia/options.h"
#include "gaia/worker.h"
#include "src/worker/metrics_writer.h"
#include "src/worker/row_cache.h"
#include "src/worker/shard_session.h"
#include "src/worker/update_buffer.h"

namespace gaia::internal {

// Checks the fields Connect() relies on; INVALID_ARGUMENT naming the field.
absl::Status ValidateWorkerOptions(const WorkerOptions& options);

class WorkerImpl {
 public:
  // Byte budget of the row cache (when options.enable_cache).
  static constexpr uint64_t kCacheCapacityBytes = 256ull << 20;

  static absl::StatusOr<std::unique_ptr<WorkerImpl>> Connect(const WorkerOptions& options);
  ~WorkerImpl();  // Finish()es if connected and not finished
  WorkerImpl(const WorkerImpl&) = delete;
  WorkerImpl& operator=(const WorkerImpl&) = delete;

  absl::StatusOr<Table> GetTable(std::string_view name);
  const std::string& TableName(uint32_t table_id) const;

  absl::Status GetMany(uint32_t table_id, std::span<const uint64_t> rows,
                       std::span<float> out);
  absl::Status Inc(uint32_t table_id, uint64_t row, std::span<const float> delta);
  absl::Status IncMany(uint32_t table_id, std::span<const uint64_t> rows,
                       std::span<const float> deltas);
  absl::Status IncSparse(uint32_t table_id, uint64_t row, std::span<const uint32_t> cols,
                         std::span<const float> vals);

  absl::Status Clock();
  int64_t clock() const { return clock_.load(std::memory_order_acquire); }
  int32_t staleness() const { return staleness_; }
  void ReportObjective(double objective);
  void ReportLearningRate(double learning_rate);
  void ReportHeldOut(std::string_view name, double sum, double count, bool root_of_mean);
  void ReportInputBytes(uint64_t bytes);
  absl::Status Finish();
  const WorkerOptions& options() const { return options_; }

 private:
  struct TableMeta {
    std::string name;
    uint32_t width = 0;
    uint64_t num_rows = 0;
  };
  struct ShardState {
    ShardState(std::vector<uint32_t> widths, std::vector<uint64_t> num_rows,
               int64_t kept_clocks)
        : buffer(std::move(widths), std::move(num_rows), kept_clocks) {}
    std::unique_ptr<ShardSession> session;
    common::ExclusiveMutex mu;
    UpdateBuffer buffer ABSL_GUARDED_BY(mu);
  };

  explicit WorkerImpl(const WorkerOptions& options);

  absl::Status Handshake();
  // Validation shared by the public calls; nothing is sent when it fails.
  absl::Status CheckTableAndRow(uint32_t table_id, uint64_t row) const;
  // CheckTableAndRow for every row (naming the first bad one); OK for none.
  absl::Status CheckTableAndRows(uint32_t table_id, std::span<const uint64_t> rows) const;
  // First sticky error of any session (OK if none).
  absl::Status BackgroundError() const;
  // Inline: IncMany calls it for every row.
  uint32_t ShardFor(uint32_t table_id, uint64_t row) const {
    return shards_.size() == 1 ? 0 : common::ShardOf(table_id, row, shard_modulus_);
  }
  // GetMany's parts (worker_read.cc). ReadBase fills `out` with the rows as
  // the cache or the shards hold them, and stamps[i] with the shard clock of
  // rows[i]'s snapshot when `stamps` is not null.
  absl::Status ReadBase(uint32_t table_id, std::span<const uint64_t> rows, int64_t min_clock,
                        std::span<float> out, int64_t* stamps);
  // (*unseen)[k]: whether shard k's buffer holds own updates of the table a
  // snapshot stamped min_clock or later may lack; true if any does.
  bool FindUnseenShards(uint32_t table_id, int64_t min_clock, std::vector<uint8_t>* unseen);
  // Adds to every row of `out` the own updates its snapshot lacks
  // (UpdateBuffer::AddUnseen), one lock per shard marked in `unseen`.
  void AddOwnUpdates(uint32_t table_id, std::span<const uint64_t> rows, const int64_t* stamps,
                     const std::vector<uint8_t>& unseen, std::span<float> out);
  // Moves every shard's buffered updates into PushBatch(clock) messages and
  // queues them. Adds the pushed rows/bytes to the counters.
  absl::Status FlushUpdates(int64_t clock, uint64_t* rows, uint64_t* bytes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(clock_mu_);

  // Constant after Connect().
  const WorkerOptions options_;
  const std::chrono::steady_clock::time_point start_time_;
  std::vector<TableMeta> tables_;  // index = table id
  absl::flat_hash_map<std::string, uint32_t> table_ids_;
  int32_t staleness_ = 0;
  std::vector<std::unique_ptr<ShardState>> shards_;
  std::vector<ShardSession*> sessions_;  // shards_[k]->session, for GetMany
  common::Modulus shard_modulus_{1};  // shards_.size()
  std::unique_ptr<RowCache> cache_;  // null when caching is off
  bool connected_ = false;

  std::atomic<int64_t> clock_{0};
  std::atomic<bool> finished_{false};
  // Per-clock counters for the metrics line.
  std::atomic<uint64_t> reads_{0};
  std::atomic<int64_t> read_wait_ns_{0};

  // Serializes Clock() and Finish() (they take the buffers and tick the clock).
  common::Mutex clock_mu_;
  std::unique_ptr<MetricsWriter> metrics_ ABSL_GUARDED_BY(clock_mu_);
  absl::Status finish_status_ ABSL_GUARDED_BY(clock_mu_);

  common::Mutex report_mu_;
  std::optional<double> objective_ ABSL_GUARDED_BY(report_mu_);
  std::optional<double> learning_rate_ ABSL_GUARDED_BY(report_mu_);
  std::optional<HeldOutMetric> held_out_ ABSL_GUARDED_BY(report_mu_);
  std::optional<uint64_t> input_bytes_ ABSL_GUARDED_BY(report_mu_);  // sticky
};

}  // namespace gaia::internal

#endif  // GAIA_SRC_WORKER_WORKER_IMPL_H_
