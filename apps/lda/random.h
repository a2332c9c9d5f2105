// A small, fast, seeded random stream for the samplers' inner loops: one
// 64x64->128 multiply per 64 random bits (the "wyrand" construction, Wang Yi
// 2019), good enough for Monte Carlo and several times cheaper than
// std::mt19937_64. The output is fixed by the seed on every platform.
//
//   FastRandom rng(seed, thread_id);
//   uint32_t k = rng.Below(topics);   // uniform in [0, topics)
//   if (rng.Uniform() < accept) ...   // uniform in [0, 1)
//
// Not thread-safe: one stream per thread.
#ifndef GAIA_APPS_LDA_RANDOM_H_
#define GAIA_APPS_LDA_RANDOM_H_

#include <cstdint>

namespace gaia::lda {

class FastRandom {
 public:
  explicit FastRandom(uint64_t seed, uint64_t stream = 0)
      : state_(Mix(Mix(seed) ^ Mix(stream + 0x5EED))) {}

  uint64_t NextU64() {
    state_ += 0xA0761D6478BD642Full;
    const unsigned __int128 m =
        static_cast<unsigned __int128>(state_) * (state_ ^ 0xE7037ED1A0B428DBull);
    return static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
  }

  // Uniform in [0, 1), 53 random bits.
  double Uniform() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }

  // Uniform integer in [0, n), by Lemire's multiply-shift (bias below
  // n / 2^32, far under any Monte Carlo error here). REQUIRES: 0 < n < 2^32.
  uint32_t Below(uint32_t n) {
    return static_cast<uint32_t>(((NextU64() >> 32) * static_cast<uint64_t>(n)) >> 32);
  }

 private:
  static uint64_t Mix(uint64_t z) {  // splitmix64's finalizer
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  uint64_t state_;
};

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_RANDOM_H_
