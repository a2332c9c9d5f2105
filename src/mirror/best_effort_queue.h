// Updates between the soft and the hard threshold that wait for spare
// capacity on one outgoing link (DESIGN.md §4.2.1, thesis §5.3.4: "sent in
// a best-effort manner"). The significance filter is shared by all of a
// shard's links, so when a sweep at the lowest link's soft bar emits such a
// row, every link gets it: a link with spare capacity sends it at once, a
// busy one keeps it here, where later best-effort updates of the same row
// sum into it. This queue is the link's own accumulator for what the
// filter already let go of: nothing in it is lost, only delayed.
//
// It never triggers a barrier and a mirror clock never waits for it. The
// hard-threshold guarantee still holds: once per clock the mirror promotes
// every row here whose sum became significant at the hard threshold into
// the link's outbox (with a barrier if one is due), a row the filter emits
// above the hard threshold takes this row's sum along, and a flush takes
// everything.
//
//   BestEffortQueue parked({16});            // one table, width 16
//   parked.Add(0, row, cols, vals);
//   parked.TakeIf([&](uint32_t t, uint64_t r, std::span<const float> v) { ... });
//   parked.TakeOldest(64 << 10, [&](uint32_t t, uint64_t r, std::span<const float> v) { ... });
//
// Not thread-safe (the mirror sender's lock guards it).
#ifndef GAIA_SRC_MIRROR_BEST_EFFORT_QUEUE_H_
#define GAIA_SRC_MIRROR_BEST_EFFORT_QUEUE_H_

#include <cstdint>
#include <deque>
#include <span>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"

namespace gaia::mirror {

class BestEffortQueue {
 public:
  // A parked row's values: dense, the table's width, 0 where nothing waits.
  using RowFn =
      absl::FunctionRef<void(uint32_t table, uint64_t row, std::span<const float> values)>;
  using PredicateFn =
      absl::FunctionRef<bool(uint32_t table, uint64_t row, std::span<const float> values)>;

  // widths[t] = floats per row of table t.
  explicit BestEffortQueue(std::vector<uint32_t> widths) : widths_(std::move(widths)) {}

  // Adds vals[i] to column cols[i] of the row. REQUIRES: table valid,
  // cols < width, same sizes.
  void Add(uint32_t table, uint64_t row, std::span<const uint32_t> cols,
           std::span<const float> vals);
  // Removes the row and passes its values to `take`; false if not parked.
  bool Take(uint32_t table, uint64_t row, RowFn take);
  // Removes every row for which `take` returns true (which then owns the
  // values it was shown), oldest first.
  void TakeIf(PredicateFn take);
  // Removes the oldest rows, passing each to `take`, until about
  // `max_bytes` (by bytes()'s estimate) were taken; returns those bytes.
  uint64_t TakeOldest(uint64_t max_bytes, RowFn take);

  bool empty() const { return index_.empty(); }
  size_t rows() const { return index_.size(); }
  // About what the parked rows take on the wire: kRowBytes per row and
  // kEntryBytes per nonzero value.
  uint64_t bytes() const { return bytes_; }
  static constexpr uint64_t kRowBytes = 12;
  static constexpr uint64_t kEntryBytes = 8;

 private:
  struct Entry {
    uint32_t table = 0;
    uint64_t row = 0;
    std::vector<float> values;  // empty once taken
    uint64_t bytes = 0;         // its share of bytes_
  };
  using Key = std::pair<uint32_t, uint64_t>;  // (table, row)

  // Removes entries_[pos] (values handed out already).
  void Remove(size_t pos);
  // Drops taken entries at the front, and all of them once they are most of
  // the queue.
  void Compact();

  const std::vector<uint32_t> widths_;
  std::deque<Entry> entries_;             // oldest first; taken ones stay until Compact
  uint64_t first_ = 0;                    // sequence number of entries_.front()
  absl::flat_hash_map<Key, uint64_t> index_;  // parked row -> sequence number
  uint64_t bytes_ = 0;
};

}  // namespace gaia::mirror

#endif  // GAIA_SRC_MIRROR_BEST_EFFORT_QUEUE_H_
