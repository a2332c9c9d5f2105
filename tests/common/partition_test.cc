#include "src/common/partition.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace gaia::common {
namespace {

// ShardOf is persisted in checkpoints and shared by every DC: it must never
// change. These pin it (and splitmix64's reference output).
static_assert(Mix64(0) == 0xE220A8397B1DCDAFull);
static_assert(ShardOf(0, 0, 1) == 0);

TEST(Partition, Mix64MatchesSplitmix64) {
  // First outputs of the reference splitmix64 generator seeded with 0: the
  // state advances by the golden gamma before each mix.
  EXPECT_EQ(Mix64(0), 0xE220A8397B1DCDAFull);
  EXPECT_EQ(Mix64(0x9E3779B97F4A7C15ull), 0x6E789E6AA1B965F4ull);
}

TEST(Partition, ShardOfIsStable) {
  // Recorded values; a change here breaks existing checkpoints and mixed-version DCs.
  const uint32_t kGolden[8] = {ShardOf(0, 0, 7),  ShardOf(0, 1, 7),      ShardOf(0, 2, 7),
                               ShardOf(1, 0, 7),  ShardOf(1, 1, 7),      ShardOf(3, 12345, 7),
                               ShardOf(0, 0, 64), ShardOf(9, 999999, 64)};
  const uint32_t kExpected[8] = {2, 2, 5, 0, 6, 3, 47, 42};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(kGolden[i], kExpected[i]) << i;
}

// The division-free form gives exactly ShardOf: random and edge inputs,
// divisors 1 to 300 and some large ones.
TEST(Partition, ModulusEqualsRemainder) {
  static_assert(Modulus(7).Of(100) == 2);
  uint64_t x = 0x243F6A8885A308D3ull;
  std::vector<uint32_t> divisors;
  for (uint32_t d = 1; d <= 300; ++d) divisors.push_back(d);
  for (uint32_t d : {1u << 16, (1u << 31) - 1, 1u << 31, ~0u - 1, ~0u}) divisors.push_back(d);
  for (uint32_t d : divisors) {
    const Modulus mod(d);
    for (uint64_t edge : {uint64_t{0}, uint64_t{1}, uint64_t{d} - 1, uint64_t{d},
                          uint64_t{d} + 1, ~uint64_t{0}, ~uint64_t{0} - 1, uint64_t{1} << 63}) {
      ASSERT_EQ(mod.Of(edge), edge % d) << edge << " % " << d;
    }
    for (int i = 0; i < 2000; ++i) {
      x = Mix64(x);
      ASSERT_EQ(mod.Of(x), x % d) << x << " % " << d;
      ASSERT_EQ(ShardOf(3, x, mod), ShardOf(3, x, d));
    }
  }
}

TEST(Partition, ShardsAreInRangeAndOneShardOwnsAll) {
  for (uint64_t row = 0; row < 1000; ++row) {
    EXPECT_EQ(ShardOf(2, row, 1), 0u);
    EXPECT_LT(ShardOf(2, row, 5), 5u);
  }
}

TEST(Partition, RowsAreBalancedOverShards) {
  for (uint32_t shards : {2u, 3u, 8u, 13u}) {
    for (uint32_t table : {0u, 1u, 7u}) {
      constexpr uint64_t kRows = 100000;
      std::vector<uint64_t> count(shards, 0);
      for (uint64_t row = 0; row < kRows; ++row) ++count[ShardOf(table, row, shards)];
      const double expected = static_cast<double>(kRows) / shards;
      for (uint32_t s = 0; s < shards; ++s) {
        // Binomial sd is < 0.5% of the mean here; 5% means a real skew.
        EXPECT_NEAR(count[s], expected, expected * 0.05)
            << "shards " << shards << " table " << table << " shard " << s;
      }
    }
  }
}

TEST(Partition, TablesArePartitionedIndependently) {
  // Row r of different tables should not always land on the same shard,
  // or one shard would own every table's hot rows.
  int same = 0;
  for (uint64_t row = 0; row < 1000; ++row) same += ShardOf(0, row, 8) == ShardOf(1, row, 8);
  EXPECT_LT(same, 250);  // ~125 expected by chance
}

}  // namespace
}  // namespace gaia::common
