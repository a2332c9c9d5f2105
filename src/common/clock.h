// Time as the code that decides sees it (STYLE.md §6): logic that acts on
// elapsed time (the mirror's bandwidth estimate and reconnect backoff) reads
// a Clock given through its options, so tests drive time with a fake
// (tests/mirror/fake_clock.h) instead of sleeping.
//
//   struct FooOptions {
//     std::shared_ptr<const common::Clock> clock = common::RealClock();
//   };
//   const absl::Time now = options.clock->Now();
//
// Implementations are thread-safe.
#ifndef GAIA_SRC_COMMON_CLOCK_H_
#define GAIA_SRC_COMMON_CLOCK_H_

#include <memory>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace gaia::common {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The wall clock (absl::Now()). Stateless: one instance serves everyone.
inline std::shared_ptr<const Clock> RealClock() {
  class WallClock final : public Clock {
   public:
    absl::Time Now() const override { return absl::Now(); }
  };
  static const std::shared_ptr<const Clock>* const clock =
      new std::shared_ptr<const Clock>(std::make_shared<WallClock>());
  return *clock;
}

}  // namespace gaia::common

#endif  // GAIA_SRC_COMMON_CLOCK_H_
