#include "src/mirror/outbox.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>

#include "src/common/packing.h"
#include "src/mirror/delta_encoding.h"

namespace gaia::mirror {

Outbox::Outbox(std::vector<uint32_t> widths, OutboxOptions options)
    : widths_(std::move(widths)), options_(options) {
  for (Lane& lane : lanes_) lane.tables.resize(widths_.size());
}

void Outbox::AddRow(bool relayed, uint32_t table, uint64_t row, std::span<const uint32_t> cols,
                    std::span<const float> vals) {
  Lane& lane = lanes_[relayed ? 1 : 0];
  TableLane& t = lane.tables[table];
  auto [it, inserted] = t.index.try_emplace(row, static_cast<uint32_t>(t.rows.size()));
  if (inserted) {
    t.rows.push_back(row);
    t.order.push_back(order_++);
    t.entries.emplace_back();
    ++lane.rows;
    queued_bytes_ += kQueuedRowBytes;
  }
  incoming_.clear();
  for (size_t i = 0; i < cols.size(); ++i) incoming_.push_back({cols[i], vals[i]});
  std::vector<Entry>& entries = t.entries[it->second];
  common::MergeSparseRow(entries, incoming_, &merged_);
  queued_bytes_ += kQueuedEntryBytes * (merged_.size() - entries.size());
  entries.swap(merged_);  // merged_ keeps the old buffer for the next call
}

void Outbox::AddClock(bool relayed, uint32_t origin, int64_t clock) {
  const int lane = relayed ? 1 : 0;
  int64_t& pending = clocks_[lane][origin];
  pending = std::max(pending, clock);
  int64_t& added = added_clocks_[lane][origin];
  added = std::max(added, clock);
}

void Outbox::RepeatClocks() {
  // Every unsent clock is also the latest added of its origin.
  for (int lane = 0; lane < 2; ++lane) clocks_[lane] = added_clocks_[lane];
}

void Outbox::PackLane(Lane& lane, size_t max_bytes, rpc::MirrorBatch* batch) {
  enum class Form { kDense, kPairs, kBitmap, kTernary };
  struct Chosen {
    uint64_t row;
    uint32_t pos;  // in the TableLane (< 2^32 queued rows: the index's values)
    Form form;
    bool half;
  };
  size_t packed = 0;  // wire bytes, about
  // Values in the batch: a receiver expands them to float32 (column, value)
  // pairs, so compact rows must not make that form much bigger than the batch.
  size_t batch_values = 0;
  auto room = [&] { return packed < max_bytes && batch_values * sizeof(float) < max_bytes; };
  std::vector<Chosen> chosen;
  std::vector<uint32_t> cols;  // one row's columns and values
  std::vector<float> vals;
  for (uint32_t table = 0; table < lane.tables.size() && room(); ++table) {
    TableLane& t = lane.tables[table];
    if (t.rows.empty()) continue;
    const uint32_t width = widths_[table];
    DeltaEncoding plain;  // rows as halves or floats, dense or (column, value) pairs
    plain.varint_ids = options_.compact;
    DeltaEncoding bitmap = plain;  // sparse rows as a column bitmap and values
    bitmap.bitmap_sparse = true;
    DeltaEncoding ternary = bitmap;  // +-scale rows as a bitmap, the scale and signs
    ternary.ternary = true;
    // The row at `pos`'s queued nonzero values into cols / vals; true when
    // all are exact halves (and halves are on).
    auto collect = [&](size_t pos) {
      cols.clear();
      vals.clear();
      bool half = options_.half_values && width <= kMaxHalfWidth;
      for (const Entry& e : t.entries[pos]) {
        if (e.value == 0.0f) continue;  // cancelled out while queued
        cols.push_back(e.col);
        vals.push_back(e.value);
        half = half && ExactInHalf(e.value);
      }
      return half;
    };
    // The batch's rows are taken in queue order and written in row order, so
    // that varint id deltas stay small; a row's values are read again when
    // it is written, so the batch holds no copy of them meanwhile.
    chosen.clear();
    while (t.head < t.rows.size() && room()) {
      const size_t pos = t.head++;
      const bool half = collect(pos);
      queued_bytes_ -= kQueuedRowBytes + kQueuedEntryBytes * t.entries[pos].size();
      t.index.erase(t.rows[pos]);
      --lane.rows;
      const size_t n = cols.size();
      if (n == 0) {
        std::vector<Entry>().swap(t.entries[pos]);
        continue;
      }
      // The smallest of: dense values (zeros where nothing is queued),
      // (column, value) pairs, a column bitmap and values, and for a ternary
      // row a bitmap, its scale and signs.
      plain.half = bitmap.half = half;
      const size_t dense_bytes = DenseRowBytes(width, plain);
      const size_t pair_bytes = SparseRowBytes(width, plain, n);
      const size_t bitmap_bytes = options_.compact ? SparseRowBytes(width, bitmap, n) : SIZE_MAX;
      const size_t ternary_bytes =
          options_.compact && IsTernaryRow(vals) ? SparseRowBytes(width, ternary, n) : SIZE_MAX;
      const size_t sparse_bytes = std::min({pair_bytes, bitmap_bytes, ternary_bytes});
      Form form = Form::kPairs;
      if (dense_bytes < sparse_bytes) {
        form = Form::kDense;
      } else if (ternary_bytes == sparse_bytes) {
        form = Form::kTernary;
      } else if (bitmap_bytes < pair_bytes) {
        form = Form::kBitmap;
      }
      chosen.push_back({t.rows[pos], static_cast<uint32_t>(pos), form, half});
      packed += sizeof(uint64_t) + std::min(dense_bytes, sparse_bytes);
      batch_values += form == Form::kDense ? width : n;
    }
    std::sort(chosen.begin(), chosen.end(),
              [](const Chosen& a, const Chosen& b) { return a.row < b.row; });
    std::optional<DeltaWriter> writers[2][3];  // [half][plain, bitmap, ternary]
    for (const Chosen& c : chosen) {
      const int kind = c.form == Form::kBitmap ? 1 : c.form == Form::kTernary ? 2 : 0;
      const bool half = c.half && c.form != Form::kTernary;
      std::optional<DeltaWriter>& writer = writers[half][kind];
      if (!writer) {
        DeltaEncoding encoding = kind == 1 ? bitmap : kind == 2 ? ternary : plain;
        encoding.half = half;
        writer.emplace(batch->add_updates(), table, width, encoding);
      }
      std::vector<Entry>& entries = t.entries[c.pos];
      if (c.form == Form::kDense) {
        dense_.assign(width, 0.0f);
        for (const Entry& e : entries) dense_[e.col] = e.value;
        writer->AddDenseRow(c.row, dense_);
        packed_elements_ += width;
      } else {
        collect(c.pos);
        writer->AddSparseRow(c.row, cols, vals);
        packed_elements_ += cols.size();
      }
      std::vector<Entry>().swap(entries);  // packed: its memory goes now
    }
    for (auto& by_kind : writers) {
      for (std::optional<DeltaWriter>& writer : by_kind) {
        if (writer) writer->Finish();
      }
    }
    if (t.head == t.rows.size()) {
      // Give back what a burst made the lane grow to.
      t = TableLane();
    } else {
      Compact(t);
    }
  }
}

void Outbox::Compact(TableLane& t) {
  if (t.head < 1024 || t.head * 2 < t.rows.size()) return;  // amortized O(1) per row
  const size_t keep = t.rows.size() - t.head;
  std::move(t.rows.begin() + t.head, t.rows.end(), t.rows.begin());
  std::move(t.order.begin() + t.head, t.order.end(), t.order.begin());
  std::move(t.entries.begin() + t.head, t.entries.end(), t.entries.begin());
  t.rows.resize(keep);
  t.order.resize(keep);
  t.entries.resize(keep);
  for (size_t pos = 0; pos < keep; ++pos) t.index[t.rows[pos]] = static_cast<uint32_t>(pos);
  t.head = 0;
}

uint64_t Outbox::NextBarrierId() {
  barriers_.emplace_back(++last_barrier_id_, order_);
  return last_barrier_id_;
}

uint64_t Outbox::OldestQueued() const {
  uint64_t oldest = order_;
  for (const Lane& lane : lanes_) {
    for (const TableLane& t : lane.tables) {
      if (t.head < t.rows.size()) oldest = std::min(oldest, t.order[t.head]);
    }
  }
  return oldest;
}

std::optional<rpc::MirrorBatch> Outbox::Seal(size_t max_bytes) {
  rpc::MirrorBatch batch;
  // The lane of this batch: the first with rows, else the first with clocks.
  int l = lanes_[0].rows > 0 ? 0 : lanes_[1].rows > 0 ? 1 : clocks_[0].empty() ? 1 : 0;
  batch.set_relayed(l == 1);
  if (lanes_[l].rows > 0) {
    const uint64_t estimate_before = queued_bytes_;
    PackLane(lanes_[l], max_bytes, &batch);
    packed_estimate_ += estimate_before - queued_bytes_;
    for (const rpc::TableDelta& delta : batch.updates()) packed_wire_ += delta.ByteSizeLong();
  }
  if (lanes_[l].rows == 0) {
    for (const auto& [origin, clock] : clocks_[l]) {
      rpc::MirrorClock* c = batch.add_clocks();
      c->set_origin_dc(origin);
      c->set_clock(clock);
    }
    clocks_[l].clear();
  }
  // Barriers whose rows have all been packed (in this batch or before).
  const uint64_t oldest = OldestQueued();
  while (!barriers_.empty() && barriers_.front().second <= oldest) {
    batch.set_barriers_through(barriers_.front().first);
    barriers_.pop_front();
  }
  if (batch.updates_size() == 0 && batch.clocks_size() == 0 && batch.barriers_through() == 0) {
    return std::nullopt;
  }
  return batch;
}

bool Outbox::empty() const {
  return lanes_[0].rows == 0 && lanes_[1].rows == 0 && clocks_[0].empty() &&
         clocks_[1].empty() && barriers_.empty();
}

uint64_t Outbox::queued_wire_bytes() const {
  if (packed_estimate_ == 0) return queued_bytes_;
  return static_cast<uint64_t>(static_cast<double>(queued_bytes_) *
                               static_cast<double>(packed_wire_) /
                               static_cast<double>(packed_estimate_));
}

uint64_t Outbox::queued_rows() const { return lanes_[0].rows + lanes_[1].rows; }

}  // namespace gaia::mirror
