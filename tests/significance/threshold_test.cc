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
  EXPECT_DOUBLE_EQ(schedule.soft_ratio(), 1.0);
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

TEST(ThresholdSchedule, SoftHalvesWhileUnderusedDownToTheMinimum) {
  ThresholdSchedule schedule({.initial = 1.0, .decay = Decay::kNone, .min_soft_ratio = 0.1});
  EXPECT_DOUBLE_EQ(schedule.Soft(0), 1.0);
  const double expected[] = {0.5, 0.25, 0.125, 0.1, 0.1, 0.1};
  for (double ratio : expected) {
    schedule.OnClock(/*links_underused=*/true);
    EXPECT_DOUBLE_EQ(schedule.soft_ratio(), ratio);
    EXPECT_DOUBLE_EQ(schedule.Soft(0), ratio * schedule.Hard(0));
  }
}

TEST(ThresholdSchedule, SoftDoublesBackUpToHard) {
  ThresholdSchedule schedule({.initial = 1.0, .decay = Decay::kNone, .min_soft_ratio = 0.1});
  for (int i = 0; i < 3; ++i) schedule.OnClock(true);
  ASSERT_DOUBLE_EQ(schedule.soft_ratio(), 0.125);
  const double expected[] = {0.25, 0.5, 1.0, 1.0, 1.0};
  for (double ratio : expected) {
    schedule.OnClock(/*links_underused=*/false);
    EXPECT_DOUBLE_EQ(schedule.soft_ratio(), ratio);
  }
  // From the floor (not a power of two) it doubles back and caps at 1.
  for (int i = 0; i < 10; ++i) schedule.OnClock(true);
  ASSERT_DOUBLE_EQ(schedule.soft_ratio(), 0.1);
  const double from_floor[] = {0.2, 0.4, 0.8, 1.0, 1.0};
  for (double ratio : from_floor) {
    schedule.OnClock(false);
    EXPECT_DOUBLE_EQ(schedule.soft_ratio(), ratio);
  }
}

TEST(ThresholdSchedule, SoftFollowsTheDecayingHard) {
  ThresholdSchedule schedule({.initial = 0.8, .decay = Decay::kInverseSqrt});
  schedule.OnClock(true);
  schedule.OnClock(true);
  ASSERT_DOUBLE_EQ(schedule.soft_ratio(), 0.25);
  EXPECT_DOUBLE_EQ(schedule.Soft(4), 0.1);
  EXPECT_DOUBLE_EQ(schedule.Soft(100), 0.02);
  for (int64_t clock : {0, 1, 7, 100}) EXPECT_LE(schedule.Soft(clock), schedule.Hard(clock));
}

TEST(ThresholdSchedule, SoftDisabledKeepsSoftEqualToHard) {
  ThresholdSchedule schedule(
      {.initial = 0.8, .decay = Decay::kInverseSqrt, .soft_enabled = false});
  for (int i = 0; i < 5; ++i) {
    schedule.OnClock(/*links_underused=*/true);
    EXPECT_DOUBLE_EQ(schedule.soft_ratio(), 1.0);
    EXPECT_DOUBLE_EQ(schedule.Soft(4), schedule.Hard(4));
  }
  schedule.OnClock(false);
  EXPECT_DOUBLE_EQ(schedule.soft_ratio(), 1.0);
  EXPECT_DOUBLE_EQ(schedule.Soft(100), schedule.Hard(100));
}

}  // namespace
}  // namespace gaia::significance
