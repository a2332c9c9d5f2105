// The SGD step for one rating, shared by the CPU pass (LocalSgd) and the GPU
// kernel (apps/mf/cuda/sgd_kernels.cu), so both apply the same math:
// with e = x - l_u·r_i,
//   l_u += eta (e r_i - lambda l_u);   r_i += eta (e l_u - lambda r_i)
// both from the values before the step. No dependencies: nvcc compiles it for
// the device, the host compiler for the CPU and the tests.
#ifndef GAIA_APPS_MF_SGD_UPDATE_H_
#define GAIA_APPS_MF_SGD_UPDATE_H_

#include <cstdint>

#if defined(__CUDACC__)
#define GAIA_MF_HOST_DEVICE __host__ __device__
#else
#define GAIA_MF_HOST_DEVICE
#endif

namespace gaia::mf {

// One component c of l_u and r_i after the step, from their values before.
struct FactorPair {
  float l;
  float r;
};
GAIA_MF_HOST_DEVICE inline FactorPair SgdStep(float l, float r, float error, float step,
                                              float lambda) {
  return FactorPair{l + step * (error * r - lambda * l), r + step * (error * l - lambda * r)};
}

// e = x - dot, where dot = l_u·r_i however the caller summed it (sequentially
// on the CPU, a warp reduction on the GPU).
GAIA_MF_HOST_DEVICE inline float RatingError(float value, float dot) { return value - dot; }

// The whole step on rows of `rank` floats, summing the dot product in
// component order. Returns e (from the rows before the step).
GAIA_MF_HOST_DEVICE inline float SgdUpdateRows(float* lu, float* ri, uint32_t rank, float value,
                                               float step, float lambda) {
  float dot = 0;
  for (uint32_t c = 0; c < rank; ++c) dot += lu[c] * ri[c];
  const float error = RatingError(value, dot);
  for (uint32_t c = 0; c < rank; ++c) {
    const FactorPair next = SgdStep(lu[c], ri[c], error, step, lambda);
    lu[c] = next.l;
    ri[c] = next.r;
  }
  return error;
}

}  // namespace gaia::mf

#endif  // GAIA_APPS_MF_SGD_UPDATE_H_
