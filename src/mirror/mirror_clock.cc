#include "src/mirror/mirror_clock.h"

#include <algorithm>

namespace gaia::mirror {

void MirrorClock::Cover(int64_t clock) { covered_ = std::max(covered_.value_or(clock), clock); }

std::optional<int64_t> MirrorClock::TakeDue() {
  std::optional<int64_t> due = covered_;
  covered_.reset();
  if (!due || (sends_ == kFirstOnly && sent_any_)) return std::nullopt;
  sent_any_ = true;
  return due;
}

int ApplyMirrorClocks(const rpc::MirrorBatch& batch, uint32_t num_dcs, AspGate& gate) {
  int applied = 0;
  for (const rpc::MirrorClock& clock : batch.clocks()) {
    if (clock.origin_dc() >= num_dcs) continue;
    gate.SetMirrorClock(clock.origin_dc(), clock.clock());
    ++applied;
  }
  return applied;
}

}  // namespace gaia::mirror
