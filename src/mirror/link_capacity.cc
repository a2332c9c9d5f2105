#include "src/mirror/link_capacity.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gaia::mirror {
namespace {

// Keeps the newest kWindow samples.
template <typename T>
void Push(std::deque<T>& samples, T sample) {
  samples.push_back(sample);
  if (samples.size() > LinkCapacity::kWindow) samples.pop_front();
}

}  // namespace

void LinkCapacity::OnWritten(absl::Time now) {
  if (state_ != State::kIdle) return;  // the busy period goes on
  state_ = State::kFirstAfterIdle;
  busy_since_ = now;
}

void LinkCapacity::OnAcked(uint64_t bytes, absl::Time now, uint64_t outstanding_after) {
  const double b = static_cast<double>(bytes);
  const double min_gap_s = kMinGapMs / 1000.0;
  if (state_ == State::kFirstAfterIdle) {
    const double t = absl::ToDoubleSeconds(now - busy_since_);
    if (t > 0) {
      if (!isolated_.empty()) {
        const Isolated fastest = *std::min_element(
            isolated_.begin(), isolated_.end(),
            [](const Isolated& x, const Isolated& y) { return x.seconds < y.seconds; });
        const double gap = t - fastest.seconds;
        if (b > fastest.bytes && gap >= std::max(min_gap_s, kMinGap * fastest.seconds)) {
          AddCapacitySample((b - fastest.bytes) / gap);
        }
      }
      Push(isolated_, Isolated{b, t});
    }
  } else if (state_ == State::kDraining) {
    const double dt = absl::ToDoubleSeconds(now - last_ack_);
    // Acks that arrive together say nothing about the drain rate.
    if (dt >= kMinDrainMs / 1000.0) AddCapacitySample(b / dt);
  }
  last_ack_ = now;
  state_ = outstanding_after > 0 ? State::kDraining : State::kIdle;
}

void LinkCapacity::AddCapacitySample(double bytes_per_s) {
  if (std::isfinite(bytes_per_s) && bytes_per_s > 0) Push(capacity_samples_, bytes_per_s);
}

double LinkCapacity::bytes_per_s() const {
  if (capacity_samples_.empty()) return 0;
  return *std::max_element(capacity_samples_.begin(), capacity_samples_.end());
}

double LinkCapacity::rtt_ms() const {
  double fastest = 0;
  for (const Isolated& sample : isolated_) {
    if (fastest == 0 || sample.seconds < fastest) fastest = sample.seconds;
  }
  return 1000.0 * fastest;
}

double LinkCapacity::DrainMs(uint64_t bytes) const {
  const double rate = bytes_per_s();
  if (rate <= 0) return std::numeric_limits<double>::infinity();
  return 1000.0 * static_cast<double>(bytes) / rate;
}

uint64_t LinkCapacity::QueuedBeyondFlight(uint64_t outstanding) const {
  const double rate = bytes_per_s();
  if (rate <= 0 || isolated_.empty()) return outstanding;
  const double in_flight = rate * rtt_ms() / 1000.0;
  const double beyond = static_cast<double>(outstanding) - in_flight;
  return beyond <= 0 ? 0 : static_cast<uint64_t>(beyond);
}

}  // namespace gaia::mirror
