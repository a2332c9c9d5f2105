#include "src/significance/accumulator_table.h"

#include <algorithm>

namespace gaia::significance {

AccumulatorTable::AccumulatorTable(uint32_t width, uint64_t slots)
    : width_(width), slots_(slots), blocked_(width < kSparseMinWidth) {
  if (blocked_) {
    block_.assign(slots * width, 0.0f);
  } else {
    rows_.resize(slots);
  }
}

uint64_t AccumulatorTable::Add(uint64_t slot, std::span<const float> delta) {
  float* dense = blocked_ ? block_.data() + slot * width_ : rows_[slot].dense.get();
  uint64_t nonzero = 0;
  if (dense != nullptr) {
    for (uint32_t c = 0; c < width_; ++c) {
      dense[c] += delta[c];
      nonzero += delta[c] != 0.0f;
    }
    return nonzero;
  }
  // A sparse row: one pass merging the nonzero deltas into its entries.
  Row& row = rows_[slot];
  merged_.clear();
  auto held = row.sparse.begin();
  for (uint32_t c = 0; c < width_; ++c) {
    if (delta[c] == 0.0f) continue;
    ++nonzero;
    while (held != row.sparse.end() && held->col < c) merged_.push_back(*held++);
    if (held != row.sparse.end() && held->col == c) {
      merged_.push_back({c, (held++)->value + delta[c]});
    } else {
      merged_.push_back({c, delta[c]});
    }
  }
  if (nonzero == 0) return 0;
  merged_.insert(merged_.end(), held, row.sparse.end());
  if (merged_.size() >= DenseAt()) {
    row.dense = std::make_unique<float[]>(width_);  // zeroed
    for (const Entry& e : merged_) row.dense[e.col] = e.value;
    std::vector<Entry>().swap(row.sparse);
  } else {
    row.sparse.assign(merged_.begin(), merged_.end());  // exact capacity when it grows
  }
  return nonzero;
}

float* AccumulatorTable::Open(uint64_t slot) {
  if (blocked_) return block_.data() + slot * width_;
  Row& row = rows_[slot];
  if (row.dense != nullptr) return row.dense.get();
  open_.assign(width_, 0.0f);
  for (const Entry& e : row.sparse) open_[e.col] = e.value;
  return open_.data();
}

void AccumulatorTable::Close(uint64_t slot) {
  if (blocked_) return;
  Row& row = rows_[slot];
  if (row.dense != nullptr) {
    const float* dense = row.dense.get();
    if (std::all_of(dense, dense + width_, [](float v) { return v == 0.0f; })) {
      row.dense.reset();
    }
    return;
  }
  merged_.clear();
  for (uint32_t c = 0; c < width_; ++c) {
    if (open_[c] != 0.0f) merged_.push_back({c, open_[c]});
  }
  if (merged_.empty()) {
    std::vector<Entry>().swap(row.sparse);
  } else if (merged_.size() >= DenseAt()) {
    row.dense = std::make_unique<float[]>(width_);
    std::copy(open_.begin(), open_.end(), row.dense.get());
    std::vector<Entry>().swap(row.sparse);
  } else {
    row.sparse.assign(merged_.begin(), merged_.end());
  }
}

bool AccumulatorTable::AnyNonzero(uint64_t slot) const {
  auto nonzero = [](float v) { return v != 0.0f; };
  if (blocked_) {
    const float* acc = block_.data() + slot * width_;
    return std::any_of(acc, acc + width_, nonzero);
  }
  const Row& row = rows_[slot];
  if (row.dense != nullptr) {
    const float* dense = row.dense.get();
    return std::any_of(dense, dense + width_, nonzero);
  }
  return std::any_of(row.sparse.begin(), row.sparse.end(),
                     [](const Entry& e) { return e.value != 0.0f; });
}

std::vector<float> AccumulatorTable::Copy(uint64_t slot) const {
  if (blocked_) {
    const float* acc = block_.data() + slot * width_;
    return std::vector<float>(acc, acc + width_);
  }
  const Row& row = rows_[slot];
  if (row.dense != nullptr) {
    const float* dense = row.dense.get();
    return std::vector<float>(dense, dense + width_);
  }
  std::vector<float> out(width_, 0.0f);
  for (const Entry& e : row.sparse) out[e.col] = e.value;
  return out;
}

}  // namespace gaia::significance
