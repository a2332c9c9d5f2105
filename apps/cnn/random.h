// A small seeded generator whose stream is the same on every platform and
// standard library (std::normal_distribution is implementation-defined), so a
// seed names one initialization everywhere.
//
//   Random rng(seed);
//   double z = rng.Normal();     // N(0, 1)
#ifndef GAIA_APPS_CNN_RANDOM_H_
#define GAIA_APPS_CNN_RANDOM_H_

#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "apps/cnn/model_zoo.h"

namespace gaia::cnn {

// SplitMix64 (Steele et al. 2014) with Box-Muller normals.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in (0, 1): never 0, so its log is finite.
  double Uniform() { return (static_cast<double>(Next() >> 11) + 0.5) * 0x1.0p-53; }

  double Normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double r = std::sqrt(-2.0 * std::log(Uniform()));
    const double theta = 2.0 * std::numbers::pi * Uniform();
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
  }

 private:
  uint64_t state_;
  double spare_ = 0;
  bool has_spare_ = false;
};

// A batch of n images of standard-normal pixels with uniform labels, shaped
// for `spec` (checks and benchmarks of the model, CPU and GPU alike).
struct RandomImages {
  std::vector<float> images;   // n * C * H * W
  std::vector<int32_t> labels; // n, in [0, spec.classes)
};

inline RandomImages RandomBatch(const ModelSpec& spec, int n, uint64_t seed) {
  Random rng(seed);
  RandomImages b;
  b.images.resize(static_cast<size_t>(n) * spec.in_channels * spec.in_height * spec.in_width);
  for (float& x : b.images) x = static_cast<float>(rng.Normal());
  for (int i = 0; i < n; ++i) b.labels.push_back(static_cast<int32_t>(rng.Next() % spec.classes));
  return b;
}

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_RANDOM_H_
