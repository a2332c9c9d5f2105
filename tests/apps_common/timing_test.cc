#include "apps/common/timing.h"

#include <chrono>
#include <thread>

#include "gtest/gtest.h"

namespace gaia::apps {
namespace {

// Busy-waits until `watch` shows at least `ms` (no fixed sleeps: wait on the
// condition the test needs).
void WaitAtLeast(const Stopwatch& watch, double ms) {
  while (watch.ElapsedMs() < ms) std::this_thread::yield();
}

TEST(Stopwatch, LapsPartitionTheElapsedTime) {
  Stopwatch total;
  Stopwatch lap;
  WaitAtLeast(lap, 2);
  const double first = lap.LapMs();
  WaitAtLeast(lap, 1);
  const double second = lap.LapMs();
  EXPECT_GE(first, 2);
  EXPECT_GE(second, 1);
  EXPECT_LE(first + second, total.ElapsedMs());
  EXPECT_NEAR(total.ElapsedSeconds() * 1e3, total.ElapsedMs(), 5.0);
}

TEST(ScopedTimer, AddsTheScopesDurationToTheTotal) {
  double total_ms = 10;
  Stopwatch outer;
  {
    ScopedTimer timer(&total_ms);
    // Started after the timer's own watch, so the timer sees at least this;
    // waiting on `outer` (started earlier) left the scope short of 2 ms
    // now and then (seen under ASan).
    Stopwatch inner;
    WaitAtLeast(inner, 2);
  }
  EXPECT_GE(total_ms, 12);
  EXPECT_LE(total_ms, 10 + outer.ElapsedMs());
}

TEST(PerSecond, IsZeroWithoutElapsedTime) {
  EXPECT_DOUBLE_EQ(PerSecond(100, 2), 50);
  EXPECT_DOUBLE_EQ(PerSecond(100, 0), 0);
}

}  // namespace
}  // namespace gaia::apps
