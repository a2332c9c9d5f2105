#include "src/server/clock_tracker.h"

#include <gtest/gtest.h>

#include <vector>

namespace gaia::server {
namespace {

TEST(ClockTracker, ShardClockIsTheMinimum) {
  ClockTracker clocks(3);
  EXPECT_EQ(clocks.clock(), 0);
  EXPECT_EQ(*clocks.Tick(0, 2), false);
  EXPECT_EQ(*clocks.Tick(1, 1), false);
  EXPECT_EQ(clocks.clock(), 0);
  EXPECT_EQ(*clocks.Tick(2, 3), true);
  EXPECT_EQ(clocks.clock(), 1);
  EXPECT_EQ(*clocks.Tick(1, 1), false);  // same clock again is harmless
}

TEST(ClockTracker, RejectsBadTicks) {
  ClockTracker clocks(2);
  EXPECT_EQ(clocks.Tick(2, 1).status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(clocks.Tick(0, 3).ok());
  EXPECT_EQ(clocks.Tick(0, 2).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(clocks.worker_clock(0), 3);
}

TEST(ClockTracker, ParkedReadsAreReleasedInClockOrder) {
  ClockTracker clocks(2);
  EXPECT_TRUE(clocks.Ready(0));
  EXPECT_FALSE(clocks.Ready(1));
  const uint64_t late = clocks.Park(2);
  const uint64_t early = clocks.Park(1);
  EXPECT_NE(late, early);
  EXPECT_TRUE(clocks.TakeReady().empty());
  ASSERT_TRUE(clocks.Tick(0, 1).ok());
  EXPECT_TRUE(clocks.TakeReady().empty());
  ASSERT_TRUE(clocks.Tick(1, 2).ok());
  EXPECT_EQ(clocks.TakeReady(), std::vector<uint64_t>{early});
  ASSERT_TRUE(clocks.Tick(0, 5).ok());
  EXPECT_EQ(clocks.TakeReady(), std::vector<uint64_t>{late});
  EXPECT_EQ(clocks.parked(), 0u);
}

TEST(ClockTracker, GoodbyeStopsHoldingTheClockBack) {
  ClockTracker clocks(2);
  const uint64_t ticket = clocks.Park(4);
  ASSERT_TRUE(clocks.Tick(0, 4).ok());
  EXPECT_EQ(clocks.clock(), 0);
  EXPECT_EQ(*clocks.Goodbye(1, 1), true);
  EXPECT_EQ(clocks.clock(), 4);
  EXPECT_EQ(clocks.TakeReady(), std::vector<uint64_t>{ticket});
  EXPECT_TRUE(clocks.said_goodbye(1));
  EXPECT_EQ(clocks.Tick(1, 2).status().code(), absl::StatusCode::kFailedPrecondition);

  EXPECT_EQ(*clocks.Goodbye(0, 6), true);
  EXPECT_EQ(clocks.clock(), ClockTracker::kAllDone);
  EXPECT_EQ(clocks.reported_clock(), 6);
  EXPECT_TRUE(clocks.Ready(1000000));
}

TEST(ClockTracker, TakeAllEmptiesTheParkedSet) {
  ClockTracker clocks(1);
  clocks.Park(3);
  clocks.Park(7);
  EXPECT_EQ(clocks.TakeAll().size(), 2u);
  EXPECT_EQ(clocks.parked(), 0u);
  ASSERT_TRUE(clocks.Tick(0, 10).ok());
  EXPECT_TRUE(clocks.TakeReady().empty());
}

}  // namespace
}  // namespace gaia::server
