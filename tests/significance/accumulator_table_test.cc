// AccumulatorTable (src/significance/accumulator_table.h): sums, sparse rows
// turning dense, rows letting go of their memory, and memory that follows
// what the rows hold in a wide table.
#include "src/significance/accumulator_table.h"

#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/common/process_memory.h"

namespace gaia::significance {
namespace {

using ::testing::Each;
using ::testing::ElementsAre;

std::vector<float> Delta(uint32_t width, std::vector<std::pair<uint32_t, float>> set) {
  std::vector<float> delta(width, 0.0f);
  for (const auto& [col, value] : set) delta[col] = value;
  return delta;
}

TEST(AccumulatorTable, NarrowTableSumsInPlace) {
  AccumulatorTable acc(3, 2);
  EXPECT_EQ(acc.Add(1, std::vector<float>{1, 0, 2}), 2u);
  EXPECT_EQ(acc.Add(1, std::vector<float>{0.5f, 0, -2}), 2u);
  EXPECT_THAT(acc.Copy(1), ElementsAre(1.5f, 0.0f, 0.0f));
  EXPECT_THAT(acc.Copy(0), Each(0.0f));
  EXPECT_TRUE(acc.AnyNonzero(1));
  EXPECT_FALSE(acc.AnyNonzero(0));
  float* row = acc.Open(1);
  row[0] = 0;
  acc.Close(1);
  EXPECT_FALSE(acc.AnyNonzero(1));
}

TEST(AccumulatorTable, WideRowsSumTheirColumnsInAnyOrderOfUpdates) {
  constexpr uint32_t kWidth = 100;
  AccumulatorTable acc(kWidth, 3);
  EXPECT_EQ(acc.Add(2, Delta(kWidth, {{70, 1}, {5, 2}})), 2u);
  EXPECT_EQ(acc.Add(2, Delta(kWidth, {{5, 0.5f}, {99, -1}, {0, 4}})), 3u);
  EXPECT_EQ(acc.Add(2, Delta(kWidth, {})), 0u);
  const std::vector<float> want = Delta(kWidth, {{0, 4}, {5, 2.5f}, {70, 1}, {99, -1}});
  EXPECT_EQ(acc.Copy(2), want);
  EXPECT_FALSE(acc.AnyNonzero(1));

  // Opened, changed (one column sent, one written), closed: kept as changed.
  float* row = acc.Open(2);
  EXPECT_EQ(std::vector<float>(row, row + kWidth), want);
  row[5] = 0;
  row[42] = 3;
  acc.Close(2);
  EXPECT_EQ(acc.Copy(2), Delta(kWidth, {{0, 4}, {42, 3}, {70, 1}, {99, -1}}));

  // Cancelled to zero: nothing nonzero is held.
  acc.Add(2, Delta(kWidth, {{0, -4}, {42, -3}, {70, -1}, {99, 1}}));
  EXPECT_FALSE(acc.AnyNonzero(2));
  acc.Open(2);
  acc.Close(2);
  EXPECT_THAT(acc.Copy(2), Each(0.0f));
}

TEST(AccumulatorTable, AFullRowTurnsDenseAndKeepsItsSums) {
  constexpr uint32_t kWidth = 64;
  AccumulatorTable acc(kWidth, 1);
  std::vector<float> want(kWidth, 0.0f);
  // One column at a time, past the point where pairs outgrow the row.
  for (uint32_t c = 0; c < kWidth; ++c) {
    acc.Add(0, Delta(kWidth, {{c, static_cast<float>(c + 1)}}));
    want[c] = static_cast<float>(c + 1);
    ASSERT_EQ(acc.Copy(0), want) << "after column " << c;
  }
  std::vector<float> twice(kWidth);
  for (uint32_t c = 0; c < kWidth; ++c) twice[c] = 2 * want[c];
  EXPECT_EQ(acc.Add(0, want), kWidth);
  EXPECT_EQ(acc.Copy(0), twice);
  // All sent: the row is empty again, and takes sparse updates as before.
  float* row = acc.Open(0);
  std::fill(row, row + kWidth, 0.0f);
  acc.Close(0);
  EXPECT_FALSE(acc.AnyNonzero(0));
  acc.Add(0, Delta(kWidth, {{9, 1}}));
  EXPECT_EQ(acc.Copy(0), Delta(kWidth, {{9, 1}}));
}

// 20,000 rows of width 4,096 with a few columns each: 312 MiB as dense
// floats, well under 64 MiB as they are held.
TEST(AccumulatorTable, AWideTableCostsWhatItsRowsHold) {
  constexpr uint32_t kWidth = 4096;
  constexpr uint64_t kSlots = 20000;
  const uint64_t before = common::ResidentSetBytes();
  ASSERT_GT(before, 0u) << "/proc/self/statm unreadable";
  AccumulatorTable acc(kWidth, kSlots);
  std::vector<float> delta(kWidth, 0.0f);
  for (uint64_t slot = 0; slot < kSlots; ++slot) {
    const uint32_t a = static_cast<uint32_t>(slot * 7 % kWidth);
    const uint32_t b = static_cast<uint32_t>(slot * 131 % kWidth);
    delta[a] = 1;
    delta[b] = 2;
    acc.Add(slot, delta);
    delta[a] = delta[b] = 0;
  }
  const uint64_t after = common::ResidentSetBytes();
  const uint64_t grown = after > before ? after - before : 0;
  EXPECT_LT(grown, uint64_t{64} << 20) << "the accumulators grew by " << grown << " bytes";
  EXPECT_TRUE(acc.AnyNonzero(kSlots - 1));
  EXPECT_FALSE(AccumulatorTable(kWidth, 1).AnyNonzero(0));
}

}  // namespace
}  // namespace gaia::significance
