#include "src/server/clock_tracker.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace gaia::server {

ClockTracker::ClockTracker(uint32_t num_workers)
    : clocks_(num_workers, 0), done_(num_workers, false) {}

absl::Status ClockTracker::CheckWorker(uint32_t worker, int64_t clock) const {
  if (worker >= clocks_.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("worker_id ", worker, " not in [0, ", clocks_.size(), ")"));
  }
  if (done_[worker]) {
    return absl::FailedPreconditionError(absl::StrCat("worker ", worker, " already said Goodbye"));
  }
  if (clock < clocks_[worker]) {
    return absl::InvalidArgumentError(absl::StrCat("worker ", worker, " clock ", clock,
                                                   " goes backwards from ", clocks_[worker]));
  }
  return absl::OkStatus();
}

bool ClockTracker::OnlyHolder(uint32_t worker, int64_t clock) const {
  if (done_[worker] || clocks_[worker] != clock) return false;
  for (uint32_t w = 0; w < clocks_.size(); ++w) {
    if (w != worker && !done_[w] && clocks_[w] <= clock) return false;
  }
  return true;
}

bool ClockTracker::Recompute() {
  int64_t min_clock = kAllDone;
  for (size_t w = 0; w < clocks_.size(); ++w) {
    if (!done_[w]) min_clock = std::min(min_clock, clocks_[w]);
  }
  const bool advanced = min_clock > clock_;
  clock_ = min_clock;
  return advanced;
}

absl::StatusOr<bool> ClockTracker::Tick(uint32_t worker, int64_t clock) {
  if (absl::Status s = CheckWorker(worker, clock); !s.ok()) return s;
  clocks_[worker] = clock;
  max_clock_ = std::max(max_clock_, clock);
  return Recompute();
}

absl::StatusOr<bool> ClockTracker::Goodbye(uint32_t worker, int64_t final_clock) {
  if (absl::Status s = CheckWorker(worker, final_clock); !s.ok()) return s;
  clocks_[worker] = final_clock;
  max_clock_ = std::max(max_clock_, final_clock);
  done_[worker] = true;
  return Recompute();
}

uint64_t ClockTracker::Park(int64_t min_clock) {
  const uint64_t ticket = next_ticket_++;
  parked_.emplace(min_clock, ticket);
  return ticket;
}

std::vector<uint64_t> ClockTracker::TakeReady() {
  std::vector<uint64_t> ready;
  auto end = parked_.upper_bound(clock_);
  for (auto it = parked_.begin(); it != end; ++it) ready.push_back(it->second);
  parked_.erase(parked_.begin(), end);
  return ready;
}

std::vector<uint64_t> ClockTracker::TakeAll() {
  std::vector<uint64_t> all;
  all.reserve(parked_.size());
  for (const auto& [min_clock, ticket] : parked_) all.push_back(ticket);
  parked_.clear();
  return all;
}

}  // namespace gaia::server
