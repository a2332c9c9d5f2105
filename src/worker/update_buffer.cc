#include "src/worker/update_buffer.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include <grpcpp/support/slice.h>

#include "proto/gaia.pb.h"
#include "src/common/packing.h"
#include "src/common/wire_format.h"

namespace gaia::internal {
namespace {

// The TableDelta of `count` rows as sparse rows (their nonzero values as
// (column, value) pairs), or nullopt if the pairs would take `most` bytes or
// more. Gives up as soon as the rows so far take twice their share of
// `most`, so dense rows cost a look at the first one.
std::optional<std::string> SparseDelta(uint32_t table, const uint64_t* row_ids, size_t count,
                                       const float* values, uint32_t width, uint64_t most) {
  std::string nnz;
  std::string entries;
  for (size_t r = 0; r < count; ++r) {
    const float* row = values + r * width;
    uint32_t n = 0;
    for (uint32_t c = 0; c < width; ++c) {
      if (row[c] == 0.0f) continue;
      common::AppendPacked(&entries, common::SparseEntry{c, row[c]});
      ++n;
    }
    common::AppendPacked<uint32_t>(&nnz, n);
    const uint64_t taken = entries.size() + nnz.size();
    if (taken >= most || taken * count >= 2 * most * (r + 1)) return std::nullopt;
  }
  const size_t id_bytes = count * sizeof(uint64_t);
  std::string delta;
  common::AppendVarintField(rpc::TableDelta::kTableIdFieldNumber, table, &delta);
  common::AppendLengthPrefix(rpc::TableDelta::kSparseRowIdsFieldNumber, id_bytes, &delta);
  delta.append(reinterpret_cast<const char*>(row_ids), id_bytes);
  common::AppendLengthPrefix(rpc::TableDelta::kSparseRowNnzFieldNumber, nnz.size(), &delta);
  delta += nnz;
  common::AppendLengthPrefix(rpc::TableDelta::kSparseEntriesFieldNumber, entries.size(), &delta);
  delta += entries;
  return delta;
}

}  // namespace

class UpdateBuffer::BlockPool {
 public:
  explicit BlockPool(size_t max_spares) : max_spares_(max_spares) {}

  // A spare block of at least `min_floats` floats, or a new one of exactly
  // that many (uninitialized: every value is written before it is sent).
  ValueBlock Acquire(size_t min_floats) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto it = spares_.begin(); it != spares_.end(); ++it) {
        if (it->floats >= min_floats) {
          ValueBlock block = std::move(*it);
          spares_.erase(it);
          return block;
        }
      }
    }
    ValueBlock block;
    block.data = std::make_unique_for_overwrite<float[]>(min_floats);
    block.floats = min_floats;
    return block;
  }

  // Keeps `block` for a later Acquire, or frees it (the smallest goes first).
  void Release(ValueBlock block) {
    std::lock_guard<std::mutex> lock(mu_);
    if (spares_.size() < max_spares_) {
      spares_.push_back(std::move(block));
      return;
    }
    auto smallest = std::min_element(
        spares_.begin(), spares_.end(),
        [](const ValueBlock& a, const ValueBlock& b) { return a.floats < b.floats; });
    if (smallest != spares_.end() && smallest->floats < block.floats) {
      *smallest = std::move(block);
    }
  }

 private:
  const size_t max_spares_;
  std::mutex mu_;
  std::vector<ValueBlock> spares_;
};

// One table's values after TakeBatches, shared by the batch slices that
// point into them; the block goes back to the pool with the last slice.
struct UpdateBuffer::SentBlock {
  ValueBlock block;
  std::shared_ptr<BlockPool> pool;
  ~SentBlock() { pool->Release(std::move(block)); }
};

