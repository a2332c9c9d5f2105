// The built-in significance functions (src/significance/registry.h) and the
// filter's "score > threshold" rule at the exact boundary.
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/significance/significance_filter.h"
#include "src/significance/registry.h"

namespace gaia::significance {
namespace {

using ::testing::ElementsAre;
using ::testing::FloatEq;

std::vector<float> Score(const gaia::SignificanceFn& fn, std::vector<float> acc,
                         std::vector<float> value) {
  std::vector<float> out(acc.size(), -1.0f);  // -1: "not written"
  fn(acc, value, out);
  return out;
}

TEST(RelativeSignificance, IsAbsAccOverAbsValue) {
  const gaia::SignificanceFn fn = RelativeSignificance(1e-3);
  EXPECT_THAT(Score(fn, {1.0f, 0.5f, 0.0f}, {4.0f, 10.0f, 3.0f}),
              ElementsAre(FloatEq(0.25f), FloatEq(0.05f), FloatEq(0.0f)));
}

TEST(RelativeSignificance, NegativeAccAndValuesUseMagnitudes) {
  const gaia::SignificanceFn fn = RelativeSignificance(1e-3);
  EXPECT_THAT(Score(fn, {-1.0f, 1.0f, -2.0f}, {4.0f, -4.0f, -8.0f}),
              ElementsAre(FloatEq(0.25f), FloatEq(0.25f), FloatEq(0.25f)));
}

TEST(RelativeSignificance, ValuesNearZeroUseTheFloor) {
  const gaia::SignificanceFn fn = RelativeSignificance(1e-2);
  // |value| below the floor (0, tiny, tiny negative) divides by the floor;
  // |value| just above it divides by the value.
  EXPECT_THAT(Score(fn, {1e-3f, 1e-3f, 1e-3f, 1e-3f}, {0.0f, 1e-5f, -1e-5f, 0.1f}),
              ElementsAre(FloatEq(0.1f), FloatEq(0.1f), FloatEq(0.1f), FloatEq(0.01f)));
}

TEST(RelativeSignificance, FloorIsAParameter) {
  EXPECT_THAT(Score(RelativeSignificance(1.0), {0.5f}, {0.0f}), ElementsAre(FloatEq(0.5f)));
  EXPECT_THAT(Score(RelativeSignificance(0.5), {0.5f}, {0.0f}), ElementsAre(FloatEq(1.0f)));
}

TEST(AbsoluteSignificance, IsAbsAccWhateverTheValue) {
  const gaia::SignificanceFn fn = AbsoluteSignificance();
  EXPECT_THAT(Score(fn, {-0.5f, 0.25f, 0.0f, 3.0f}, {1000.0f, 0.0f, -7.0f, 1e-9f}),
              ElementsAre(FloatEq(0.5f), FloatEq(0.25f), FloatEq(0.0f), FloatEq(3.0f)));
}

TEST(RowRelativeSignificance, SameNormRatioForEveryElement) {
  const gaia::SignificanceFn fn = RowRelativeSignificance(1e-3);
  // ||(3, 0, -4)|| = 5, ||(6, 0, 8)|| = 10: every element, including the one
  // with acc 0, gets 0.5.
  EXPECT_THAT(Score(fn, {3.0f, 0.0f, -4.0f}, {6.0f, 0.0f, 8.0f}),
              ElementsAre(FloatEq(0.5f), FloatEq(0.5f), FloatEq(0.5f)));
}

TEST(RowRelativeSignificance, ZeroRowValueUsesTheFloor) {
  const gaia::SignificanceFn fn = RowRelativeSignificance(1e-2);
  EXPECT_THAT(Score(fn, {3.0f, 4.0f}, {0.0f, 0.0f}), ElementsAre(FloatEq(500.0f), FloatEq(500.0f)));
  // A row norm just above the floor divides by the norm.
  EXPECT_THAT(Score(fn, {0.0f, 0.02f}, {0.0f, 0.04f}), ElementsAre(FloatEq(0.5f), FloatEq(0.5f)));
}

TEST(RowRelativeSignificance, ZeroAccScoresZero) {
  EXPECT_THAT(Score(RowRelativeSignificance(1e-3), {0.0f, 0.0f}, {1.0f, 2.0f}),
              ElementsAre(FloatEq(0.0f), FloatEq(0.0f)));
}

// Runs one sweep over a single 1-row table whose acc and value are given, and
// returns the columns emitted.
std::vector<uint32_t> SweepOnce(const gaia::SignificanceFn& fn, const std::vector<float>& acc,
                                const std::vector<float>& value, double threshold) {
  const uint32_t width = static_cast<uint32_t>(acc.size());
  SignificanceFilter filter({{.width = width, .slots = 1}}, fn);
  filter.Accumulate(0, 0, acc);
  std::vector<uint32_t> cols;
  filter.Sweep(
      threshold,
      [&](uint32_t, uint64_t) { return std::span<const float>(value); },
      [&](const SignificantRow& row) { cols.assign(row.cols.begin(), row.cols.end()); });
  return cols;
}

// The rule is score > threshold: a score equal to the threshold stays. 0.25,
// 0.5 and 1.0 are exact in float and double, so the boundary is exact.
TEST(SignificanceRule, ExactThresholdIsNotSignificant) {
  const gaia::SignificanceFn relative = RelativeSignificance(1e-3);
  EXPECT_THAT(SweepOnce(relative, {1.0f}, {4.0f}, 0.25), ElementsAre());
  EXPECT_THAT(SweepOnce(relative, {1.0f}, {4.0f}, std::nextafter(0.25, 0.0)), ElementsAre(0u));
  EXPECT_THAT(SweepOnce(relative, {-1.0f}, {-4.0f}, 0.25), ElementsAre());

  EXPECT_THAT(SweepOnce(AbsoluteSignificance(), {0.5f}, {123.0f}, 0.5), ElementsAre());
  EXPECT_THAT(SweepOnce(AbsoluteSignificance(), {0.5f}, {123.0f}, 0.4999), ElementsAre(0u));

  const gaia::SignificanceFn row = RowRelativeSignificance(1e-3);
  EXPECT_THAT(SweepOnce(row, {3.0f, 4.0f}, {6.0f, 8.0f}, 0.5), ElementsAre());
  EXPECT_THAT(SweepOnce(row, {3.0f, 4.0f}, {6.0f, 8.0f}, 0.4999), ElementsAre(0u, 1u));
}

// row_relative sends a row whole: the small element goes with the large one,
// but a column whose acc is 0 is never sent.
TEST(SignificanceRule, RowRelativeSendsTheWholeRowButNotZeroAcc) {
  const gaia::SignificanceFn row = RowRelativeSignificance(1e-3);
  EXPECT_THAT(SweepOnce(row, {3.0f, 0.0f, 1e-4f}, {3.0f, 1.0f, 1.0f}, 0.1), ElementsAre(0u, 2u));
  // The relative function would have kept column 2.
  EXPECT_THAT(SweepOnce(RelativeSignificance(1e-3), {3.0f, 0.0f, 1e-4f}, {3.0f, 1.0f, 1.0f}, 0.1),
              ElementsAre(0u));
}

}  // namespace
}  // namespace gaia::significance
