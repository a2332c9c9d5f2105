// SSP-consistent cache of rows read from the shards (DESIGN.md §4.1).
//
// Each entry is stamped with the ReadReply.shard_clock it came with: the row
// reflects every update of clocks < stamp. A read by a worker at clock c with
// staleness s needs every update of clocks <= c - s - 1, so an entry may serve
// it iff stamp >= c - s (the same bound the shard uses for min_clock).
//
// The cache holds shard values only, as the shard sent them: a worker's own
// updates are never applied to it. Reads add them on top, after the lookup,
// from the worker's UpdateBuffer (read-my-writes, worker_impl.h), using the
// entry's stamp to tell which of them the entry already reflects.
//
// Bounded by a byte budget (row payloads plus a fixed per-entry overhead);
// when full, the oldest-inserted entries are evicted first.
//
// Thread-safe.
#ifndef GAIA_SRC_WORKER_ROW_CACHE_H_
#define GAIA_SRC_WORKER_ROW_CACHE_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "src/common/mutex.h"

namespace gaia::internal {

class RowCache {
 public:
  // Budget for the cached rows; 0 disables caching.
  explicit RowCache(uint64_t capacity_bytes) : capacity_bytes_(capacity_bytes) {}

  // Copies the row into `out` and returns true if an entry with
  // stamp >= min_stamp exists (and out.size() matches it).
  bool Lookup(uint32_t table, uint64_t row, int64_t min_stamp, std::span<float> out);

  // Stores (or refreshes) a row. An entry is never replaced by an older stamp.
  void Insert(uint32_t table, uint64_t row, int64_t stamp, std::span<const float> values);

  // Batch forms, one lock for all rows. rows[i] is read into
  // out[i*width, (i+1)*width), and its entry's stamp into stamps[i] unless
  // `stamps` is null; indexes of rows not served are appended to `missing`.
  void LookupMany(uint32_t table, std::span<const uint64_t> rows, int64_t min_stamp,
                  uint32_t width, std::span<float> out, std::vector<uint32_t>* missing,
                  int64_t* stamps = nullptr);
  // values holds rows.size() * width floats, row-major (unaligned-safe copy).
  void InsertMany(uint32_t table, std::span<const uint64_t> rows, int64_t stamp,
                  uint32_t width, const char* values);

  uint64_t size_bytes() const;
  uint64_t entries() const;

  // Per-entry bookkeeping cost counted against the budget.
  static constexpr uint64_t kEntryOverheadBytes = 64;

 private:
  using Key = std::pair<uint32_t, uint64_t>;
  struct Entry {
    int64_t stamp = 0;
    uint64_t generation = 0;  // matches the eviction-queue record that owns it
    std::vector<float> values;
  };

  // Copies the entry into out[0, n) and returns its stamp; nullopt if there
  // is no entry fresh enough (or it has another size).
  std::optional<int64_t> LookupLocked(const std::pair<uint32_t, uint64_t>& key, int64_t min_stamp,
                       float* out, size_t n) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void InsertLocked(const std::pair<uint32_t, uint64_t>& key, int64_t stamp,
                    const char* values, size_t n) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EvictUntilFits() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const uint64_t capacity_bytes_;

  mutable common::Mutex mu_;
  absl::flat_hash_map<Key, Entry> entries_ ABSL_GUARDED_BY(mu_);
  // Insertion order for eviction; records whose generation no longer matches
  // their entry are stale and skipped.
  std::deque<std::pair<Key, uint64_t>> order_ ABSL_GUARDED_BY(mu_);
  uint64_t next_generation_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace gaia::internal

#endif  // GAIA_SRC_WORKER_ROW_CACHE_H_
