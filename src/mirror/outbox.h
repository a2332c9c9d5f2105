// What one directed mirror link still has to send, coalesced (DESIGN.md
// §4.2). Significant updates for the same (table, row, column) that queue up
// while the link is busy are summed, so a slow link carries each element at
// most once per batch however many clocks it falls behind, and the memory it
// takes is bounded by the table size, not by the outage length. A queued row
// holds only its queued columns (kQueuedEntryBytes each, sorted by column):
// a wide table whose updates touch a few columns per row costs what it
// queues, not its width per row. A hub's
// forwarded updates and its own share the outbox: that is its aggregation.
//
// Ordering (what the receiver may rely on): rows leave in the order they
// were first queued (a row queued again while waiting keeps its place and
// carries the sum); inside one batch they are written in row order. A
// mirror clock queued after some updates of its lane is sent in the same
// batch as the last of them or later. Clocks wait until every update queued
// in their lane is packed; updates queued after a clock may overtake it,
// which only makes the receiver's copy fresher. A barrier is released
// (barriers_through) by the batch that carries the last row queued before
// it, so a link that never empties still releases its barriers.
//
// Rows go out dense (width values), as (column, value) pairs, or (compact)
// as a column bitmap and values, whichever is smallest. With
// `half_values`, a row whose every queued value is an exact binary16 goes out
// as halves (src/mirror/delta_encoding.h), any other row as float32; with
// `compact`, a row whose values are all +s or -s for one ternary scale s
// goes out as a bitmap, s and sign bits: packing never rounds.
//
// Two lanes: updates from the sender's own group, and updates `relayed` into
// the group by a hub (the receiver must not forward those). A batch carries
// one lane, and so do mirror clocks: an origin's clock travels in the lane
// of its updates, so a hub forwards exactly the clocks it forwards updates
// for. (A clock of this group riding in a relayed batch would not be
// forwarded to other groups, and their DS bound would wait for it.)
//
//   Outbox outbox({16}, {.half_values = true}); // one table, width 16
//   outbox.AddRow(false, 0, row, cols, vals);
//   outbox.AddClock(/*relayed=*/false, /*origin=*/0, /*clock=*/5);
//   while (std::optional<rpc::MirrorBatch> b = outbox.Seal(1 << 20)) send(*b);
//
// Not thread-safe.
#ifndef GAIA_SRC_MIRROR_OUTBOX_H_
#define GAIA_SRC_MIRROR_OUTBOX_H_

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "proto/gaia.pb.h"
#include "src/common/packing.h"

namespace gaia::mirror {

// How an Outbox packs rows (src/mirror/delta_encoding.h). The mirror turns
// both on (half_values unless values go as exact float32).
struct OutboxOptions {
  // Rows whose every queued value is an exact binary16 go out as halves.
  bool half_values = false;
  // Row ids go as varints, sparse rows as a column bitmap and values where
  // that is smaller, all-+-s rows in the ternary form.
  bool compact = false;
};

class Outbox {
 public:
  // widths[t] = floats per row of table t.
  explicit Outbox(std::vector<uint32_t> widths, OutboxOptions options = {});

  // Adds vals[i] to column cols[i] of the row. REQUIRES: table valid,
  // cols < width, same sizes.
  void AddRow(bool relayed, uint32_t table, uint64_t row, std::span<const uint32_t> cols,
              std::span<const float> vals);

  // Origin `origin` reached `clock` (in the lane of its updates); a later
  // clock of the same origin replaces an unsent earlier one.
  void AddClock(bool relayed, uint32_t origin, int64_t clock);
  // Queues again the latest clock of every origin ever added, behind what
  // is queued: for a receiver that lost them (a restarted peer shard, met
  // again at a reconnect). Receivers never lower a clock.
  void RepeatClocks();

  // A barrier was sent for rows queued now; the batch that carries the last
  // of the rows queued so far releases it. Returns the new barrier id (1, 2,
  // ...).
  uint64_t NextBarrierId();

  // Packs the next batch (seq left 0): rows of one lane up to about
  // `max_bytes` on the wire and about `max_bytes` of float32 values (what
  // the receiver expands them to), and, once no update of that lane is
  // left, the lane's pending clocks; and barriers_through. nullopt when
  // nothing is queued.
  std::optional<rpc::MirrorBatch> Seal(size_t max_bytes);

  bool empty() const;
  uint64_t queued_rows() const;
  // Approximate wire size of what is queued: kQueuedEntryBytes per queued
  // element plus kQueuedRowBytes per queued row.
  uint64_t queued_bytes() const { return queued_bytes_; }
  static constexpr uint64_t kQueuedEntryBytes = 8;  // (column, value)
  static constexpr uint64_t kQueuedRowBytes = 12;   // row id + count
  // queued_bytes() scaled by the wire bytes per estimated byte of all that
  // was packed so far (the compact forms can be 10x smaller than the
  // estimate): about what the queue will take on the wire.
  uint64_t queued_wire_bytes() const;
  // Values packed into sealed batches so far (a dense row counts width).
  uint64_t packed_elements() const { return packed_elements_; }

 private:
  // One queued column of a row: its sum so far (0 when it cancelled out).
  using Entry = common::SparseEntry;
  // Rows [head, rows.size()) are queued, oldest first.
  struct TableLane {
    absl::flat_hash_map<uint64_t, uint32_t> index;  // row -> position
    std::vector<uint64_t> rows;
    std::vector<uint64_t> order;  // when each row was first queued (order_)
    std::vector<std::vector<Entry>> entries;  // per position, ascending columns
    size_t head = 0;
  };
  struct Lane {
    std::vector<TableLane> tables;
    uint64_t rows = 0;
  };
  // Moves rows of `lane` into `batch` (oldest first) until about max_bytes;
  // each table's rows are written in ascending row order.
  void PackLane(Lane& lane, size_t max_bytes, rpc::MirrorBatch* batch);
  // Drops the packed rows [0, head) of `t` once they are most of it.
  static void Compact(TableLane& t);
  // The queue position of the oldest row still queued (order_ if none).
  uint64_t OldestQueued() const;

  const std::vector<uint32_t> widths_;
  const OutboxOptions options_;
  Lane lanes_[2];  // [0] own group, [1] relayed
  std::map<uint32_t, int64_t> clocks_[2];  // per lane: origin -> latest unsent clock
  std::map<uint32_t, int64_t> added_clocks_[2];  // per lane: origin -> latest ever added
  uint64_t queued_bytes_ = 0;
  uint64_t last_barrier_id_ = 0;
  uint64_t packed_elements_ = 0;
  uint64_t packed_estimate_ = 0;  // queued_bytes_ estimate of what was packed
  uint64_t packed_wire_ = 0;      // its TableDeltas' serialized bytes
  uint64_t order_ = 0;  // rows ever queued (first time)
  // Unreleased barriers: (id, order_ when it was sent), ascending.
  std::deque<std::pair<uint64_t, uint64_t>> barriers_;
  // Scratch reused by AddRow and PackLane.
  std::vector<Entry> incoming_;
  std::vector<Entry> merged_;
  std::vector<float> dense_;
};

}  // namespace gaia::mirror

#endif  // GAIA_SRC_MIRROR_OUTBOX_H_
