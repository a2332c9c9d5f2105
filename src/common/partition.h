// Stable row -> shard partitioning, identical in every DC and every process
// (DESIGN.md §2: shard k of DC a mirrors shard k of every other DC).
#ifndef GAIA_SRC_COMMON_PARTITION_H_
#define GAIA_SRC_COMMON_PARTITION_H_

#include <cstdint>

namespace gaia::common {

// splitmix64 finalizer: a fixed bijection on uint64 with good avalanche.
constexpr uint64_t Mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// The shard (in [0, num_shards)) that owns `row` of table `table_id`.
// REQUIRES: num_shards > 0. Never changes for a given input: persisted
// checkpoints and every DC depend on it.
constexpr uint32_t ShardOf(uint32_t table_id, uint64_t row, uint32_t num_shards) {
  return static_cast<uint32_t>(
      Mix64(row ^ (static_cast<uint64_t>(table_id) << 56) ^ Mix64(table_id)) %
      num_shards);
}

}  // namespace gaia::common

#endif  // GAIA_SRC_COMMON_PARTITION_H_
