// SignificanceFilter with half-precision emission (ValueEmission::kHalf): what a sweep
// sends is binary16-exact, the rounding error stays in acc, and nothing is
// lost: emitted values plus what remains always equal what was accumulated.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/significance/significance_filter.h"
#include "src/significance/registry.h"
#include "tests/significance/value_tables.h"

namespace gaia::significance {
namespace {

using ::testing::ElementsAre;
using test::RecordInto;
using test::Sent;
using test::ValueTables;

// binary16 nearest to 0.1f (0x2E66), and the float32 error it leaves.
constexpr float kHalfOfTenth = 0.0999755859375f;
constexpr float kTenthResidual = 0.1f - kHalfOfTenth;

TEST(SignificanceFilterHalf, SweepSendsTheNearestHalfAndKeepsTheError) {
  const std::vector<TableShape> shapes = {{.width = 3, .slots = 2}};
  SignificanceFilter filter(shapes, AbsoluteSignificance(), ValueEmission::kHalf);
  ValueTables values(shapes);
  values.Update(filter, 0, 1, std::vector<float>{0.1f, 0.5f, 0.001f});
  std::vector<Sent> sent;
  filter.Sweep(0.01, values.ValueFn(), RecordInto(sent));
  // 0.5 is a half already; 0.001 is below the threshold and stays.
  EXPECT_THAT(sent, ElementsAre(Sent{0, 1, 0, kHalfOfTenth}, Sent{0, 1, 1, 0.5f}));
  EXPECT_THAT(filter.Acc(0, 1), ElementsAre(kTenthResidual, 0.0f, 0.001f));
  EXPECT_NE(kTenthResidual, 0.0f);
  // Only column 2's kept update keeps the row dirty, not the residual.
  EXPECT_EQ(filter.dirty_rows(), 1u);
}

TEST(SignificanceFilterHalf, ResidualAloneLeavesTheRowCleanAndFlushSendsIt) {
  const std::vector<TableShape> shapes = {{.width = 2, .slots = 3}};
  SignificanceFilter filter(shapes, AbsoluteSignificance(), ValueEmission::kHalf);
  ValueTables values(shapes);
  values.Update(filter, 0, 2, std::vector<float>{0.1f, 0.0f});
  std::vector<Sent> sent;
  filter.Sweep(0.01, values.ValueFn(), RecordInto(sent));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(filter.dirty_rows(), 0u);
  sent.clear();
  filter.Flush(values.ValueFn(), RecordInto(sent));
  // Flush sends the residual exactly (float32), and nothing is left.
  EXPECT_THAT(sent, ElementsAre(Sent{0, 2, 0, kTenthResidual}));
  EXPECT_THAT(filter.Acc(0, 2), ElementsAre(0.0f, 0.0f));
}

TEST(SignificanceFilterHalf, ResidualRidesWithTheNextSignificantUpdate) {
  const std::vector<TableShape> shapes = {{.width = 1, .slots = 1}};
  SignificanceFilter filter(shapes, AbsoluteSignificance(), ValueEmission::kHalf);
  ValueTables values(shapes);
  values.Update(filter, 0, 0, std::vector<float>{0.1f});
  std::vector<Sent> sent;
  filter.Sweep(0.01, values.ValueFn(), RecordInto(sent));
  values.Update(filter, 0, 0, std::vector<float>{0.25f});
  filter.Sweep(0.01, values.ValueFn(), RecordInto(sent));
  ASSERT_EQ(sent.size(), 2u);
  // The second send covers 0.25 plus the first residual, rounded again.
  const float second_acc = kTenthResidual + 0.25f;
  EXPECT_NEAR(sent[1].acc, second_acc, 0.25f / 2048);
  EXPECT_EQ(sent[1].acc + filter.Acc(0, 0)[0], second_acc);
}

TEST(SignificanceFilterHalf, ValuesOutsideTheNormalHalfRangeGoUnrounded) {
  const std::vector<TableShape> shapes = {{.width = 3, .slots = 1}};
  SignificanceFilter filter(shapes, AbsoluteSignificance(), ValueEmission::kHalf);
  ValueTables values(shapes);
  // 3e-5 is a binary16 subnormal, 1e5 overflows binary16, 1e4 + 1 is in range.
  values.Update(filter, 0, 0, std::vector<float>{3e-5f, 1e5f + 1.0f, 10001.0f});
  std::vector<Sent> sent;
  filter.Sweep(1e-6, values.ValueFn(), RecordInto(sent));
  // 10001 -> 10000 (binary16 has 11 significant bits: spacing 8 at 8192..16384).
  EXPECT_THAT(sent, ElementsAre(Sent{0, 0, 0, 3e-5f}, Sent{0, 0, 1, 1e5f + 1.0f},
                                Sent{0, 0, 2, 10000.0f}));
  EXPECT_THAT(filter.Acc(0, 0), ElementsAre(0.0f, 0.0f, 1.0f));
}

TEST(SignificanceFilterHalf, FlushIsExactEvenWhenHalvesAreOn) {
  const std::vector<TableShape> shapes = {{.width = 2, .slots = 1}};
  SignificanceFilter filter(shapes, AbsoluteSignificance(), ValueEmission::kHalf);
  ValueTables values(shapes);
  values.Update(filter, 0, 0, std::vector<float>{0.1f, 0.3f});
  std::vector<Sent> sent;
  filter.Flush(values.ValueFn(), RecordInto(sent));
  EXPECT_THAT(sent, ElementsAre(Sent{0, 0, 0, 0.1f}, Sent{0, 0, 1, 0.3f}));
}

// Model check (CheckSweepsConserveUpdates): no rounding is lost anywhere.
TEST(SignificanceFilterHalf, NothingIsLostOrInventedOverManySweeps) {
  SignificanceFilter filter({{.width = 8, .slots = 16}}, RelativeSignificance(1e-3),
                            ValueEmission::kHalf);
  const uint64_t rounded = test::CheckSweepsConserveUpdates(
      filter, 8, 16, /*seed=*/7, [](const SignificantRow&, bool) {});
  EXPECT_GT(rounded, 100u) << "the sweeps should have rounded many values";
}

}  // namespace
}  // namespace gaia::significance
