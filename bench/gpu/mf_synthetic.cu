#include "bench/gpu/mf_synthetic.h"

#include <cmath>

namespace gaia::bench {
namespace {

constexpr unsigned kThreads = 256;
constexpr unsigned kMaxBlocks = 8192;

__host__ __device__ inline uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

__device__ inline float Uniform(uint64_t key) {
  return static_cast<float>(Mix(key) >> 40) * (1.0f / 16777216.0f);  // [0, 1)
}

// Approximately N(0, 1): four uniforms, centred, scaled to unit variance.
__device__ inline float Normal(uint64_t key) {
  const float sum = Uniform(key) + Uniform(key ^ 0x1111) + Uniform(key ^ 0x2222) +
                    Uniform(key ^ 0x3333);
  return (sum - 2.0f) * 1.7320508f;
}

__global__ void Ratings(SyntheticShape shape, uint32_t* user, uint32_t* item, float* value) {
  const float scale = rsqrtf(sqrtf(static_cast<float>(shape.planted_rank)));
  for (uint64_t i = uint64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < shape.ratings;
       i += uint64_t{gridDim.x} * blockDim.x) {
    const uint64_t key = Mix(shape.seed ^ (i * 0x5851F42D4C957F2Dull));
    const uint32_t u = static_cast<uint32_t>(Mix(key) % shape.users);
    const float x = Uniform(key ^ 0xABCDEF);
    uint32_t it = static_cast<uint32_t>(x * x * static_cast<float>(shape.items));
    if (it >= shape.items) it = shape.items - 1;
    float dot = 0;
    for (uint32_t c = 0; c < shape.planted_rank; ++c) {
      const float p = Normal(Mix(shape.seed + 1) ^ (uint64_t{u} << 8 | c)) * scale;
      const float q = Normal(Mix(shape.seed + 2) ^ (uint64_t{it} << 8 | c)) * scale;
      dot += p * q;
    }
    user[i] = u;
    item[i] = it;
    value[i] = dot + shape.noise * Normal(key ^ 0x777);
  }
}

__global__ void Rows(float* rows, size_t n, float stddev, uint64_t seed) {
  for (size_t i = size_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n;
       i += size_t{gridDim.x} * blockDim.x) {
    rows[i] = stddev * Normal(Mix(seed) ^ i);
  }
}

unsigned Blocks(uint64_t n) {
  const uint64_t b = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b < kMaxBlocks ? (b > 0 ? b : 1) : kMaxBlocks);
}

}  // namespace

gaia::gpu::CudaResult LaunchSyntheticRatings(const SyntheticShape& shape, uint32_t* user,
                                             uint32_t* item, float* value,
                                             cudaStream_t stream) {
  Ratings<<<Blocks(shape.ratings), kThreads, 0, stream>>>(shape, user, item, value);
  return GAIA_CUDA_CALL(cudaGetLastError());
}

gaia::gpu::CudaResult LaunchRandomRows(float* rows, size_t n, float stddev, uint64_t seed,
                                       cudaStream_t stream) {
  Rows<<<Blocks(n), kThreads, 0, stream>>>(rows, n, stddev, seed);
  return GAIA_CUDA_CALL(cudaGetLastError());
}

}  // namespace gaia::bench