UpdateBuffer::UpdateBuffer(std::vector<uint32_t> widths, std::vector<uint64_t> num_rows,
                           int64_t kept_clocks)
    : kept_clocks_(kept_clocks),
      pool_(std::make_shared<BlockPool>(/*max_spares=*/widths.size())) {
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
  // An upper bound: rows already buffered need no room. Both arrays start a
  // clock at last clock's size, so this grows them a few times per run at most.
  const size_t rows = arena.row_ids.size() + more;
  if (arena.row_ids.capacity() < rows) {
    arena.row_ids.reserve(std::max(arena.row_ids.capacity() * 2, rows));
  }
  const size_t floats = rows * arena.width;
  if (arena.values.floats < floats) {
    ValueBlock grown =
        pool_->Acquire(std::max({floats, arena.values.floats * 2, arena.last_floats}));
    if (!arena.row_ids.empty()) {
      std::memcpy(grown.data.get(), arena.values.data.get(),
                  arena.row_ids.size() * arena.width * sizeof(float));
    }
    if (arena.values.data != nullptr) pool_->Release(std::move(arena.values));
    arena.values = std::move(grown);
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
  return arena.values.data.get() + size_t{*position} * arena.width;
}

[[gnu::always_inline]] inline void UpdateBuffer::AddTo(TableArena& arena, uint64_t row,
                                                       const float* delta) {
  bool added;
  float* slot = RowSlot(arena, row, &added);
  if (arena.width == 1) {  // single floats: no call per row
    *slot = added ? *delta : *slot + *delta;
    return;
  }
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

std::vector<std::vector<UpdateBuffer::Piece>> UpdateBuffer::CutIntoBatches(
    int64_t max_batch_bytes) const {
  std::vector<std::vector<Piece>> batches;
  const uint64_t limit = static_cast<uint64_t>(std::max<int64_t>(max_batch_bytes, 1));
  uint64_t batch_bytes = limit;  // full: the first piece opens a batch
  for (size_t t = 0; t < tables_.size(); ++t) {
    const size_t n = tables_[t].row_ids.size();
    const uint64_t row_bytes = std::max<uint64_t>(uint64_t{tables_[t].width} * sizeof(float), 1);
    for (size_t begin = 0; begin < n;) {
      if (batch_bytes > 0 && batch_bytes + row_bytes > limit) {
        batches.emplace_back();
        batch_bytes = 0;
      }
      // Rows that fit in what is left of the batch (at least one).
      const size_t count = std::min<uint64_t>(
          std::max<uint64_t>((limit - batch_bytes) / row_bytes, 1), n - begin);
      batches.back().push_back({static_cast<uint32_t>(t), begin, count});
      batch_bytes += count * row_bytes;
      begin += count;
    }
  }
  return batches;
}

grpc::ByteBuffer UpdateBuffer::EncodeBatch(
    int64_t clock, const std::vector<Piece>& pieces,
    const std::vector<std::shared_ptr<SentBlock>>& sent) const {
  // WorkerMessage{push: PushBatch{clock, tables: [TableDelta{table_id,
  // dense_row_ids, dense_values}...]}}: per piece, a header slice (ids
  // included) and the values slice. Lengths first, then the slices.
  std::vector<std::string> heads(pieces.size());  // TableDelta up to the values
  std::vector<uint64_t> value_bytes(pieces.size());
  std::string batch_fields;
  common::AppendVarintField(rpc::PushBatch::kClockFieldNumber, static_cast<uint64_t>(clock),
                            &batch_fields);
  uint64_t push_bytes = batch_fields.size();
  for (size_t i = 0; i < pieces.size(); ++i) {
    const Piece& piece = pieces[i];
    const TableArena& arena = tables_[piece.table];
    const size_t id_bytes = piece.count * sizeof(uint64_t);
    value_bytes[i] = uint64_t{piece.count} * arena.width * sizeof(float);
    std::string& head = heads[i];
    if (arena.width >= common::kSparseRowsMinWidth) {
      const float* values =
          sent[piece.table]->block.data.get() + piece.begin * arena.width;
      if (std::optional<std::string> sparse =
              SparseDelta(piece.table, arena.row_ids.data() + piece.begin, piece.count, values,
                          arena.width, value_bytes[i] / 2)) {
        head = std::move(*sparse);  // the whole TableDelta, no values slice
        value_bytes[i] = 0;
        push_bytes += common::LengthPrefixSize(rpc::PushBatch::kTablesFieldNumber, head.size()) +
                      head.size();
        continue;
      }
    }
    common::AppendVarintField(rpc::TableDelta::kTableIdFieldNumber, piece.table, &head);
    common::AppendLengthPrefix(rpc::TableDelta::kDenseRowIdsFieldNumber, id_bytes, &head);
    head.append(reinterpret_cast<const char*>(arena.row_ids.data() + piece.begin), id_bytes);
    common::AppendLengthPrefix(rpc::TableDelta::kDenseValuesFieldNumber, value_bytes[i], &head);
    const uint64_t delta_bytes = head.size() + value_bytes[i];
    push_bytes +=
        common::LengthPrefixSize(rpc::PushBatch::kTablesFieldNumber, delta_bytes) + delta_bytes;
  }

  std::string head;
  common::AppendLengthPrefix(rpc::WorkerMessage::kPushFieldNumber, push_bytes, &head);
  head += batch_fields;
  std::vector<grpc::Slice> slices;
  slices.reserve(2 * pieces.size());
  for (size_t i = 0; i < pieces.size(); ++i) {
    const Piece& piece = pieces[i];
    common::AppendLengthPrefix(rpc::PushBatch::kTablesFieldNumber,
                               heads[i].size() + value_bytes[i], &head);
    head += heads[i];
    slices.emplace_back(head);
    head.clear();
    if (value_bytes[i] == 0) continue;  // sent sparse, whole in its head
    float* values =
        sent[piece.table]->block.data.get() + piece.begin * tables_[piece.table].width;
    slices.emplace_back(
        values, value_bytes[i],
        [](void* holder) { delete static_cast<std::shared_ptr<SentBlock>*>(holder); },
        new std::shared_ptr<SentBlock>(sent[piece.table]));
  }
  return grpc::ByteBuffer(slices.data(), slices.size());
}

std::vector<grpc::ByteBuffer> UpdateBuffer::TakeBatches(int64_t clock,
                                                        int64_t max_batch_bytes) {
  const std::vector<std::vector<Piece>> batches = CutIntoBatches(max_batch_bytes);

  // Each table's values leave the arena for the messages.
  std::vector<std::shared_ptr<SentBlock>> sent(tables_.size());
  for (size_t t = 0; t < tables_.size(); ++t) {
    TableArena& arena = tables_[t];
    if (arena.row_ids.empty()) continue;
    arena.last_floats = arena.values.floats;
    sent[t] = std::make_shared<SentBlock>();
    sent[t]->block = std::move(arena.values);
    sent[t]->pool = pool_;
    arena.values = ValueBlock();
  }
  std::vector<grpc::ByteBuffer> messages;
  messages.reserve(batches.size());
  for (const std::vector<Piece>& pieces : batches) {
    messages.push_back(EncodeBatch(clock, pieces, sent));
  }
  KeepTaken(clock, sent);
  return messages;
}

void UpdateBuffer::KeepTaken(int64_t clock, const std::vector<std::shared_ptr<SentBlock>>& sent) {
  KeptClock kept;
  kept.clock = clock;
  for (size_t t = 0; t < tables_.size(); ++t) {
    TableArena& arena = tables_[t];
    if (arena.row_ids.empty()) continue;
    if (kept.tables.empty()) kept.tables.resize(tables_.size());
    KeptTable& table = kept.tables[t];
    table.values = sent[t];
    arena.last_rows = arena.row_ids.size();
    table.row_ids.swap(arena.row_ids);
    table.dense.swap(arena.dense);
    table.index.swap(arena.index);
  }
  if (!kept.tables.empty()) kept_.push_back(std::move(kept));
  // Forgotten clocks hand their index arrays back to the arenas, so in a
  // steady state a clock allocates no index.
  while (!kept_.empty() && kept_.front().clock <= clock - kept_clocks_) {
    Recycle(kept_.front());
    kept_.pop_front();
  }
}

void UpdateBuffer::Recycle(KeptClock& kept) {
  for (size_t t = 0; t < kept.tables.size(); ++t) {
    KeptTable& table = kept.tables[t];
    TableArena& arena = tables_[t];
    if (table.values == nullptr) continue;
    if (arena.dense.empty() && !table.dense.empty()) {
      for (uint64_t row : table.row_ids) {
        if (row < table.dense.size()) table.dense[row] = kAbsent;
      }
      arena.dense.swap(table.dense);
    }
    if (arena.row_ids.empty() && arena.row_ids.capacity() < table.row_ids.capacity()) {
      table.row_ids.clear();
      arena.row_ids.swap(table.row_ids);
    }
  }
}

void UpdateBuffer::AddUnseen(uint32_t table, uint64_t row, int64_t since, float* out) const {
  const TableArena& arena = tables_[table];
  const size_t width = arena.width;
  if (!arena.row_ids.empty()) {
    const uint32_t p = FindPosition(arena.dense, arena.index, arena.dense_rows, row);
    if (p != kAbsent) common::AddFloats(out, arena.values.data.get() + p * width, width);
  }
  for (auto it = kept_.rbegin(); it != kept_.rend() && it->clock >= since; ++it) {
    const KeptTable& kept = it->tables[table];
    if (kept.values == nullptr) continue;
    const uint32_t p = FindPosition(kept.dense, kept.index, arena.dense_rows, row);
    if (p != kAbsent) common::AddFloats(out, kept.values->block.data.get() + p * width, width);
  }
}

bool UpdateBuffer::HasUnseen(uint32_t table, int64_t since) const {
  if (!tables_[table].row_ids.empty()) return true;
  for (auto it = kept_.rbegin(); it != kept_.rend() && it->clock >= since; ++it) {
    if (it->tables[table].values != nullptr) return true;
  }
  return false;
}

}  // namespace gaia::internal
