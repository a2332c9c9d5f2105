// Seeded random streams for the corpora (splits and the synthetic corpus):
// output fixed by the seed on every platform and standard library (the
// std:: distributions are not), so every process of a job selects and
// generates the same documents.
//
//   DataRandom r(seed, kSomeSalt, doc);   // the stream of document `doc`
//   double u = r.Uniform();
//
// Not thread-safe; cheap to create one per document or topic.
#ifndef GAIA_APPS_LDA_DATA_RANDOM_H_
#define GAIA_APPS_LDA_DATA_RANDOM_H_

#include <cmath>
#include <cstdint>

namespace gaia::lda {

class DataRandom {
 public:
  DataRandom(uint64_t seed, uint64_t salt, uint64_t id)
      : state_(Mix(Mix(seed ^ Mix(salt)) ^ id)) {}

  uint64_t NextU64() {
    state_ += 0x9E3779B97F4A7C15ull;
    return Mix(state_);
  }

  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }

  // Uniform integer in [0, n). REQUIRES n > 0.
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(NextU64()) * n) >> 64);
  }

  // Standard normal (Box-Muller, one value per call).
  double Normal() {
    const double u1 = 1.0 - Uniform();  // (0, 1]: log() is finite
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * Uniform());
  }

  // log of a Gamma(shape, 1) draw, finite even for tiny shapes (where the
  // draw itself underflows to 0). Marsaglia-Tsang; shape < 1 by boosting:
  // G(a) = G(a + 1) * U^(1/a). REQUIRES shape > 0.
  double LogGamma(double shape) {
    double boost = 0;
    if (shape < 1) {
      boost = std::log(1.0 - Uniform()) / shape;
      shape += 1;
    }
    const double d = shape - 1.0 / 3.0;
    const double c = 1.0 / std::sqrt(9.0 * d);
    for (;;) {
      const double x = Normal();
      const double v1 = 1.0 + c * x;
      if (v1 <= 0) continue;
      const double v = v1 * v1 * v1;
      const double u = 1.0 - Uniform();
      if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) {
        return std::log(d * v) + boost;
      }
    }
  }

 private:
  static uint64_t Mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  uint64_t state_;
};

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_DATA_RANDOM_H_
