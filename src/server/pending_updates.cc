#include "src/server/pending_updates.h"

#include <algorithm>
#include <cstring>
#include <span>

#include "src/common/packing.h"

namespace gaia::server {

float* PendingUpdates::TableBuffer::Append(uint64_t row, uint64_t slot, uint32_t width) {
  if (num_rows == used_chunks * rows_per_chunk) {
    if (used_chunks == chunks.size()) chunks.emplace_back();
    ++used_chunks;
  }
  Chunk& chunk = chunks[used_chunks - 1];
  chunk.rows.push_back(row);
  chunk.slots.push_back(slot);
  const size_t pos = chunk.deltas.size();
  chunk.deltas.resize(pos + width);
  ++num_rows;
  return chunk.deltas.data() + pos;
}

void PendingUpdates::TableBuffer::Clear() {
  index.clear();
  for (size_t k = 0; k < used_chunks; ++k) {
    chunks[k].rows.clear();
    chunks[k].slots.clear();
    chunks[k].deltas.clear();
  }
  num_rows = 0;
  used_chunks = 0;
}

uint64_t PendingUpdates::TableBuffer::CapacityBytes() const {
  uint64_t bytes = 0;
  for (const Chunk& chunk : chunks) {
    bytes += chunk.deltas.capacity() * sizeof(float) +
             (chunk.rows.capacity() + chunk.slots.capacity()) * sizeof(uint64_t);
  }
  return bytes;
}

float* PendingUpdates::RowFor(uint32_t table_id, TableBuffer& buffer, uint64_t row,
                              uint32_t width) const {
  auto [it, inserted] = buffer.index.try_emplace(row, buffer.num_rows);
  if (!inserted) return buffer.At(it->second, width);
  float* deltas = buffer.Append(row, store_->SlotOf(table_id, row), width);
  std::fill(deltas, deltas + width, 0.0f);
  return deltas;
}

void PendingUpdates::AddDelta(ClockBuffer& buffer, const rpc::TableDelta& delta) {
  const uint32_t t = delta.table_id();
  const uint32_t width = store_->width(t);
  if (buffer.tables.size() <= t) buffer.tables.resize(store_->num_tables());
  TableBuffer& table = buffer.tables[t];
  const size_t row_bytes = size_t{width} * sizeof(float);
  if (table.num_rows == 0) table.rows_per_chunk = std::max<uint64_t>(1, kChunkBytes / row_bytes);

  const std::string& dense_ids = delta.dense_row_ids();
  const size_t n = dense_ids.size() / sizeof(uint64_t);
  const char* values = delta.dense_values().data();
  // One growth step instead of a chain of rehashes while the index fills
  // (absl's clear() frees a large table, so every clock starts empty).
  table.index.reserve(table.index.size() + n + delta.sparse_row_ids().size() / sizeof(uint64_t));
  for (size_t i = 0; i < n; ++i, values += row_bytes) {
    const uint64_t row = common::PackedAt<uint64_t>(dense_ids, i);
    auto [it, inserted] = table.index.try_emplace(row, table.num_rows);
    if (inserted) {
      // First delta of this row in this clock: copy instead of zero + add.
      std::memcpy(table.Append(row, store_->SlotOf(t, row), width), values, row_bytes);
    } else {
      common::AddPackedFloats(table.At(it->second, width), values, width);
    }
  }

  const std::string& sparse_ids = delta.sparse_row_ids();
  const size_t m = sparse_ids.size() / sizeof(uint64_t);
  const std::string& nnz = delta.sparse_row_nnz();
  const std::string& entries = delta.sparse_entries();
  size_t e = 0;
  for (size_t i = 0; i < m; ++i) {
    float* dst = RowFor(t, table, common::PackedAt<uint64_t>(sparse_ids, i), width);
    const uint32_t count = common::PackedAt<uint32_t>(nnz, i);
    for (uint32_t k = 0; k < count; ++k, ++e) {
      const common::SparseEntry entry = common::PackedAt<common::SparseEntry>(entries, e);
      dst[entry.col] += entry.value;
    }
  }
  buffer.row_deltas += n + m;
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

void PendingUpdates::Add(int64_t clock, const rpc::PushBatch& batch) {
  ClockBuffer& buffer = BufferFor(clock);
  for (const rpc::TableDelta& delta : batch.tables()) AddDelta(buffer, delta);
}

uint64_t PendingUpdates::ApplyBefore(int64_t visible_clock, ParameterStore* store,
                                     UpdateSink* sink) {
  uint64_t applied = 0;
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
        for (size_t i = 0; i < chunk.rows.size(); ++i) {
          // Slots were resolved against store_; `store` is the same store.
          const uint64_t slot = chunk.slots[i];
          if (slot == ParameterStore::kNoSlot) continue;  // validated; stay memory-safe
          float* dst = store->SlotData(t, slot);
          const float* src = chunk.deltas.data() + i * width;
          common::AddFloats(dst, src, width);
        }
        if (sink != nullptr) sink->OnRowsApplied(t, chunk.rows, chunk.deltas, visible_clock);
      }
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
        bytes += table.chunks[k].deltas.size() * sizeof(float);
      }
    }
  }
  return bytes;
}

}  // namespace gaia::server
