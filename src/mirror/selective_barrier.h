// The sending half of ASP's selective barrier (DESIGN.md §4.2.3, thesis
// §5.3.2): when significant updates for a link arrive faster than the link
// can carry them, the rows just queued are first announced in an ASP
// BARRIER (row ids only, on the control queue, ahead of all data), and the
// receiver holds local reads of exactly those rows until the data arrives.
// The receiving half is AspGate (src/mirror/asp_gate.h).
//
// The trigger needs the link's capacity, measured as LinkBandwidth does:
// bytes acknowledged per second while the link had something outstanding,
// never a figure that contains an idle gap.
//
//   SelectiveBarrier barrier(/*backlog_ms=*/100);
//   barrier.NoteQueued(table, row);                // per row queued on the link
//   for (rpc::AspBarrier& b : barrier.Check(backlog_bytes, bandwidth.bytes_per_s(), outbox))
//     control_queue.push_back(std::move(b));
//
// Not thread-safe (the mirror sender's lock guards both classes).
#ifndef GAIA_SRC_MIRROR_SELECTIVE_BARRIER_H_
#define GAIA_SRC_MIRROR_SELECTIVE_BARRIER_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "proto/gaia.pb.h"
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

  // Whether a backlog of `backlog_bytes` (queued + unacknowledged) takes
  // longer than backlog_ms to drain at `bytes_per_s`; never while the link
  // is not measured yet (bytes_per_s <= 0).
  bool Due(uint64_t backlog_bytes, double bytes_per_s) const;

  // Forgets the rows noted so far and, if Due, returns the barriers naming
  // them: one per table, row ids ascending (varint deltas or a bitmap,
  // src/mirror/delta_encoding.h), ids from outbox.NextBarrierId() so that
  // the batch carrying the last row queued before it releases it.
  std::vector<rpc::AspBarrier> Check(uint64_t backlog_bytes, double bytes_per_s, Outbox& outbox);

 private:
  const double backlog_ms_;
  std::vector<std::pair<uint32_t, uint64_t>> fresh_;  // (table, row), queued since the last Check
};

// A link's capacity as its acknowledgements show it (DESIGN.md §4.2.3): each
// ack's bytes over the time since the link last became busy or was last
// acknowledged, exponentially smoothed. Time comes from the caller (the
// mirror's clock), so tests drive it.
class LinkBandwidth {
 public:
  // A batch went out on a link with nothing outstanding: the busy period
  // (the denominator of the next sample) starts now.
  void OnBusy(absl::Time now) { busy_since_ = now; }
  // `bytes` were acknowledged at `now` (> 0 bytes).
  void OnAcked(uint64_t bytes, absl::Time now);
  // Bytes per second; 0 until the first sample.
  double bytes_per_s() const { return bytes_per_s_; }
  double mbps() const { return bytes_per_s_ * 8 / 1e6; }

  static constexpr double kSmoothing = 0.3;  // weight of a new sample

 private:
  double bytes_per_s_ = 0;
  absl::Time busy_since_ = absl::InfinitePast();
};

}  // namespace gaia::mirror

#endif  // GAIA_SRC_MIRROR_SELECTIVE_BARRIER_H_
