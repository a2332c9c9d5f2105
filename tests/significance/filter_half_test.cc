// SignificanceFilter with half-precision emission (emit_half): what a sweep
// sends is binary16-exact, the rounding error stays in acc, and nothing is
// lost: emitted values plus what remains always equal what was accumulated.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/significance/filter.h"
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

// Model check: over random updates and sweeps at random thresholds, each
// sweep splits every element's acc exactly into what it emits and what it
// keeps (float32, no rounding anywhere); after Flush acc is 0 and the
// emitted totals are the accumulated updates.
TEST(SignificanceFilterHalf, NothingIsLostOrInventedOverManySweeps) {
  constexpr uint32_t kWidth = 8;
  constexpr uint64_t kSlots = 16;
  const std::vector<TableShape> shapes = {{.width = kWidth, .slots = kSlots}};
  SignificanceFilter filter(shapes, RelativeSignificance(1e-3), ValueEmission::kHalf);
  ValueTables values(shapes, /*initial=*/1.0f);
  std::vector<float> this_sweep(kWidth * kSlots);
  std::vector<double> emitted(kWidth * kSlots, 0.0), accumulated(kWidth * kSlots, 0.0);
  auto record = [&](const SignificantRow& row) {
    for (size_t i = 0; i < row.cols.size(); ++i) {
      this_sweep[row.slot * kWidth + row.cols[i]] = row.acc[i];
      emitted[row.slot * kWidth + row.cols[i]] += row.acc[i];
    }
  };
  auto acc_snapshot = [&] {
    std::vector<float> acc;
    for (uint64_t slot = 0; slot < kSlots; ++slot) {
      for (float a : filter.Acc(0, slot)) acc.push_back(a);
    }
    return acc;
  };
  std::mt19937 rng(7);
  std::normal_distribution<float> delta(0.0f, 0.02f);
  std::uniform_real_distribution<double> threshold(0.0, 0.05);
  uint64_t rounded = 0;
  for (int step = 0; step <= 200; ++step) {
    for (int u = 0; u < 10; ++u) {
      const uint64_t slot = rng() % kSlots;
      std::vector<float> d(kWidth);
      for (uint32_t c = 0; c < kWidth; ++c) {
        d[c] = delta(rng);
        accumulated[slot * kWidth + c] += d[c];
      }
      values.Update(filter, 0, slot, d);
    }
    const std::vector<float> before = acc_snapshot();
    std::fill(this_sweep.begin(), this_sweep.end(), 0.0f);
    if (step < 200) {
      filter.Sweep(threshold(rng), values.ValueFn(), record);
    } else {
      filter.Flush(values.ValueFn(), record);
    }
    const std::vector<float> after = acc_snapshot();
    for (size_t e = 0; e < before.size(); ++e) {
      ASSERT_EQ(this_sweep[e] + after[e], before[e]) << "element " << e << " step " << step;
      rounded += this_sweep[e] != 0.0f && after[e] != 0.0f;
    }
  }
  EXPECT_GT(rounded, 100u) << "the sweeps should have rounded many values";
  for (uint64_t slot = 0; slot < kSlots; ++slot) {
    for (uint32_t c = 0; c < kWidth; ++c) {
      EXPECT_EQ(filter.Acc(0, slot)[c], 0.0f);
      EXPECT_NEAR(emitted[slot * kWidth + c], accumulated[slot * kWidth + c], 1e-5);
    }
  }
  EXPECT_EQ(filter.dirty_rows(), 0u);
}

}  // namespace
}  // namespace gaia::significance
