// Coalesces one shard's updates of one clock into dense per-table arenas and
// cuts them into serialized WorkerMessage{push: PushBatch} messages.
//
//   UpdateBuffer buffer(widths);            // widths[table_id] = row width
//   buffer.Add(table, row, delta);          // dense delta, width floats
//   buffer.AddSparse(table, row, cols, vals);
//   std::vector<grpc::ByteBuffer> batches = buffer.TakeBatches(clock, 1 << 20);
//
// The batches' values are not copied: each batch's `dense_values` are slices
// of the arena itself, which TakeBatches hands to the messages (they release
// it when gRPC is done with them; it then returns to the buffer's pool for a
// later clock). Only the small per-row parts (ids, field headers) are
// written out. The bytes are an ordinary serialization of the proto.
//
// Repeated updates of one (table, row) within a clock are summed into one
// dense row, so a clock sends each touched row once. Sparse updates are added
// into the dense row too. On the wire a batch's rows of a table go dense (the
// arena's values, not copied), which the shard applies with one vectorizable
// loop per row, unless the table is at least common::kSparseRowsMinWidth floats wide and
// the rows' nonzero (column, value) pairs take under half their dense bytes:
// then they go as those pairs (a topic model's count changes touch a few
// topics of each word).
//
// Read-my-writes (DESIGN.md §4.1): the buffer also answers "what of this
// row has the worker added that a shard snapshot stamped S does not show?"
// (AddUnseen): the row as buffered now, plus the row as sent at every clock
// >= S. For that, TakeBatches keeps the last `kept_clocks` clocks it took:
// their values stay in the blocks the batches point into (no copy) and their
// row index stays as it was, so a lookup costs what it cost while buffering.
//
// Not thread-safe: the owner serializes access (WorkerImpl keeps one buffer
// per shard, each under its own mutex).
#ifndef GAIA_SRC_WORKER_UPDATE_BUFFER_H_
#define GAIA_SRC_WORKER_UPDATE_BUFFER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <vector>

#include <grpcpp/support/byte_buffer.h>

#include "absl/container/flat_hash_map.h"

namespace gaia::internal {

class UpdateBuffer {
 public:
  // Tables with at most this many rows index buffered rows with a dense
  // array (4 bytes per table row, allocated on first use) instead of a hash
  // map: one load per Inc instead of a hash probe.
  static constexpr uint64_t kDenseIndexMaxRows = 1 << 20;

  // widths[t] is the row width (floats) of table t; num_rows[t], when given,
  // its row count (enables the dense index for small tables). TakeBatches
  // keeps the rows of its last `kept_clocks` clocks for AddUnseen (0: none).
  explicit UpdateBuffer(std::vector<uint32_t> widths, std::vector<uint64_t> num_rows = {},
                        int64_t kept_clocks = 0);

  // REQUIRES: table < widths.size(), delta.size() == widths[table]. The
  // caller validates; these are programmer invariants.
  void Add(uint32_t table, uint64_t row, std::span<const float> delta);

  // Add() for many rows: row rows[i] gets deltas[i*width, (i+1)*width), for
  // every i in `picks` (every i < rows.size() when `picks` is empty). One
  // reservation for the call and no call per row.
  // REQUIRES: deltas.size() == rows.size() * widths[table], picks < rows.size().
  void AddMany(uint32_t table, std::span<const uint64_t> rows, std::span<const float> deltas,
               std::span<const uint32_t> picks = {});

  // REQUIRES: cols.size() == vals.size(), every col < widths[table].
  void AddSparse(uint32_t table, uint64_t row, std::span<const uint32_t> cols,
                 std::span<const float> vals);

  // Rows (distinct (table,row) pairs) and value bytes currently buffered.
  uint64_t rows() const;
  uint64_t value_bytes() const;
  bool empty() const { return rows() == 0; }

  // Moves everything buffered into serialized WorkerMessage{push} messages
  // tagged `clock`, each holding at most `max_batch_bytes` value bytes (a
  // single row wider than that travels alone). Rows keep their first-touch
  // order. Leaves the buffer empty. The rows taken stay readable by
  // AddUnseen as clock `clock`; clocks <= clock - kept_clocks are forgotten
  // (also when nothing is buffered, so call it every clock).
  // REQUIRES: clock greater than at the previous call.
  std::vector<grpc::ByteBuffer> TakeBatches(int64_t clock, int64_t max_batch_bytes);

