// Coalesces one shard's updates of one clock into dense per-table arenas and
// cuts them into PushBatch messages.
//
//   UpdateBuffer buffer(widths);            // widths[table_id] = row width
//   buffer.Add(table, row, delta);          // dense delta, width floats
//   buffer.AddSparse(table, row, cols, vals);
//   std::vector<rpc::PushBatch> batches = buffer.TakeBatches(clock, 4 << 20);
//
// Repeated updates of one (table, row) within a clock are summed into one
// dense row, so a clock sends each touched row once. Sparse updates are added
// into the dense row too: the wire then carries only dense deltas, which the
// shard applies with one vectorizable loop per row.
//
// Not thread-safe: the owner serializes access (WorkerImpl keeps one buffer
// per shard, each under its own mutex).
#ifndef GAIA_SRC_WORKER_UPDATE_BUFFER_H_
#define GAIA_SRC_WORKER_UPDATE_BUFFER_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "proto/gaia.pb.h"

namespace gaia::internal {

class UpdateBuffer {
 public:
  // Tables with at most this many rows index buffered rows with a dense
  // array (4 bytes per table row, allocated on first use) instead of a hash
  // map: one load per Inc instead of a hash probe.
  static constexpr uint64_t kDenseIndexMaxRows = 1 << 20;

  // widths[t] is the row width (floats) of table t; num_rows[t], when given,
  // its row count (enables the dense index for small tables).
  explicit UpdateBuffer(std::vector<uint32_t> widths, std::vector<uint64_t> num_rows = {});

  // REQUIRES: table < widths.size(), delta.size() == widths[table]. The
  // caller validates; these are programmer invariants.
  void Add(uint32_t table, uint64_t row, std::span<const float> delta);

  // REQUIRES: cols.size() == vals.size(), every col < widths[table].
  void AddSparse(uint32_t table, uint64_t row, std::span<const uint32_t> cols,
                 std::span<const float> vals);

  // Rows (distinct (table,row) pairs) and value bytes currently buffered.
  uint64_t rows() const { return rows_; }
  uint64_t value_bytes() const { return value_bytes_; }
  bool empty() const { return rows_ == 0; }

  // Moves everything buffered into PushBatch messages tagged `clock`, each
  // holding at most `max_batch_bytes` value bytes (a single row wider than
  // that travels alone). Rows keep their first-touch order. Leaves the buffer
  // empty (its capacity is kept for the next clock).
  std::vector<rpc::PushBatch> TakeBatches(int64_t clock, int64_t max_batch_bytes);

 private:
  static constexpr uint32_t kAbsent = ~uint32_t{0};
  struct TableArena {
    uint32_t width = 0;
    uint64_t dense_rows = 0;                         // > 0: use `dense`
    std::vector<uint64_t> row_ids;                   // first-touch order
    std::vector<float> values;                       // row_ids.size() * width
    // row id -> position: `dense` (size dense_rows once used, kAbsent for
    // rows not buffered) or `index`.
    std::vector<uint32_t> dense;
    absl::flat_hash_map<uint64_t, uint32_t> index;
    size_t last_rows = 0;                            // rows taken last clock
  };

  // Returns the row's slot in the arena, zero-filled if new.
  float* RowSlot(uint32_t table, uint64_t row);

  std::vector<TableArena> tables_;
  uint64_t rows_ = 0;
  uint64_t value_bytes_ = 0;
};

}  // namespace gaia::internal

#endif  // GAIA_SRC_WORKER_UPDATE_BUFFER_H_
