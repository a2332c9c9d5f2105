#include "src/worker/row_cache.h"

#include <algorithm>
#include <cstring>

namespace gaia::internal {

std::optional<int64_t> RowCache::LookupLocked(const Key& key, int64_t min_stamp, float* out,
                                              size_t n) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  const Entry& entry = it->second;
  if (entry.stamp < min_stamp || entry.values.size() != n) return std::nullopt;
  std::memcpy(out, entry.values.data(), n * sizeof(float));
  return entry.stamp;
}

void RowCache::InsertLocked(const Key& key, int64_t stamp, const char* values, size_t n) {
  const uint64_t cost = n * sizeof(float) + kEntryOverheadBytes;
  if (cost > capacity_bytes_) return;  // would evict everything; not worth it
  auto [it, inserted] = entries_.try_emplace(key);
  Entry& entry = it->second;
  if (!inserted) {
    if (entry.stamp > stamp) return;  // keep the fresher copy
    bytes_ -= entry.values.size() * sizeof(float) + kEntryOverheadBytes;
  }
  entry.stamp = stamp;
  entry.values.resize(n);
  if (n > 0) std::memcpy(entry.values.data(), values, n * sizeof(float));
  entry.generation = next_generation_++;
  order_.emplace_back(key, entry.generation);
  bytes_ += cost;
}

bool RowCache::Lookup(uint32_t table, uint64_t row, int64_t min_stamp,
                      std::span<float> out) {
  common::MutexLock lock(&mu_);
  return LookupLocked(Key{table, row}, min_stamp, out.data(), out.size()).has_value();
}

void RowCache::Insert(uint32_t table, uint64_t row, int64_t stamp,
                      std::span<const float> values) {
  common::MutexLock lock(&mu_);
  InsertLocked(Key{table, row}, stamp, reinterpret_cast<const char*>(values.data()),
               values.size());
  EvictUntilFits();
}

void RowCache::LookupMany(uint32_t table, std::span<const uint64_t> rows,
                          int64_t min_stamp, uint32_t width, std::span<float> out,
                          std::vector<uint32_t>* missing, int64_t* stamps) {
  common::MutexLock lock(&mu_);
  if (entries_.empty()) {
    for (size_t i = 0; i < rows.size(); ++i) missing->push_back(static_cast<uint32_t>(i));
    return;
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    const std::optional<int64_t> stamp =
        LookupLocked(Key{table, rows[i]}, min_stamp, out.data() + i * width, width);
    if (!stamp.has_value()) {
      missing->push_back(static_cast<uint32_t>(i));
    } else if (stamps != nullptr) {
      stamps[i] = *stamp;
    }
  }
}

void RowCache::InsertMany(uint32_t table, std::span<const uint64_t> rows, int64_t stamp,
                          uint32_t width, const char* values) {
  if (capacity_bytes_ == 0) return;
  common::MutexLock lock(&mu_);
  const size_t row_bytes = size_t{width} * sizeof(float);
  for (size_t i = 0; i < rows.size(); ++i) {
    InsertLocked(Key{table, rows[i]}, stamp, values + i * row_bytes, width);
  }
  EvictUntilFits();
}

void RowCache::EvictUntilFits() {
  while (bytes_ > capacity_bytes_ && !order_.empty()) {
    auto [key, generation] = order_.front();
    order_.pop_front();
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.generation != generation) continue;
    bytes_ -= it->second.values.size() * sizeof(float) + kEntryOverheadBytes;
    entries_.erase(it);
  }
  // Refreshes leave stale records behind; drop them once they dominate so the
  // queue stays proportional to the live entries.
  if (order_.size() > 2 * entries_.size() + 1024) {
    std::deque<std::pair<Key, uint64_t>> live;
    for (const auto& record : order_) {
      auto it = entries_.find(record.first);
      if (it != entries_.end() && it->second.generation == record.second) {
        live.push_back(record);
      }
    }
    order_.swap(live);
  }
}

uint64_t RowCache::size_bytes() const {
  common::MutexLock lock(&mu_);
  return bytes_;
}

uint64_t RowCache::entries() const {
  common::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace gaia::internal
