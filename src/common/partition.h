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

// x % divisor for a divisor fixed in advance, exactly, by multiplications
// instead of a division (a 64-bit divide costs tens of cycles; a worker
// partitions every row it pushes). The method: D. Lemire, O. Kaser and
// N. Kurz, "Faster remainder by direct computation", 2019, with 128-bit
// fractions for 64-bit x.
class Modulus {
 public:
  // REQUIRES: divisor > 0.
  constexpr explicit Modulus(uint32_t divisor)
      : divisor_(divisor),
        // ceil(2^128 / divisor); wraps to 0 for divisor 1, where Of() is 0 anyway.
        fraction_(~static_cast<unsigned __int128>(0) / divisor + 1) {}

  constexpr uint32_t divisor() const { return divisor_; }

  constexpr uint32_t Of(uint64_t x) const {
    // The fractional part of x / divisor, times divisor: (low * divisor) >> 128.
    const unsigned __int128 low = fraction_ * x;
    const uint64_t low_lo = static_cast<uint64_t>(low);
    const uint64_t low_hi = static_cast<uint64_t>(low >> 64);
    const unsigned __int128 product =
        static_cast<unsigned __int128>(low_hi) * divisor_ +
        ((static_cast<unsigned __int128>(low_lo) * divisor_) >> 64);
    return static_cast<uint32_t>(product >> 64);
  }

 private:
  uint32_t divisor_;
  unsigned __int128 fraction_;
};

// ShardOf(table_id, row, shards.divisor()), without a division.
constexpr uint32_t ShardOf(uint32_t table_id, uint64_t row, const Modulus& shards) {
  return shards.Of(Mix64(row ^ (static_cast<uint64_t>(table_id) << 56) ^ Mix64(table_id)));
}

}  // namespace gaia::common

#endif  // GAIA_SRC_COMMON_PARTITION_H_
