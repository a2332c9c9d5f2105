// SignificanceFilter with ternary emission (ValueEmission::kTernary) and the
// ternary scales of src/significance/emission.h: per row, every significant
// element at least half the row's scale goes out as +-scale, the remainder
// stays in acc and keeps the row dirty, the flush is exact, and nothing is
// lost or invented.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/significance/emission.h"
#include "src/significance/significance_filter.h"
#include "src/significance/registry.h"
#include "tests/significance/value_tables.h"

namespace gaia::significance {
namespace {

using ::testing::ElementsAre;
using test::RecordInto;
using test::Sent;
using test::ValueTables;

TEST(TernaryScale, RoundsToTheNearestHighByteOfAHalf) {
  // Scales between 1 and 2 are 1, 1.25, 1.5, 1.75.
  EXPECT_EQ(RoundToTernaryScale(1.0f), 1.0f);
  EXPECT_EQ(RoundToTernaryScale(1.1f), 1.0f);
  EXPECT_EQ(RoundToTernaryScale(1.2f), 1.25f);
  EXPECT_EQ(RoundToTernaryScale(1.9f), 2.0f);
  EXPECT_EQ(RoundToTernaryScale(0.3f), 0.3125f);
  // Out of range: below binary16's smallest normal, above binary16's largest,
  // not a number, negative.
  EXPECT_EQ(RoundToTernaryScale(1e-5f), 0.0f);
  EXPECT_EQ(RoundToTernaryScale(6e4f), 57344.0f);  // rounds down to the largest
  EXPECT_EQ(RoundToTernaryScale(65504.0f), 57344.0f);
  EXPECT_EQ(RoundToTernaryScale(1e5f), 0.0f);
  EXPECT_EQ(RoundToTernaryScale(std::numeric_limits<float>::quiet_NaN()), 0.0f);
  EXPECT_EQ(RoundToTernaryScale(-1.0f), 0.0f);
}

TEST(TernaryScale, EveryByteRoundTripsAndOnlyScalesHaveOne) {
  int scales = 0;
  for (int b = 0; b < 256; ++b) {
    const std::optional<float> scale = ScaleFromTernaryByte(static_cast<uint8_t>(b));
    if (!scale) continue;
    ++scales;
    EXPECT_TRUE(IsTernaryScale(*scale)) << b;
    EXPECT_EQ(TernaryScaleByte(*scale), b);
    EXPECT_EQ(RoundToTernaryScale(*scale), *scale);
  }
  EXPECT_EQ(scales, 0x7B - 0x04 + 1);
  EXPECT_FALSE(ScaleFromTernaryByte(0x00).has_value());
  EXPECT_FALSE(ScaleFromTernaryByte(0x7C).has_value());  // infinity
  EXPECT_FALSE(ScaleFromTernaryByte(0xBC).has_value());  // negative
  EXPECT_FALSE(IsTernaryScale(1.1f));
  EXPECT_FALSE(IsTernaryScale(1.125f));  // a half, but with 3 mantissa bits
  EXPECT_FALSE(IsTernaryScale(-1.0f));
  EXPECT_FALSE(IsTernaryScale(0.0f));
}

TEST(SignificanceFilterTernary, SendsPlusMinusTheScaleAndKeepsTheRest) {
  const std::vector<TableShape> shapes = {{.width = 4, .slots = 2}};
  SignificanceFilter filter(shapes, AbsoluteSignificance(), ValueEmission::kTernary);
  ValueTables values(shapes);
  // Significant above 0.01: 1.0, -0.6 and 0.3; 0.005 is not.
  values.Update(filter, 0, 1, std::vector<float>{1.0f, -0.6f, 0.3f, 0.005f});
  std::vector<Sent> sent;
  filter.Sweep(0.01, values.ValueFn(), RecordInto(sent));
  // Scale 1: 1.0 and -0.6 (>= 0.5) go as +1 and -1; 0.3 waits.
  EXPECT_THAT(sent, ElementsAre(Sent{0, 1, 0, 1.0f}, Sent{0, 1, 1, -1.0f}));
  EXPECT_THAT(filter.Acc(0, 1), ElementsAre(0.0f, 1.0f - 0.6f, 0.3f, 0.005f));
  EXPECT_EQ(filter.dirty_rows(), 1u);

  // The next sweep, with no new update: scale 0.4 -> 0.375, and 0.3 >= 0.375 / 2.
  sent.clear();
  filter.Sweep(0.01, values.ValueFn(), RecordInto(sent));
  EXPECT_THAT(sent, ElementsAre(Sent{0, 1, 1, 0.375f}, Sent{0, 1, 2, 0.375f}));
  EXPECT_THAT(filter.Acc(0, 1),
              ElementsAre(0.0f, (1.0f - 0.6f) - 0.375f, 0.3f - 0.375f, 0.005f));
}

TEST(SignificanceFilterTernary, RemainderKeepsTheRowDirtyAndFlushSendsItExactly) {
  const std::vector<TableShape> shapes = {{.width = 2, .slots = 1}};
  SignificanceFilter filter(shapes, AbsoluteSignificance(), ValueEmission::kTernary);
  ValueTables values(shapes);
  values.Update(filter, 0, 0, std::vector<float>{1.1f, 0.0f});
  std::vector<Sent> sent;
  filter.Sweep(0.01, values.ValueFn(), RecordInto(sent));
  EXPECT_THAT(sent, ElementsAre(Sent{0, 0, 0, 1.0f}));
  EXPECT_EQ(filter.dirty_rows(), 1u);  // 0.1 left, above the threshold
  sent.clear();
  filter.Flush(values.ValueFn(), RecordInto(sent));
  EXPECT_THAT(sent, ElementsAre(Sent{0, 0, 0, 1.1f - 1.0f}));
  EXPECT_THAT(filter.Acc(0, 0), ElementsAre(0.0f, 0.0f));
  EXPECT_EQ(filter.dirty_rows(), 0u);
}

TEST(SignificanceFilterTernary, RowsOutsideTheScaleRangeGoExactly) {
  const std::vector<TableShape> shapes = {{.width = 2, .slots = 2}};
  SignificanceFilter filter(shapes, AbsoluteSignificance(), ValueEmission::kTernary);
  ValueTables values(shapes);
  values.Update(filter, 0, 0, std::vector<float>{3e-5f, -1e-5f});  // below 2^-14
  values.Update(filter, 0, 1, std::vector<float>{1e5f, 1.0f});     // above 57344
  std::vector<Sent> sent;
  filter.Sweep(1e-6, values.ValueFn(), RecordInto(sent));
  EXPECT_THAT(sent, ElementsAre(Sent{0, 0, 0, 3e-5f}, Sent{0, 0, 1, -1e-5f},
                                Sent{0, 1, 0, 1e5f}, Sent{0, 1, 1, 1.0f}));
  EXPECT_EQ(filter.dirty_rows(), 0u);
}

// Model check (CheckSweepsConserveUpdates), and every row a sweep sends is
// +-one ternary scale (all rows here are in the scales' range).
TEST(SignificanceFilterTernary, NothingIsLostOrInventedOverManySweeps) {
  SignificanceFilter filter({{.width = 8, .slots = 16}}, RelativeSignificance(1e-3),
                            ValueEmission::kTernary);
  uint64_t ternary_rows = 0;
  test::CheckSweepsConserveUpdates(
      filter, 8, 16, /*seed=*/11, [&](const SignificantRow& row, bool flushing) {
        ASSERT_FALSE(row.acc.empty());
        const float scale = std::fabs(row.acc[0]);
        if (flushing || !IsTernaryScale(scale)) return;
        ++ternary_rows;
        for (float v : row.acc) EXPECT_EQ(std::fabs(v), scale);
      });
  EXPECT_GT(ternary_rows, 500u);
}

// Without new updates, repeated sweeps drive a row's remainder below the
// threshold: the largest remainder at least halves (up to the scale's
// rounding) each sweep.
TEST(SignificanceFilterTernary, RepeatedSweepsConverge) {
  const std::vector<TableShape> shapes = {{.width = 4, .slots = 1}};
  SignificanceFilter filter(shapes, AbsoluteSignificance(), ValueEmission::kTernary);
  ValueTables values(shapes);
  values.Update(filter, 0, 0, std::vector<float>{0.9f, -0.33f, 0.07f, 0.013f});
  std::vector<Sent> sent;
  auto largest = [&] {
    float most = 0.0f;
    for (float a : filter.Acc(0, 0)) most = std::max(most, std::fabs(a));
    return most;
  };
  int sweeps = 0;
  for (float before = largest(); before > 0.01f && sweeps < 20; ++sweeps) {
    filter.Sweep(0.01, values.ValueFn(), RecordInto(sent));
    const float after = largest();
    // What is left over 0.01 (significant) at least about halves.
    EXPECT_LE(after, std::max(0.6f * before, 0.01f)) << "sweep " << sweeps;
    before = after;
  }
  EXPECT_LT(sweeps, 12);
  EXPECT_LE(largest(), 0.01f);
}

}  // namespace
}  // namespace gaia::significance
