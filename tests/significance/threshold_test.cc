// ThresholdSchedule: hard-threshold decay and the soft ratio
// (src/significance/threshold.h).
#include "src/significance/threshold.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace gaia::significance {
namespace {

TEST(ThresholdSchedule, DefaultsAreAutoWithSoftOn) {
  const ThresholdOptions options;
  EXPECT_EQ(options.decay, Decay::kAuto);
  EXPECT_TRUE(options.soft_enabled);
  ThresholdSchedule schedule(options);
  EXPECT_DOUBLE_EQ(schedule.Hard(4), options.initial / 2);
}

TEST(ThresholdSchedule, NoneIsConstant) {
  ThresholdSchedule schedule({.initial = 0.05, .decay = Decay::kNone});
  for (int64_t clock : {0, 1, 2, 4, 100, 1000000}) {
    EXPECT_DOUBLE_EQ(schedule.Hard(clock), 0.05) << clock;
  }
  // A learning-rate report does not affect kNone.
  schedule.ReportLearningRate(0.1);
  schedule.ReportLearningRate(0.01);
  EXPECT_DOUBLE_EQ(schedule.Hard(10), 0.05);
}

TEST(ThresholdSchedule, AutoIsInverseSqrtUntilTheAppReportsThenFollowsItsLearningRate) {
  ThresholdSchedule schedule({.initial = 0.8, .decay = Decay::kAuto});
  EXPECT_DOUBLE_EQ(schedule.Hard(0), 0.8);
  EXPECT_DOUBLE_EQ(schedule.Hard(4), 0.4);  // no report yet: 0.8 / sqrt(4)
  schedule.ReportLearningRate(0.1);
  EXPECT_DOUBLE_EQ(schedule.Hard(4), 0.8);  // lr(t) / lr(first) = 1
  schedule.ReportLearningRate(0.025);
  EXPECT_DOUBLE_EQ(schedule.Hard(4), 0.2);
  EXPECT_DOUBLE_EQ(schedule.Hard(100), 0.2);  // the clock no longer matters
  schedule.ReportLearningRate(-1);            // ignored
  EXPECT_DOUBLE_EQ(schedule.Hard(100), 0.2);
}

TEST(ThresholdSchedule, InverseSqrtDecays) {
  ThresholdSchedule schedule({.initial = 0.8, .decay = Decay::kInverseSqrt});
  EXPECT_DOUBLE_EQ(schedule.Hard(0), 0.8);  // t = max(clock, 1)
  EXPECT_DOUBLE_EQ(schedule.Hard(1), 0.8);
  EXPECT_DOUBLE_EQ(schedule.Hard(4), 0.4);
  EXPECT_DOUBLE_EQ(schedule.Hard(100), 0.08);
  EXPECT_DOUBLE_EQ(schedule.Hard(2), 0.8 / std::sqrt(2.0));
}

TEST(ThresholdSchedule, LearningRateIsV0UntilReported) {
  ThresholdSchedule schedule({.initial = 0.2, .decay = Decay::kLearningRate});
  EXPECT_DOUBLE_EQ(schedule.Hard(0), 0.2);
  EXPECT_DOUBLE_EQ(schedule.Hard(50), 0.2);
}

TEST(ThresholdSchedule, LearningRateScalesWithTheReportedRate) {
  ThresholdSchedule schedule({.initial = 0.2, .decay = Decay::kLearningRate});
  schedule.ReportLearningRate(0.5);  // lr0
  EXPECT_DOUBLE_EQ(schedule.Hard(1), 0.2);
  schedule.ReportLearningRate(0.25);
  EXPECT_DOUBLE_EQ(schedule.Hard(2), 0.1);
  schedule.ReportLearningRate(0.05);
  EXPECT_DOUBLE_EQ(schedule.Hard(3), 0.02);
  // The clock itself does not matter, only the rate.
  EXPECT_DOUBLE_EQ(schedule.Hard(300), 0.02);
  // A rate may grow again (warm restarts).
  schedule.ReportLearningRate(1.0);
  EXPECT_DOUBLE_EQ(schedule.Hard(4), 0.4);
}

TEST(ThresholdSchedule, LearningRateIgnoresInvalidReports) {
  ThresholdSchedule schedule({.initial = 0.2, .decay = Decay::kLearningRate});
  // Invalid before the first valid report: still v0, and none becomes lr0.
  for (double bad : {0.0, -1.0, std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::infinity()}) {
    schedule.ReportLearningRate(bad);
    EXPECT_DOUBLE_EQ(schedule.Hard(1), 0.2) << bad;
  }
  schedule.ReportLearningRate(0.4);  // lr0
  schedule.ReportLearningRate(0.1);
  EXPECT_DOUBLE_EQ(schedule.Hard(1), 0.05);
  // Invalid after: the last valid rate stays in force.
  for (double bad : {0.0, -0.1, std::numeric_limits<double>::quiet_NaN(),
                     -std::numeric_limits<double>::infinity(),
                     std::numeric_limits<double>::infinity()}) {
    schedule.ReportLearningRate(bad);
    EXPECT_DOUBLE_EQ(schedule.Hard(1), 0.05) << bad;
  }
}

TEST(SoftRatio, HalvesWhileTheLinkHasSpareCapacityDownToTheMinimum) {
  SoftRatio soft({.initial = 1.0, .decay = Decay::kNone, .min_soft_ratio = 0.1});
  EXPECT_DOUBLE_EQ(soft.ratio(), 1.0);
  const double expected[] = {0.5, 0.25, 0.125, 0.1, 0.1, 0.1};
  for (double ratio : expected) {
    soft.OnClock(/*spare=*/true);
    EXPECT_DOUBLE_EQ(soft.ratio(), ratio);
  }
}

TEST(SoftRatio, DoublesBackUpToOne) {
  SoftRatio soft({.initial = 1.0, .decay = Decay::kNone, .min_soft_ratio = 0.1});
  for (int i = 0; i < 3; ++i) soft.OnClock(true);
  ASSERT_DOUBLE_EQ(soft.ratio(), 0.125);
  const double expected[] = {0.25, 0.5, 1.0, 1.0, 1.0};
  for (double ratio : expected) {
    soft.OnClock(/*spare=*/false);
    EXPECT_DOUBLE_EQ(soft.ratio(), ratio);
  }
  // From the floor (not a power of two) it doubles back and caps at 1.
  for (int i = 0; i < 10; ++i) soft.OnClock(true);
  ASSERT_DOUBLE_EQ(soft.ratio(), 0.1);
  const double from_floor[] = {0.2, 0.4, 0.8, 1.0, 1.0};
  for (double ratio : from_floor) {
    soft.OnClock(false);
    EXPECT_DOUBLE_EQ(soft.ratio(), ratio);
  }
}

TEST(SoftRatio, EachLinkMovesOnItsOwn) {
  const ThresholdOptions options{.initial = 0.8, .decay = Decay::kInverseSqrt};
  SoftRatio idle(options), busy(options);
  for (int i = 0; i < 2; ++i) {
    idle.OnClock(/*spare=*/true);
    busy.OnClock(/*spare=*/false);
  }
  EXPECT_DOUBLE_EQ(idle.ratio(), 0.25);
  EXPECT_DOUBLE_EQ(busy.ratio(), 1.0);
}

TEST(SoftRatio, DisabledStaysOne) {
  SoftRatio soft({.initial = 0.8, .decay = Decay::kInverseSqrt, .soft_enabled = false});
  for (int i = 0; i < 5; ++i) {
    soft.OnClock(/*spare=*/true);
    EXPECT_DOUBLE_EQ(soft.ratio(), 1.0);
  }
  soft.OnClock(false);
  EXPECT_DOUBLE_EQ(soft.ratio(), 1.0);
}

}  // namespace
}  // namespace gaia::significance
