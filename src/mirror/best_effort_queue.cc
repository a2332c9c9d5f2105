#include "src/mirror/best_effort_queue.h"

#include <algorithm>

namespace gaia::mirror {

void BestEffortQueue::Add(uint32_t table, uint64_t row, std::span<const uint32_t> cols,
                          std::span<const float> vals) {
  auto [it, inserted] = index_.try_emplace(Key{table, row}, first_ + entries_.size());
  if (inserted) {
    Entry& entry = entries_.emplace_back();
    entry.table = table;
    entry.row = row;
    entry.values.assign(widths_[table], 0.0f);
    entry.bytes = kRowBytes;
    bytes_ += kRowBytes;
  }
  Entry& entry = entries_[it->second - first_];
  for (size_t i = 0; i < cols.size(); ++i) {
    float& value = entry.values[cols[i]];
    if (value == 0.0f && vals[i] != 0.0f) {
      entry.bytes += kEntryBytes;
      bytes_ += kEntryBytes;
    }
    value += vals[i];
  }
}

bool BestEffortQueue::Take(uint32_t table, uint64_t row, RowFn take) {
  auto it = index_.find(Key{table, row});
  if (it == index_.end()) return false;
  const size_t pos = it->second - first_;
  take(table, row, entries_[pos].values);
  Remove(pos);
  Compact();
  return true;
}

void BestEffortQueue::TakeIf(PredicateFn take) {
  for (size_t pos = 0; pos < entries_.size(); ++pos) {
    Entry& entry = entries_[pos];
    if (entry.values.empty()) continue;
    if (take(entry.table, entry.row, entry.values)) Remove(pos);
  }
  Compact();
}

uint64_t BestEffortQueue::TakeOldest(uint64_t max_bytes, RowFn take) {
  uint64_t taken = 0;
  for (size_t pos = 0; pos < entries_.size() && taken < max_bytes; ++pos) {
    Entry& entry = entries_[pos];
    if (entry.values.empty()) continue;
    taken += entry.bytes;
    take(entry.table, entry.row, entry.values);
    Remove(pos);
  }
  Compact();
  return taken;
}

void BestEffortQueue::Remove(size_t pos) {
  Entry& entry = entries_[pos];
  index_.erase(Key{entry.table, entry.row});
  bytes_ -= entry.bytes;
  entry.bytes = 0;
  entry.values = std::vector<float>();  // frees it; empty marks it taken
}

void BestEffortQueue::Compact() {
  while (!entries_.empty() && entries_.front().values.empty()) {
    entries_.pop_front();
    ++first_;
  }
  // Rows taken from the middle (promoted ones) leave holes: rebuild once
  // they are most of the queue, so memory stays within twice the parked rows.
  if (entries_.size() < 1024 || entries_.size() < 2 * index_.size()) return;
  std::deque<Entry> live;
  for (Entry& entry : entries_) {
    if (!entry.values.empty()) live.push_back(std::move(entry));
  }
  entries_ = std::move(live);
  for (size_t pos = 0; pos < entries_.size(); ++pos) {
    index_[Key{entries_[pos].table, entries_[pos].row}] = first_ + pos;
  }
}

}  // namespace gaia::mirror
