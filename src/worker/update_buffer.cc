#include "src/worker/update_buffer.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "src/common/packing.h"

namespace gaia::internal {

UpdateBuffer::UpdateBuffer(std::vector<uint32_t> widths, std::vector<uint64_t> num_rows) {
  tables_.resize(widths.size());
  for (size_t t = 0; t < widths.size(); ++t) {
    tables_[t].width = widths[t];
    if (t < num_rows.size() && num_rows[t] <= kDenseIndexMaxRows) {
      tables_[t].dense_rows = num_rows[t];
    }
  }
}

uint64_t UpdateBuffer::rows() const {
  uint64_t n = 0;
  for (const TableArena& arena : tables_) n += arena.row_ids.size();
  return n;
}

uint64_t UpdateBuffer::value_bytes() const {
  uint64_t n = 0;
  for (const TableArena& arena : tables_) n += arena.row_ids.size() * arena.width * sizeof(float);
  return n;
}

void UpdateBuffer::Reserve(TableArena& arena, size_t more) {
  // An upper bound: rows already buffered need no room. Both arrays keep their
  // size across clocks, so this grows them a few times per run at most.
  const size_t rows = arena.row_ids.size() + more;
  if (arena.row_ids.capacity() < rows) {
    arena.row_ids.reserve(std::max(arena.row_ids.capacity() * 2, rows));
  }
  if (arena.values.size() < rows * arena.width) {
    arena.values.resize(std::max(arena.values.size() * 2, rows * arena.width));
  }
}

uint32_t* UpdateBuffer::IndexedPosition(TableArena& arena, uint64_t row) {
  if (row < arena.dense_rows) {
    arena.dense.assign(arena.dense_rows, kAbsent);  // first use this run
    return &arena.dense[row];
  }
  // Sized for last clock's rows up front: one allocation, no rehash chain.
  if (arena.index.empty() && arena.last_rows > 0) arena.index.reserve(arena.last_rows);
  return &arena.index.try_emplace(row, kAbsent).first->second;
}

[[gnu::always_inline]] inline float* UpdateBuffer::RowSlot(TableArena& arena, uint64_t row,
                                                            bool* added) {
  // The dense index, once allocated, is one load; the rest is out of line.
  uint32_t* position = row < arena.dense.size() ? &arena.dense[row] : IndexedPosition(arena, row);
  *added = *position == kAbsent;
  if (*added) {
    *position = static_cast<uint32_t>(arena.row_ids.size());
    arena.row_ids.push_back(row);
  }
  return arena.values.data() + size_t{*position} * arena.width;
}

[[gnu::always_inline]] inline void UpdateBuffer::AddTo(TableArena& arena, uint64_t row,
                                                       const float* delta) {
  bool added;
  float* slot = RowSlot(arena, row, &added);
  if (added) {
    std::memcpy(slot, delta, size_t{arena.width} * sizeof(float));
    return;
  }
  common::AddFloats(slot, delta, arena.width);
}

void UpdateBuffer::Add(uint32_t table, uint64_t row, std::span<const float> delta) {
  TableArena& arena = tables_[table];
  Reserve(arena, 1);
  AddTo(arena, row, delta.data());
}

void UpdateBuffer::AddMany(uint32_t table, std::span<const uint64_t> rows,
                           std::span<const float> deltas, std::span<const uint32_t> picks) {
  TableArena& arena = tables_[table];
  const size_t width = arena.width;
  if (picks.empty()) {
    Reserve(arena, rows.size());
    for (size_t i = 0; i < rows.size(); ++i) AddTo(arena, rows[i], deltas.data() + i * width);
  } else {
    Reserve(arena, picks.size());
    for (uint32_t i : picks) AddTo(arena, rows[i], deltas.data() + i * width);
  }
}

void UpdateBuffer::AddSparse(uint32_t table, uint64_t row,
                             std::span<const uint32_t> cols,
                             std::span<const float> vals) {
  TableArena& arena = tables_[table];
  Reserve(arena, 1);
  bool added;
  float* slot = RowSlot(arena, row, &added);
  if (added) std::fill_n(slot, arena.width, 0.0f);
  for (size_t i = 0; i < cols.size(); ++i) slot[cols[i]] += vals[i];
}

std::vector<rpc::PushBatch> UpdateBuffer::TakeBatches(int64_t clock,
                                                      int64_t max_batch_bytes) {
  std::vector<rpc::PushBatch> batches;
  if (empty()) return batches;
  const uint64_t limit = static_cast<uint64_t>(std::max<int64_t>(max_batch_bytes, 1));

  rpc::PushBatch current;
  uint64_t current_bytes = 0;
  auto flush = [&] {
    if (current.tables_size() == 0) return;
    current.set_clock(clock);
    batches.push_back(std::move(current));
    current = rpc::PushBatch();
    current_bytes = 0;
  };

  for (size_t t = 0; t < tables_.size(); ++t) {
    TableArena& arena = tables_[t];
    const size_t n = arena.row_ids.size();
    if (n == 0) continue;
    const uint64_t row_bytes = uint64_t{arena.width} * sizeof(float);
    size_t begin = 0;
    while (begin < n) {
      if (current_bytes > 0 && current_bytes + row_bytes > limit) flush();
      // Rows of this table that fit in what is left of the batch (at least one).
      const uint64_t room = limit - current_bytes;
      size_t count = std::max<uint64_t>(room / std::max<uint64_t>(row_bytes, 1), 1);
      count = std::min(count, n - begin);
      rpc::TableDelta* delta = current.add_tables();
      delta->set_table_id(static_cast<uint32_t>(t));
      // Rows [begin, begin+count) are contiguous in both arrays: one copy each.
      delta->set_dense_row_ids(
          std::string(reinterpret_cast<const char*>(arena.row_ids.data() + begin),
                      count * sizeof(uint64_t)));
      delta->set_dense_values(std::string(
          reinterpret_cast<const char*>(arena.values.data() + begin * arena.width),
          count * row_bytes));
      current_bytes += count * row_bytes;
      begin += count;
    }
    if (!arena.dense.empty()) {
      for (uint64_t row : arena.row_ids) {
        if (row < arena.dense.size()) arena.dense[row] = kAbsent;
      }
    }
    arena.last_rows = n;
    arena.row_ids.clear();
    arena.index.clear();
  }
  flush();
  return batches;
}

}  // namespace gaia::internal
