// The BSP/SSP clock of one shard (DESIGN.md §4.1): the minimum clock of the
// clock group's workers, plus the reads parked until it reaches their
// min_clock.
//
// Workers start at clock 0. A worker that said Goodbye no longer holds the
// shard clock back (it counts as infinitely advanced); when every worker has
// said Goodbye, clock() is kAllDone and every parked read is ready.
//
// Parked reads are opaque tickets: the owner (ShardCore) maps a ticket to the
// request and the session that must get the answer.
//
//   ClockTracker clocks(/*num_workers=*/2);
//   uint64_t ticket = clocks.Park(/*min_clock=*/1);
//   clocks.Tick(0, 1); clocks.Tick(1, 1);    // shard clock 0 -> 1
//   std::vector<uint64_t> ready = clocks.TakeReady();  // {ticket}
//
// Not thread-safe: ShardCore serializes every call with its lock.
#ifndef GAIA_SRC_SERVER_CLOCK_TRACKER_H_
#define GAIA_SRC_SERVER_CLOCK_TRACKER_H_

#include <cstdint>
#include <limits>
#include <map>
#include <vector>

#include "absl/status/statusor.h"

namespace gaia::server {

class ClockTracker {
 public:
  // clock() once every worker has said Goodbye.
  static constexpr int64_t kAllDone = std::numeric_limits<int64_t>::max();

  // REQUIRES: num_workers > 0.
  explicit ClockTracker(uint32_t num_workers);

  uint32_t num_workers() const { return static_cast<uint32_t>(clocks_.size()); }

  // Minimum clock of the workers that have not said Goodbye; kAllDone if none.
  int64_t clock() const { return clock_; }

  // clock() for reports: the largest clock any worker reached once all are done.
  int64_t reported_clock() const { return clock_ == kAllDone ? max_clock_ : clock_; }

  // REQUIRES: worker < num_workers().
  int64_t worker_clock(uint32_t worker) const { return clocks_[worker]; }
  bool said_goodbye(uint32_t worker) const { return done_[worker]; }

  // The worker is now at `clock`. Returns whether the shard clock advanced.
  // INVALID_ARGUMENT if the worker is out of range or its clock would go
  // backwards; FAILED_PRECONDITION if it already said Goodbye.
  absl::StatusOr<bool> Tick(uint32_t worker, int64_t clock);

  // The worker ends at `final_clock` and stops holding the shard clock back.
  // Returns whether the shard clock advanced. Errors as Tick().
  absl::StatusOr<bool> Goodbye(uint32_t worker, int64_t final_clock);

  // True if `worker` is at `clock` and every other worker is past it or has
  // said Goodbye: no one but `worker` still holds the shard clock at `clock`.
  // REQUIRES: worker < num_workers().
  bool OnlyHolder(uint32_t worker, int64_t clock) const;

  // True if a read asking for `min_clock` can be answered now.
  bool Ready(int64_t min_clock) const { return clock_ >= min_clock; }

  // Parks a read until clock() >= min_clock; returns its ticket (unique).
  uint64_t Park(int64_t min_clock);

  // Removes and returns the tickets that are ready now, oldest min_clock first.
  std::vector<uint64_t> TakeReady();

  // Removes and returns every parked ticket (shutdown).
  std::vector<uint64_t> TakeAll();

  size_t parked() const { return parked_.size(); }

 private:
  absl::Status CheckWorker(uint32_t worker, int64_t clock) const;
  // Recomputes clock_; returns whether it increased.
  bool Recompute();

  std::vector<int64_t> clocks_;  // per worker
  std::vector<bool> done_;       // per worker: said Goodbye
  int64_t clock_ = 0;
  int64_t max_clock_ = 0;
  uint64_t next_ticket_ = 1;
  std::multimap<int64_t, uint64_t> parked_;  // min_clock -> ticket
};

}  // namespace gaia::server

#endif  // GAIA_SRC_SERVER_CLOCK_TRACKER_H_
