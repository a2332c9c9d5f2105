// The sending half of ASP's selective barrier (DESIGN.md §4.2.3, thesis
// §5.3.2): when significant updates for a link arrive faster than the link
// can carry them, the rows just queued are first announced in an ASP
// BARRIER (row ids only, on the control queue, ahead of all data), and the
// receiver holds local reads of exactly those rows until the data arrives.
// The receiving half is AspGate (src/mirror/asp_gate.h).
//
// The trigger is the time the link's backlog takes to drain at the link's
// capacity (LinkCapacity, src/mirror/link_capacity.h), which leaves the
// round trip out: a far link that keeps up sends no barrier, a slow one
// that falls behind does, whatever its round trip.
//
//   SelectiveBarrier barrier(/*backlog_ms=*/100);
//   barrier.NoteQueued(table, row);                // per row queued on the link
//   for (rpc::AspBarrier& b : barrier.Check(backlog_bytes, capacity, outbox))
//     control_queue.push_back(std::move(b));
//
// Not thread-safe (the mirror sender's lock guards it).
#ifndef GAIA_SRC_MIRROR_SELECTIVE_BARRIER_H_
#define GAIA_SRC_MIRROR_SELECTIVE_BARRIER_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "proto/gaia.pb.h"
#include "src/mirror/link_capacity.h"
#include "src/mirror/outbox.h"

namespace gaia::mirror {

class SelectiveBarrier {
 public:
  // A barrier goes out when the link's backlog would take longer than
  // `backlog_ms` to drain at its measured bandwidth.
  explicit SelectiveBarrier(double backlog_ms) : backlog_ms_(backlog_ms) {}

  // A row was queued on the link since the last Check.
  void NoteQueued(uint32_t table, uint64_t row) { fresh_.emplace_back(table, row); }
  bool has_fresh() const { return !fresh_.empty(); }

  // Whether `backlog_bytes` (what waits on the link: queued, and
  // unacknowledged beyond what is in flight) take longer than backlog_ms to
  // drain at the link's capacity; never while it is not measured yet. A
  // limit of 0 (tests) makes any backlog due, measured or not.
  bool Due(uint64_t backlog_bytes, const LinkCapacity& capacity) const;

  // Forgets the rows noted so far and, if Due, returns the barriers naming
  // them: one per table, row ids ascending (varint deltas or a bitmap,
  // src/mirror/delta_encoding.h), ids from outbox.NextBarrierId() so that
  // the batch carrying the last row queued before it releases it.
  std::vector<rpc::AspBarrier> Check(uint64_t backlog_bytes, const LinkCapacity& capacity,
                                     Outbox& outbox);

 private:
  const double backlog_ms_;
  std::vector<std::pair<uint32_t, uint64_t>> fresh_;  // (table, row), queued since the last Check
};

}  // namespace gaia::mirror

#endif  // GAIA_SRC_MIRROR_SELECTIVE_BARRIER_H_
