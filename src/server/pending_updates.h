// Updates received for clocks the shard clock has not yet passed.
//
// DESIGN.md §4.1 as implemented here: an update tagged with clock k becomes
// visible (is added into the ParameterStore) only when the shard clock moves
// past k. The visible table is therefore always exactly
// "initial + every update of clocks < shard_clock", so a BSP reader never
// sees a clock-k update early, and an SSP read asking for min_clock = c - s is
// served once shard_clock >= c - s with every update of clocks <= c - s - 1.
//
// Per clock value we keep one coalesced delta buffer per table: a store slot
// -> position index plus an arena of fixed-size chunks (about kChunkBytes of
// deltas each), so a row pushed many times during one clock costs one arena
// row and one add per element, and a clock-sized buffer grows a chunk at a
// time: no doubling, no copy of what it already holds, no 2x capacity. The
// index is a dense array over the table's slots (4 bytes per owned row) for
// tables of at most kDenseIndexMaxSlots owned rows, a hash map above.
//
// In a table at least common::kSparseRowsMinWidth floats wide, a row that so far got only
// sparse deltas this clock keeps them as (column, delta) pairs sorted by
// column, until they would take as much as the row; then, or when a dense
// delta arrives for it, it moves into the arena. A clock of count changes
// touching a few topics of each word costs what it changes, not the table.
//
//   PendingUpdates pending(store.get());
//   pending.Add(/*clock=*/3, batch);                 // after store->ValidatePush(batch)
//   pending.ApplyBefore(/*visible_clock=*/4, store.get(), sink);  // clock 3 becomes visible
//
// Not thread-safe: ShardCore serializes every call with its lock.
#ifndef GAIA_SRC_SERVER_PENDING_UPDATES_H_
#define GAIA_SRC_SERVER_PENDING_UPDATES_H_

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "proto/gaia.pb.h"
#include "src/common/packing.h"
#include "src/server/packed_values.h"
#include "src/server/parameter_store.h"
#include "src/server/update_sink.h"

namespace gaia::server {

class PendingUpdates {
 public:
  // `store` supplies table widths; it must outlive this object.
  explicit PendingUpdates(const ParameterStore* store) : store_(store) {}

  PendingUpdates(const PendingUpdates&) = delete;
  PendingUpdates& operator=(const PendingUpdates&) = delete;

  // Adds every delta of `batch` into the buffer of `clock`, values[i] holding
  // batch.tables(i)'s dense values; the two-argument form takes them from
  // the deltas (DenseValuesOf).
  // REQUIRES: store->ValidatePush(batch, values).ok().
  void Add(int64_t clock, const rpc::PushBatch& batch, std::span<const PackedValues> values);
  void Add(int64_t clock, const rpc::PushBatch& batch) { Add(clock, batch, DenseValuesOf(batch)); }

  // Adds every buffer of a clock < `visible_clock` into `store`, oldest first,
  // reports each table's rows to `sink` (nullable) and frees the buffers.
  // Returns the number of incoming row deltas (before coalescing) applied.
  // REQUIRES: `store` is the store given to the constructor (row slots are
  // resolved once, at Add time).
  uint64_t ApplyBefore(int64_t visible_clock, ParameterStore* store, UpdateSink* sink);

  // Clocks with buffered updates, and the bytes of deltas they hold (a
  // sparse row: 8 per column).
  size_t buffered_clocks() const { return buffers_.size(); }
  uint64_t buffered_bytes() const;

 private:
  // Deltas of the rows at positions [k * rows_per_chunk, (k + 1) *
  // rows_per_chunk) of a TableBuffer.
  struct Chunk {
    // Store slots of the rows, in first-seen order (the row ids are
    // store->RowAt(slot), needed only to report to a sink).
    std::vector<uint64_t> slots;
    // rows_per_chunk * width floats (allocated uninitialized), the first
    // slots.size() * width in use.
    std::unique_ptr<float[]> deltas;
  };
  struct TableBuffer {
    static constexpr uint32_t kAbsent = ~uint32_t{0};
    // Store slot -> position: `by_slot` (sized to the owned rows on first
    // use, kAbsent where not buffered) or, for larger tables, `index`.
    std::vector<uint32_t> by_slot;
    absl::flat_hash_map<uint64_t, uint64_t> index;
    uint32_t width = 0;
    uint64_t rows_per_chunk = 1;
    uint64_t num_rows = 0;
    size_t used_chunks = 0;     // chunks[0, used_chunks) hold the rows
    std::vector<Chunk> chunks;  // later ones are emptied spares
    // Wide tables: store slot -> the row's sparse deltas, ascending columns
    // (a slot is here or in the arena, never both).
    absl::flat_hash_map<uint64_t, std::vector<common::SparseEntry>> sparse;

    // Appends the row in `slot` and returns its (uninitialized) deltas.
    float* Append(uint64_t slot);
    // The arena deltas of `slot`, or null if it has none.
    float* Find(uint64_t slot);
    float* At(uint64_t position) {
      return chunks[position / rows_per_chunk].deltas.get() + position % rows_per_chunk * width;
    }
    // The deltas of `slot` and whether they are new (uninitialized).
    float* RowOf(uint64_t slot, bool* added);
    // Forgets the rows, keeping the chunks' memory for reuse.
    void Clear();
    uint64_t CapacityBytes() const;
  };
  struct ClockBuffer {
    std::vector<TableBuffer> tables;  // by table id, sized lazily
    uint64_t row_deltas = 0;          // incoming row deltas, before coalescing
  };

  // Deltas per arena chunk (at least one row).
  static constexpr uint64_t kChunkBytes = 1 << 20;
  // Tables with at most this many owned rows index by a dense array.
  static constexpr uint64_t kDenseIndexMaxSlots = 1 << 20;

  // The table's buffer in `buffer`, ready for rows.
  TableBuffer& TableIn(ClockBuffer& buffer, uint32_t table_id) const;
  void AddDelta(ClockBuffer& buffer, const rpc::TableDelta& delta, const PackedValues& values);
  // Adds one incoming sparse row to `slot`'s deltas, kept sparse while the
  // table is wide and the row not yet dense enough.
  void AddSparseRow(TableBuffer& table, uint64_t slot, const char* entries, uint32_t count);
  // Adds the table's sparse rows to `store` and reports them to `sink`.
  void ApplySparse(uint32_t table_id, const TableBuffer& table, int64_t visible_clock,
                   ParameterStore* store, UpdateSink* sink);

  // The buffer of `clock`, reusing a spare one's memory if there is one.
  ClockBuffer& BufferFor(int64_t clock);

  // Applied buffers kept (emptied, capacity retained) for the next clocks:
  // a steady stream of large pushes then allocates and page-faults nothing.
  static constexpr size_t kMaxSpareBuffers = 2;
  // ...unless a buffer holds more than this many bytes of capacity: a shard
  // must not keep clock-sized copies of its table around (its RSS budget is
  // 1.3 x table bytes + 64 MiB, docs/PERFORMANCE.md).
  static constexpr uint64_t kMaxSpareBytes = 16 << 20;

  const ParameterStore* const store_;
  std::map<int64_t, ClockBuffer> buffers_;  // by clock
  std::vector<ClockBuffer> spares_;         // at most kMaxSpareBuffers
  // Scratch: a sparse row being merged, and sparse rows expanded for a sink.
  std::vector<common::SparseEntry> incoming_;
  std::vector<common::SparseEntry> merged_;
  std::vector<float> expanded_;
  std::vector<uint64_t> expanded_rows_;
};

}  // namespace gaia::server

#endif  // GAIA_SRC_SERVER_PENDING_UPDATES_H_
