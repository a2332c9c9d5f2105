// One link's parked best-effort updates (src/mirror/best_effort_queue.h).
#include "src/mirror/best_effort_queue.h"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

namespace gaia::mirror {
namespace {

struct Taken {
  uint32_t table;
  uint64_t row;
  std::vector<float> values;
};

auto Collect(std::vector<Taken>* out) {
  return [out](uint32_t table, uint64_t row, std::span<const float> values) {
    out->push_back({table, row, std::vector<float>(values.begin(), values.end())});
  };
}

TEST(BestEffortQueue, SumsUpdatesOfARowInPlace) {
  BestEffortQueue parked({3});
  const uint32_t c0[] = {0, 2};
  const float v0[] = {1.0f, 2.0f};
  const uint32_t c1[] = {2};
  const float v1[] = {0.5f};
  parked.Add(0, 7, c0, v0);
  parked.Add(0, 7, c1, v1);
  EXPECT_EQ(parked.rows(), 1u);
  EXPECT_EQ(parked.bytes(), BestEffortQueue::kRowBytes + 2 * BestEffortQueue::kEntryBytes);
  std::vector<Taken> taken;
  EXPECT_TRUE(parked.Take(0, 7, Collect(&taken)));
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].values, (std::vector<float>{1.0f, 0.0f, 2.5f}));
  EXPECT_TRUE(parked.empty());
  EXPECT_EQ(parked.bytes(), 0u);
  EXPECT_FALSE(parked.Take(0, 7, Collect(&taken))) << "taken once";
}

TEST(BestEffortQueue, TakesTheOldestFirstUpToTheBytes) {
  BestEffortQueue parked({1, 1});
  const uint32_t col[] = {0};
  const float one[] = {1.0f};
  for (uint64_t row = 0; row < 10; ++row) parked.Add(row % 2, row, col, one);
  const uint64_t per_row = BestEffortQueue::kRowBytes + BestEffortQueue::kEntryBytes;
  std::vector<Taken> taken;
  EXPECT_EQ(parked.TakeOldest(3 * per_row, Collect(&taken)), 3 * per_row);
  ASSERT_EQ(taken.size(), 3u);
  for (uint64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(taken[i].row, i);
    EXPECT_EQ(taken[i].table, i % 2);
  }
  EXPECT_EQ(parked.rows(), 7u);
}

TEST(BestEffortQueue, TakeIfLeavesTheRestInOrder) {
  BestEffortQueue parked({1});
  const uint32_t col[] = {0};
  for (uint64_t row = 0; row < 6; ++row) {
    const float value[] = {static_cast<float>(row)};
    parked.Add(0, row, col, value);
  }
  std::vector<uint64_t> promoted;
  parked.TakeIf([&](uint32_t, uint64_t row, std::span<const float> values) {
    if (values[0] < 3.0f) return false;
    promoted.push_back(row);
    return true;
  });
  EXPECT_EQ(promoted, (std::vector<uint64_t>{3, 4, 5}));
  std::vector<Taken> rest;
  parked.TakeOldest(UINT64_MAX, Collect(&rest));
  ASSERT_EQ(rest.size(), 3u);
  EXPECT_EQ(rest[0].row, 0u);
  EXPECT_EQ(rest[2].row, 2u);
}

TEST(BestEffortQueue, ChurnInTheMiddleKeepsMemoryBounded) {
  // Row 0 stays parked at the front while others come and go: the holes
  // they leave are compacted away and sums stay with their rows.
  BestEffortQueue parked({1});
  const uint32_t col[] = {0};
  const float one[] = {1.0f};
  parked.Add(0, 0, col, one);
  std::vector<Taken> sink;
  for (uint64_t i = 1; i <= 5000; ++i) {
    parked.Add(0, i, col, one);
    parked.Add(0, i, col, one);
    ASSERT_TRUE(parked.Take(0, i, Collect(&sink)));
    ASSERT_EQ(sink.back().values[0], 2.0f);
  }
  EXPECT_EQ(parked.rows(), 1u);
  parked.Add(0, 0, col, one);
  std::vector<Taken> front;
  ASSERT_TRUE(parked.Take(0, 0, Collect(&front)));
  EXPECT_EQ(front[0].values[0], 2.0f);
}

}  // namespace
}  // namespace gaia::mirror
