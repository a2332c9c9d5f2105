// Netflix-shaped synthetic ratings and random factor rows, generated on the
// device (100M ratings would take the host longer than the benchmark itself).
// CUDA runtime + std only. Ratings come from a planted low-rank model, so the
// train RMSE the benchmark prints falls as SGD learns: value = p_u·q_i + noise
// with p, q ~ N(0, 1/sqrt(planted_rank)) per component, the noise
// N(0, noise^2); items are skewed (density ∝ 1/sqrt(item)) like real
// catalogues, users uniform.
#ifndef GAIA_BENCH_GPU_MF_SYNTHETIC_H_
#define GAIA_BENCH_GPU_MF_SYNTHETIC_H_

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "apps/common/gpu/cuda_result.h"

namespace gaia::bench {

struct SyntheticShape {
  uint32_t users = 480189;  // Netflix prize
  uint32_t items = 17770;
  uint64_t ratings = 100000000;
  uint32_t planted_rank = 8;
  float noise = 0.3f;
  uint64_t seed = 1;
};

// Fills the ratings' struct of arrays (each shape.ratings long).
gaia::gpu::CudaResult LaunchSyntheticRatings(const SyntheticShape& shape, uint32_t* user,
                                             uint32_t* item, float* value,
                                             cudaStream_t stream);

// n values ~ N(0, stddev^2) (a sum of four uniforms), seeded.
gaia::gpu::CudaResult LaunchRandomRows(float* rows, size_t n, float stddev, uint64_t seed,
                                       cudaStream_t stream);

}  // namespace gaia::bench

#endif  // GAIA_BENCH_GPU_MF_SYNTHETIC_H_
