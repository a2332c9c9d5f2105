// A tiny seeded random stream whose output is fixed by its seed on every
// platform and standard library (std::normal_distribution is not), so data
// and initial factors are the same in every process of a job.
#ifndef GAIA_APPS_MF_RANDOM_H_
#define GAIA_APPS_MF_RANDOM_H_

#include <cmath>
#include <cstdint>

#include "apps/mf/rating.h"

namespace gaia::mf {

// A stream seeded by a combination of values (e.g. (seed, user)).
// Not thread-safe; cheap to create one per entity.
class RandomStream {
 public:
  explicit RandomStream(uint64_t seed) : state_(MixBits(seed)) {}
  RandomStream(uint64_t seed, uint64_t salt, uint64_t id)
      : state_(MixBits(MixBits(seed ^ MixBits(salt)) ^ id)) {}

  uint64_t NextU64() {
    state_ += 0x9E3779B97F4A7C15ull;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }

  // Uniform integer in [0, n). REQUIRES n > 0.
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>(Uniform() * static_cast<double>(n)) % n;
  }

  // Standard normal (Box-Muller; one value per call).
  double Normal() {
    const double u1 = 1.0 - Uniform();  // (0, 1]: log() is finite
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  uint64_t state_;
};

}  // namespace gaia::mf

#endif  // GAIA_APPS_MF_RANDOM_H_
