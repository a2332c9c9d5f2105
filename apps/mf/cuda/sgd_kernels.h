// The MF SGD kernels (batch-Hogwild, in the style of cuMF_SGD) and their
// launchers. CUDA runtime + std only (no absl), so bench/gpu builds them on a
// machine with only CUDA and CMake; the app wraps them in device_sgd.h.
//
// Layout: ratings as a struct of arrays (user, item, value), factor rows of
// `rank` elements, row-major: L (users x rank, fp32 or fp16), R (items x rank,
// fp32). One warp per rating: with rank a multiple of 4 and at most 512,
// each lane holds 4 consecutive components per 128-component chunk in
// registers (a float4, or two half2), so a rank-128 row is one coalesced
// 512-byte (fp32) or 256-byte (fp16) access per warp; other ranks use a
// strided scalar loop. Warps update l_u and r_i in place without locks: two
// warps on the same row race and one write wins per component (Hogwild; rare
// for users, absorbed by SGD for popular items).
//
//   RatingArrays ratings{user, item, value, n};
//   FactorArrays factors{l, FactorStorage::kFloat32, r, rank};
//   PassParams p; p.visits = n; p.order = ChooseVisitOrder(n, seed, clock); p.step = eta; ...
//   CudaResult e = LaunchSgdPass(ratings, factors, p, info.multiprocessors, stream);
//
// The pass and the objective launch as many blocks of kThreadsPerBlock as
// can be resident on `multiprocessors` SMs at once (from the occupancy of the
// kernel chosen), and their warps stride over the ratings. Every launcher
// only queues work on `stream`; errors of the work itself show
// up at the next synchronization.
#ifndef GAIA_APPS_MF_CUDA_SGD_KERNELS_H_
#define GAIA_APPS_MF_CUDA_SGD_KERNELS_H_

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "apps/mf/cuda/visit_order.h"
#include "apps/common/gpu/cuda_result.h"

namespace gaia::mf::cuda {

// How L is stored on the device. fp16 halves the bytes streamed per rating
// for the user factors (the matrix too large to stay in L2); the arithmetic
// is fp32 either way, and R stays fp32 because its per-clock change is pushed
// to the parameter server and fp16 rounding would swamp small deltas.
enum class FactorStorage { kFloat32, kFloat16 };

struct RatingArrays {
  const uint32_t* user = nullptr;  // row of L
  const uint32_t* item = nullptr;  // row of R
  const float* value = nullptr;
  uint64_t count = 0;  // < 2^32 (visit_order.h)
};

struct FactorArrays {
  void* l = nullptr;  // float* or __half* by l_storage
  FactorStorage l_storage = FactorStorage::kFloat32;
  float* r = nullptr;
  uint32_t rank = 0;
};

struct PassParams {
  uint64_t visits = 0;  // ratings visited: a prefix of the order, <= count
  VisitOrder order;  // visit_order.h
  float step = 0;    // eta of the clock
  float lambda = 0;  // L2 weight per rating
  // If set (one float per R row, zeroed by the caller), each visit adds
  // |l_u|^2 (before its step) to its item's slot: StepRule::kDamped's input.
  float* curvature = nullptr;
};

// One SGD pass: visits params.visits ratings in params.order, updating L and R
// in place. REQUIRES: ratings.count > 0 when visits > 0; rank in [1, 4096].
gaia::gpu::CudaResult LaunchSgdPass(const RatingArrays& ratings, const FactorArrays& factors,
                                    const PassParams& params, int multiprocessors,
                                    cudaStream_t stream);

// The objective's two parts over all ratings for the current L and R, summed
// in double into sums[0] (sum of squared errors) and sums[1] (sum of
// lambda (|l_u|^2 + |r_i|^2)); `sums` is device memory the launcher zeroes.
gaia::gpu::CudaResult LaunchObjective(const RatingArrays& ratings, const FactorArrays& factors,
                                      float lambda, double* sums, int multiprocessors,
                                      cudaStream_t stream);

// delta[j] = after[j] - before[j] for j < n.
gaia::gpu::CudaResult LaunchDifference(const float* after, const float* before, float* delta,
                                       size_t n, cudaStream_t stream);

// Converts n floats to fp16 (round to nearest) and back, for L in fp16.
gaia::gpu::CudaResult LaunchToHalf(const float* in, void* out_half, size_t n,
                                   cudaStream_t stream);
gaia::gpu::CudaResult LaunchFromHalf(const void* in_half, float* out, size_t n,
                                     cudaStream_t stream);

}  // namespace gaia::mf::cuda

#endif  // GAIA_APPS_MF_CUDA_SGD_KERNELS_H_
