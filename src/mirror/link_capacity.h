// What one outgoing mirror link can carry, as its acknowledgements show it
// (DESIGN.md §4.2.3): its capacity (bytes per second it drains) and its round
// trip, kept apart. The selective barrier and the soft threshold ask how
// long the bytes waiting on the link take to drain; that is bytes over
// capacity, never a figure that contains the round trip. (Acked bytes over
// the time since they were sent is about one round trip for any batch on a
// fast far link, which made every link over the barrier limit's RTT send a
// barrier every clock.)
//
// Capacity samples:
//   - drain: the link had bytes outstanding since the previous ack, so the
//     bytes of this ack drained in the time since it: bytes / interval, a
//     lower bound (a gap in the writes only lengthens the interval).
//   - size difference: the first ack after the link was idle took T =
//     round trip + bytes / capacity (+ the receiver's apply time). Two such
//     batches of different sizes give the capacity as the difference of
//     their bytes over the difference of their times; the one compared with
//     is the recent batch of the smallest T, and the gap must be at least
//     kMinGap of that T (and kMinGapMs), so that jitter does not pass for
//     serialization.
// The capacity is the largest recent sample, the round trip the smallest
// recent T (windows of kWindow samples each), as BBR-style estimators
// filter delivery rate and RTT. A link whose batches never queue and all
// have one size stays unmeasured, and an unmeasured link sends no barrier:
// it has no backlog, and a link that falls behind drains back to back,
// which measures it.
//
//   LinkCapacity link;
//   link.OnWritten(now);                      // a batch went out
//   link.OnAcked(bytes, later, /*outstanding_after=*/0);
//   double ms = link.DrainMs(queued_bytes);  // +inf while unmeasured
//
// Time comes from the caller (the mirror's clock), so tests drive it.
// Not thread-safe (the mirror sender's lock guards it).
#ifndef GAIA_SRC_MIRROR_LINK_CAPACITY_H_
#define GAIA_SRC_MIRROR_LINK_CAPACITY_H_

#include <cstddef>
#include <cstdint>
#include <deque>

#include "absl/time/time.h"

namespace gaia::mirror {

class LinkCapacity {
 public:
  // A batch was handed to the link at `now`.
  void OnWritten(absl::Time now);
  // `bytes` (> 0) were acknowledged at `now`; `outstanding_after` are still
  // unacknowledged.
  void OnAcked(uint64_t bytes, absl::Time now, uint64_t outstanding_after);
  // The link was reconnected: what was outstanding may have been lost, so
  // the next ack is not a drain sample. Estimates are kept.
  void OnReconnect() { state_ = State::kIdle; }

  // Whether there is a capacity sample yet.
  bool measured() const { return !capacity_samples_.empty(); }
  // Bytes per second the link drains; 0 until the first sample.
  double bytes_per_s() const;
  double mbps() const { return bytes_per_s() * 8 / 1e6; }
  // Smallest recent round trip (write to ack of a batch sent on an idle
  // link), in ms; 0 until the first sample.
  double rtt_ms() const;
  // Milliseconds to drain `bytes` at the capacity; +infinity while it is
  // unmeasured.
  double DrainMs(uint64_t bytes) const;
  // Of `outstanding` unacknowledged bytes, those beyond what the link holds
  // in flight (capacity times round trip): the part that is queued. All of
  // them while unmeasured.
  uint64_t QueuedBeyondFlight(uint64_t outstanding) const;

  static constexpr size_t kWindow = 16;     // samples each filter keeps
  static constexpr double kMinGap = 0.1;    // of the smallest T, see above
  static constexpr double kMinGapMs = 2;    // and at least this
  static constexpr double kMinDrainMs = 0.2;  // shortest drain interval used

 private:
  void AddCapacitySample(double bytes_per_s);

  enum class State { kIdle, kFirstAfterIdle, kDraining };
  State state_ = State::kIdle;
  absl::Time busy_since_ = absl::InfinitePast();  // first write after idle
  absl::Time last_ack_ = absl::InfinitePast();
  struct Isolated {
    double bytes = 0;
    double seconds = 0;  // write to ack
  };
  std::deque<double> capacity_samples_;  // bytes/s, newest last
  std::deque<Isolated> isolated_;        // newest last
};

}  // namespace gaia::mirror

#endif  // GAIA_SRC_MIRROR_LINK_CAPACITY_H_
