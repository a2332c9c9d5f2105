// A Clock that moves only when the test says (src/common/clock.h), as
// tensorstore's coordinator tests inject theirs: time-based logic is tested
// without sleeping.
//
//   auto clock = std::make_shared<FakeClock>();
//   options.clock = clock;
//   clock->Advance(absl::Seconds(2));
#ifndef GAIA_TESTS_MIRROR_FAKE_CLOCK_H_
#define GAIA_TESTS_MIRROR_FAKE_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "src/common/clock.h"

namespace gaia::testing {

class FakeClock final : public common::Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'800'000'000)) : now_(start) {}

  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gaia::testing

#endif  // GAIA_TESTS_MIRROR_FAKE_CLOCK_H_
