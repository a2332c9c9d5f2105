#include "src/worker/update_buffer.h"

#include <algorithm>
#include <cstring>
#include <utility>

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

float* UpdateBuffer::RowSlot(uint32_t table, uint64_t row) {
  TableArena& arena = tables_[table];
  uint32_t* position;
  if (row < arena.dense_rows) {
    if (arena.dense.empty()) arena.dense.assign(arena.dense_rows, kAbsent);
    position = &arena.dense[row];
  } else {
    // Sized for last clock's rows up front: one allocation, no rehash chain.
    if (arena.index.empty() && arena.last_rows > 0) arena.index.reserve(arena.last_rows);
    position = &arena.index.try_emplace(row, kAbsent).first->second;
  }
  if (*position == kAbsent) {
    *position = static_cast<uint32_t>(arena.row_ids.size());
    arena.row_ids.push_back(row);
    arena.values.resize(arena.values.size() + arena.width, 0.0f);
    ++rows_;
    value_bytes_ += uint64_t{arena.width} * sizeof(float);
  }
  return arena.values.data() + size_t{*position} * arena.width;
}

void UpdateBuffer::Add(uint32_t table, uint64_t row, std::span<const float> delta) {
  float* slot = RowSlot(table, row);
  // A plain loop over contiguous floats; the compiler vectorizes it.
  for (size_t i = 0; i < delta.size(); ++i) slot[i] += delta[i];
}

void UpdateBuffer::AddSparse(uint32_t table, uint64_t row,
                             std::span<const uint32_t> cols,
                             std::span<const float> vals) {
  float* slot = RowSlot(table, row);
  for (size_t i = 0; i < cols.size(); ++i) slot[cols[i]] += vals[i];
}

std::vector<rpc::PushBatch> UpdateBuffer::TakeBatches(int64_t clock,
                                                      int64_t max_batch_bytes) {
  std::vector<rpc::PushBatch> batches;
  if (rows_ == 0) return batches;
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
    arena.values.clear();
    arena.index.clear();
  }
  flush();
  rows_ = 0;
  value_bytes_ = 0;
  return batches;
}

}  // namespace gaia::internal
