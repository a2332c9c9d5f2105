#include "src/server/pending_updates.h"

#include <algorithm>
#include <cstring>
#include <span>

#include "src/common/packing.h"

namespace gaia::server {

float* PendingUpdates::TableBuffer::Append(uint64_t slot) {
  if (num_rows == used_chunks * rows_per_chunk) {
    if (used_chunks == chunks.size()) {
      Chunk& chunk = chunks.emplace_back();
      chunk.slots.reserve(rows_per_chunk);
      chunk.deltas = std::make_unique_for_overwrite<float[]>(rows_per_chunk * width);
    }
    ++used_chunks;
  }
  Chunk& chunk = chunks[used_chunks - 1];
  float* deltas = chunk.deltas.get() + chunk.slots.size() * width;
  chunk.slots.push_back(slot);
  ++num_rows;
  return deltas;
}

[[gnu::always_inline]] inline float* PendingUpdates::TableBuffer::RowOf(uint64_t slot,
                                                                        bool* added) {
  if (!by_slot.empty()) {
    uint32_t& position = by_slot[slot];
    *added = position == kAbsent;
    if (!*added) return At(position);
    position = static_cast<uint32_t>(num_rows);
    return Append(slot);
  }
  auto [it, inserted] = index.try_emplace(slot, num_rows);
  *added = inserted;
  return inserted ? Append(slot) : At(it->second);
}

float* PendingUpdates::TableBuffer::Find(uint64_t slot) {
  if (!by_slot.empty()) {
    const uint32_t position = by_slot[slot];
    return position == kAbsent ? nullptr : At(position);
  }
  auto it = index.find(slot);
  return it == index.end() ? nullptr : At(it->second);
}

void PendingUpdates::TableBuffer::Clear() {
  for (size_t k = 0; k < used_chunks; ++k) {
    if (!by_slot.empty()) {
      for (uint64_t slot : chunks[k].slots) by_slot[slot] = kAbsent;
    }
    chunks[k].slots.clear();
  }
  index.clear();
  sparse.clear();
  num_rows = 0;
  used_chunks = 0;
}

uint64_t PendingUpdates::TableBuffer::CapacityBytes() const {
  uint64_t bytes = by_slot.capacity() * sizeof(uint32_t);
  for (const Chunk& chunk : chunks) {
    bytes += (chunk.deltas != nullptr ? rows_per_chunk * width * sizeof(float) : 0) +
             chunk.slots.capacity() * sizeof(uint64_t);
  }
  for (const auto& [slot, entries] : sparse) {
    bytes += sizeof(slot) + sizeof(entries) + entries.capacity() * sizeof(common::SparseEntry);
  }
  return bytes;
}

PendingUpdates::TableBuffer& PendingUpdates::TableIn(ClockBuffer& buffer,
                                                     uint32_t table_id) const {
  if (buffer.tables.size() <= table_id) buffer.tables.resize(store_->num_tables());
  TableBuffer& table = buffer.tables[table_id];
  if (table.width == 0) {  // first use of this buffer's table
    table.width = store_->width(table_id);
    table.rows_per_chunk =
        std::max<uint64_t>(1, kChunkBytes / (uint64_t{table.width} * sizeof(float)));
    const uint64_t owned = store_->owned_rows(table_id);
    if (owned <= kDenseIndexMaxSlots) table.by_slot.assign(owned, TableBuffer::kAbsent);
  }
  return table;
}

void PendingUpdates::AddDelta(ClockBuffer& buffer, const rpc::TableDelta& delta,
                              const PackedValues& values) {
  const uint32_t t = delta.table_id();
  TableBuffer& table = TableIn(buffer, t);
  const uint32_t width = table.width;
  const size_t row_bytes = size_t{width} * sizeof(float);

  const std::string& dense_ids = delta.dense_row_ids();
  const size_t n = std::min(dense_ids.size() / sizeof(uint64_t), values.size() / row_bytes);
  // One growth step instead of a chain of rehashes while the index fills
  // (absl's clear() frees a large table, so every clock starts empty).
  if (table.by_slot.empty()) {
    table.index.reserve(table.index.size() + n +
                        delta.sparse_row_ids().size() / sizeof(uint64_t));
  }
  values.ForEachRow(row_bytes, [&](size_t i, const char* src) __attribute__((always_inline)) {
    if (i >= n) return;  // validated; stay memory-safe
    const uint64_t row = common::PackedAt<uint64_t>(dense_ids, i);
    const uint64_t slot = store_->SlotOf(t, row);
    if (slot == ParameterStore::kNoSlot) return;
    bool added;
    float* dst = table.RowOf(slot, &added);
    if (!added) {
      common::AddPackedFloats(dst, src, width);
    } else if (width == 1) {
      std::memcpy(dst, src, sizeof(float));  // inlined, unlike a variable-size copy
    } else {
      std::memcpy(dst, src, row_bytes);  // first delta of the row this clock
    }
    if (added && !table.sparse.empty()) {  // sparse deltas came first
      auto it = table.sparse.find(slot);
      if (it != table.sparse.end()) {
        for (const common::SparseEntry& e : it->second) dst[e.col] += e.value;
        table.sparse.erase(it);
      }
    }
  });

  common::ForEachSparseRow(
      delta.sparse_row_ids(), delta.sparse_row_nnz(), delta.sparse_entries(),
      [&](uint64_t row, const char* entries, uint32_t count) {
        const uint64_t slot = store_->SlotOf(t, row);
        if (slot == ParameterStore::kNoSlot) return;
        AddSparseRow(table, slot, entries, count);
      });
  buffer.row_deltas += n + delta.sparse_row_ids().size() / sizeof(uint64_t);
}

void PendingUpdates::AddSparseRow(TableBuffer& table, uint64_t slot, const char* entries,
                                  uint32_t count) {
  const uint32_t width = table.width;
  float* dst = table.Find(slot);
  if (dst == nullptr && width < common::kSparseRowsMinWidth) {
    bool added;
    dst = table.RowOf(slot, &added);
    std::fill(dst, dst + width, 0.0f);
  }
  if (dst != nullptr) {
    for (uint32_t k = 0; k < count; ++k) {
      const common::SparseEntry entry = common::SparseEntryAt(entries, k);
      dst[entry.col] += entry.value;
    }
    return;
  }
  // Kept sparse: merged into the row's pairs, sorted by column, summing a
  // column in arrival order (what the arena's adds do).
  incoming_.clear();
  for (uint32_t k = 0; k < count; ++k) incoming_.push_back(common::SparseEntryAt(entries, k));
  std::vector<common::SparseEntry>& held = table.sparse[slot];
  common::MergeSparseRow(held, incoming_, &merged_);
  if (merged_.size() * sizeof(common::SparseEntry) < size_t{width} * sizeof(float)) {
    held.assign(merged_.begin(), merged_.end());
    return;
  }
  // As large as the row: into the arena.
  table.sparse.erase(slot);
  bool added;
  float* row = table.RowOf(slot, &added);
  std::fill(row, row + width, 0.0f);
  for (const common::SparseEntry& e : merged_) row[e.col] = e.value;
}

void PendingUpdates::ApplySparse(uint32_t table_id, const TableBuffer& table,
                                 int64_t visible_clock, ParameterStore* store, UpdateSink* sink) {
  if (table.sparse.empty()) return;
  const uint32_t width = table.width;
  expanded_rows_.clear();
  expanded_.clear();
  auto report = [&] {
    if (!expanded_rows_.empty()) {
      sink->OnRowsApplied(table_id, expanded_rows_, expanded_, visible_clock);
    }
    expanded_rows_.clear();
    expanded_.clear();
  };
  for (const auto& [slot, entries] : table.sparse) {
    float* dst = store->SlotData(table_id, slot);
    for (const common::SparseEntry& e : entries) dst[e.col] += e.value;
    if (sink == nullptr) continue;
    // Reported as the arena's rows are: dense, a chunk's worth at a time.
    expanded_rows_.push_back(store->RowAt(table_id, slot));
    expanded_.resize(expanded_.size() + width, 0.0f);
    float* row = expanded_.data() + expanded_.size() - width;
    for (const common::SparseEntry& e : entries) row[e.col] = e.value;
    if (expanded_rows_.size() == table.rows_per_chunk) report();
  }
  if (sink != nullptr) report();
}

PendingUpdates::ClockBuffer& PendingUpdates::BufferFor(int64_t clock) {
  auto it = buffers_.find(clock);
  if (it != buffers_.end()) return it->second;
  ClockBuffer buffer;
  if (!spares_.empty()) {
    buffer = std::move(spares_.back());
    spares_.pop_back();
  }
  return buffers_.emplace(clock, std::move(buffer)).first->second;
}

void PendingUpdates::Add(int64_t clock, const rpc::PushBatch& batch,
                         std::span<const PackedValues> values) {
  ClockBuffer& buffer = BufferFor(clock);
  for (int i = 0; i < batch.tables_size(); ++i) AddDelta(buffer, batch.tables(i), values[i]);
}

uint64_t PendingUpdates::ApplyBefore(int64_t visible_clock, ParameterStore* store,
                                     UpdateSink* sink) {
  uint64_t applied = 0;
  std::vector<uint64_t> rows;  // a chunk's row ids, for the sink
  auto it = buffers_.begin();
  for (; it != buffers_.end() && it->first < visible_clock; ++it) {
    ClockBuffer& buffer = it->second;
    uint64_t capacity_bytes = 0;
    for (uint32_t t = 0; t < buffer.tables.size(); ++t) {
      TableBuffer& table = buffer.tables[t];
      capacity_bytes += table.CapacityBytes();
      const uint32_t width = store->width(t);
      for (size_t k = 0; k < table.used_chunks; ++k) {
        const Chunk& chunk = table.chunks[k];
        for (size_t i = 0; i < chunk.slots.size(); ++i) {
          // Slots were resolved against store_; `store` is the same store.
          const uint64_t slot = chunk.slots[i];
          if (slot == ParameterStore::kNoSlot) continue;  // validated; stay memory-safe
          float* dst = store->SlotData(t, slot);
          const float* src = chunk.deltas.get() + i * width;
          common::AddFloats(dst, src, width);
        }
        if (sink != nullptr) {
          rows.clear();
          for (uint64_t slot : chunk.slots) rows.push_back(store->RowAt(t, slot));
          sink->OnRowsApplied(t, rows,
                              std::span<const float>(chunk.deltas.get(), rows.size() * width),
                              visible_clock);
        }
      }
      ApplySparse(t, table, visible_clock, store, sink);
    }
    applied += buffer.row_deltas;
    if (spares_.size() < kMaxSpareBuffers && capacity_bytes <= kMaxSpareBytes) {
      for (TableBuffer& table : buffer.tables) table.Clear();
      buffer.row_deltas = 0;
      spares_.push_back(std::move(buffer));
    }
  }
  buffers_.erase(buffers_.begin(), it);
  return applied;
}

uint64_t PendingUpdates::buffered_bytes() const {
  uint64_t bytes = 0;
  for (const auto& [clock, buffer] : buffers_) {
    for (const TableBuffer& table : buffer.tables) {
      for (size_t k = 0; k < table.used_chunks; ++k) {
        bytes += table.chunks[k].slots.size() * table.width * sizeof(float);
      }
      for (const auto& [slot, entries] : table.sparse) {
        bytes += entries.size() * sizeof(common::SparseEntry);
      }
    }
  }
  return bytes;
}

}  // namespace gaia::server
