// Vectorized reductions over one plane for the normalization layers.
// Internal to apps/cnn/layers.
#ifndef GAIA_APPS_CNN_LAYERS_NORM_COMMON_H_
#define GAIA_APPS_CNN_LAYERS_NORM_COMMON_H_

#include <cstddef>

#include "apps/cnn/layers/eigen_util.h"

namespace gaia::cnn::internal {

inline double Sum(const float* x, size_t n) {
  return ConstVectorMap(x, static_cast<Eigen::Index>(n)).sum();
}

// sum (x - mean)^2
inline double SumSquaredDeviation(const float* x, size_t n, float mean) {
  return (ConstVectorMap(x, static_cast<Eigen::Index>(n)).array() - mean).square().sum();
}

inline double Dot(const float* a, const float* b, size_t n) {
  return ConstVectorMap(a, static_cast<Eigen::Index>(n))
      .dot(ConstVectorMap(b, static_cast<Eigen::Index>(n)));
}

// y = x * scale + shift
inline void Affine(const float* x, size_t n, float scale, float shift, float* y) {
  Eigen::Map<Eigen::ArrayXf>(y, static_cast<Eigen::Index>(n)) =
      Eigen::Map<const Eigen::ArrayXf>(x, static_cast<Eigen::Index>(n)) * scale + shift;
}

// dx = dy * a + x * b + c
inline void Combine(const float* dy, const float* x, size_t n, float a, float b, float c,
                    float* dx) {
  const Eigen::Index m = static_cast<Eigen::Index>(n);
  Eigen::Map<Eigen::ArrayXf>(dx, m) = Eigen::Map<const Eigen::ArrayXf>(dy, m) * a +
                                      Eigen::Map<const Eigen::ArrayXf>(x, m) * b + c;
}

}  // namespace gaia::cnn::internal

#endif  // GAIA_APPS_CNN_LAYERS_NORM_COMMON_H_