  // Adds to out[0, width) what this buffer holds of (table, row) that a shard
  // snapshot stamped `since` (reflecting every update of clocks < since)
  // does not: the row as buffered now, and as taken at every kept clock
  // >= since. REQUIRES: table < widths.size().
  void AddUnseen(uint32_t table, uint64_t row, int64_t since, float* out) const;
  // False when AddUnseen would add nothing to any row of `table` for a
  // stamp >= since: lets a read skip the lookups.
  bool HasUnseen(uint32_t table, int64_t since) const;

 private:
  static constexpr uint32_t kAbsent = ~uint32_t{0};
  // Values of a table's buffered rows; handed to the messages at TakeBatches.
  struct ValueBlock {
    std::unique_ptr<float[]> data;
    size_t floats = 0;  // capacity
  };
  // Blocks the messages released, for later clocks (thread-safe: gRPC
  // releases them on its own threads).
  class BlockPool;
  struct SentBlock;

  struct TableArena {
    uint32_t width = 0;
    uint64_t dense_rows = 0;                         // > 0: use `dense`
    std::vector<uint64_t> row_ids;                   // first-touch order
    // Rows' values, row_ids.size() * width of them in use. Sized for last
    // clock's rows when (re)acquired, so adding a row is a bump.
    ValueBlock values;
    size_t last_floats = 0;                          // values.floats last clock
    // row id -> position: `dense` (size dense_rows once used, kAbsent for
    // rows not buffered) or `index`.
    std::vector<uint32_t> dense;
    absl::flat_hash_map<uint64_t, uint32_t> index;
    size_t last_rows = 0;                            // rows taken last clock
  };

  // Room in the arena for `more` new rows, so RowSlot does not reallocate.
  void Reserve(TableArena& arena, size_t more);
  // The row's position entry in the hash index, or in the dense index when
  // that is not allocated yet (it allocates it).
  static uint32_t* IndexedPosition(TableArena& arena, uint64_t row);
  // The row's slot in the arena; `*added` tells whether the row was new, in
  // which case the slot holds garbage the caller must overwrite.
  float* RowSlot(TableArena& arena, uint64_t row, bool* added);
  // Add() into an arena: the slot's first write copies, later ones add.
  void AddTo(TableArena& arena, uint64_t row, const float* delta);

  // One table's rows as TakeBatches sent them, kept for AddUnseen: the
  // block the batches point into (shared with them) and the arena's index.
  struct KeptTable {
    std::shared_ptr<SentBlock> values;  // null: no rows of this table
    std::vector<uint64_t> row_ids;
    std::vector<uint32_t> dense;
    absl::flat_hash_map<uint64_t, uint32_t> index;
  };
  struct KeptClock {
    int64_t clock = 0;
    std::vector<KeptTable> tables;  // by table id
  };

  // The row's position in a (dense, index) pair as RowSlot fills them, or
  // kAbsent. Rows below dense_rows are only ever in `dense`.
  static uint32_t FindPosition(const std::vector<uint32_t>& dense,
                               const absl::flat_hash_map<uint64_t, uint32_t>& index,
                               uint64_t dense_rows, uint64_t row) {
    if (row < dense.size()) return dense[row];
    if (row < dense_rows || index.empty()) return kAbsent;
    auto it = index.find(row);
    return it == index.end() ? kAbsent : it->second;
  }
  // Moves what TakeBatches just sent from the arenas into a kept clock, and
  // gives the arenas the oldest kept clock's index arrays, reset, once it is
  // forgotten.
  void KeepTaken(int64_t clock, const std::vector<std::shared_ptr<SentBlock>>& sent);
  void Recycle(KeptClock& kept);

  // Rows [begin, begin + count) of table `table`: one TableDelta of a batch.
  struct Piece {
    uint32_t table;
    size_t begin;
    size_t count;
  };
  // The buffered rows cut into batches of at most max_batch_bytes of values.
  std::vector<std::vector<Piece>> CutIntoBatches(int64_t max_batch_bytes) const;
  // One batch as a serialized WorkerMessage; its values are slices of
  // sent[table] (the arenas TakeBatches took out).
  grpc::ByteBuffer EncodeBatch(int64_t clock, const std::vector<Piece>& pieces,
                               const std::vector<std::shared_ptr<SentBlock>>& sent) const;

  const int64_t kept_clocks_;
  std::vector<TableArena> tables_;
  std::shared_ptr<BlockPool> pool_;
  std::deque<KeptClock> kept_;  // clock ascending
};

}  // namespace gaia::internal

#endif  // GAIA_SRC_WORKER_UPDATE_BUFFER_H_
