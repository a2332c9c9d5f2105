// Device code of sgd_kernels.h. The per-component step is SgdStep
// (apps/mf/sgd_update.h), the same function the CPU pass uses.
#include <cuda_fp16.h>

#include "apps/mf/cuda/sgd_kernels.h"
#include "apps/mf/sgd_update.h"

namespace gaia::mf::cuda {
namespace {

constexpr uint32_t kWarp = 32;
constexpr unsigned kFullMask = 0xFFFFFFFFu;
// Register chunks per lane on the vector path: 4 x 128 components = rank 512.
constexpr uint32_t kMaxChunks = 4;
constexpr uint32_t kVectorMaxRank = kMaxChunks * 4 * kWarp;

__device__ __forceinline__ float WarpSum(float x) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) x += __shfl_xor_sync(kFullMask, x, offset);
  return x;
}

// Four consecutive components of a row as floats, whatever their storage.
__device__ __forceinline__ float4 Load4(const float* row, uint32_t chunk) {
  return reinterpret_cast<const float4*>(row)[chunk];
}
__device__ __forceinline__ float4 Load4(const __half* row, uint32_t chunk) {
  const uint2 raw = reinterpret_cast<const uint2*>(row)[chunk];
  const float2 lo = __half22float2(*reinterpret_cast<const __half2*>(&raw.x));
  const float2 hi = __half22float2(*reinterpret_cast<const __half2*>(&raw.y));
  return make_float4(lo.x, lo.y, hi.x, hi.y);
}
__device__ __forceinline__ void Store4(float* row, uint32_t chunk, float4 v) {
  reinterpret_cast<float4*>(row)[chunk] = v;
}
__device__ __forceinline__ void Store4(__half* row, uint32_t chunk, float4 v) {
  const __half2 lo = __floats2half2_rn(v.x, v.y);
  const __half2 hi = __floats2half2_rn(v.z, v.w);
  uint2 raw;
  raw.x = *reinterpret_cast<const uint32_t*>(&lo);
  raw.y = *reinterpret_cast<const uint32_t*>(&hi);
  reinterpret_cast<uint2*>(row)[chunk] = raw;
}
__device__ __forceinline__ float LoadOne(const float* row, uint32_t c) { return row[c]; }
__device__ __forceinline__ float LoadOne(const __half* row, uint32_t c) {
  return __half2float(row[c]);
}
__device__ __forceinline__ void StoreOne(float* row, uint32_t c, float v) { row[c] = v; }
__device__ __forceinline__ void StoreOne(__half* row, uint32_t c, float v) {
  row[c] = __float2half_rn(v);
}

__device__ __forceinline__ float Dot4(float4 a, float4 b) {
  return a.x * b.x + a.y * b.y + a.z * b.z + a.w * b.w;
}

// Rating arrays are read-only for the whole kernel, so they go through the
// read-only cache (__ldg); factor rows are written by other warps and must not.
struct Visit {
  uint32_t user, item;
  float value;
};
__device__ __forceinline__ Visit LoadRating(const RatingArrays& ratings, uint64_t idx) {
  return Visit{__ldg(ratings.user + idx), __ldg(ratings.item + idx), __ldg(ratings.value + idx)};
}

// Rank % 4 == 0 and rank <= 128 * kChunks: rows held in registers, kChunks
// float4 per lane (a template parameter so a rank-128 pass keeps 8 floats of
// rows per thread, not 32, and the SM stays full of warps). The next visit's
// rating is loaded before this one's rows are used, so its latency overlaps
// the row traffic.
template <typename LT, uint32_t kChunks>
__global__ void SgdPassVector(RatingArrays ratings, LT* l, float* r, uint32_t rank,
                              PassParams p) {
  const uint32_t lane = threadIdx.x % kWarp;
  const uint64_t first = (uint64_t{blockIdx.x} * blockDim.x + threadIdx.x) / kWarp;
  const uint64_t stride = uint64_t{gridDim.x} * blockDim.x / kWarp;
  const uint32_t chunks = rank / 4;
  VisitCursor cursor(p.order, ratings.count, first, stride);
  Visit next = first < p.visits ? LoadRating(ratings, cursor.index()) : Visit{0, 0, 0.0f};
  for (uint64_t n = first; n < p.visits; n += stride) {
    const Visit v = next;
    cursor.Next();
    if (n + stride < p.visits) next = LoadRating(ratings, cursor.index());
    LT* lu = l + size_t{v.user} * rank;
    float* ri = r + size_t{v.item} * rank;
    float4 lv[kChunks], rv[kChunks];
    float dot = 0, norm_l = 0;
#pragma unroll
    for (uint32_t j = 0; j < kChunks; ++j) {
      const uint32_t chunk = lane + j * kWarp;
      if (chunk < chunks) {
        lv[j] = Load4(lu, chunk);
        rv[j] = Load4(ri, chunk);
        dot += Dot4(lv[j], rv[j]);
        norm_l += Dot4(lv[j], lv[j]);
      }
    }
    dot = WarpSum(dot);
    const float error = RatingError(v.value, dot);
    if (p.curvature != nullptr) {
      norm_l = WarpSum(norm_l);
      if (lane == 0) atomicAdd(p.curvature + v.item, norm_l);
    }
#pragma unroll
    for (uint32_t j = 0; j < kChunks; ++j) {
      const uint32_t chunk = lane + j * kWarp;
      if (chunk < chunks) {
        const FactorPair x = SgdStep(lv[j].x, rv[j].x, error, p.step, p.lambda);
        const FactorPair y = SgdStep(lv[j].y, rv[j].y, error, p.step, p.lambda);
        const FactorPair z = SgdStep(lv[j].z, rv[j].z, error, p.step, p.lambda);
        const FactorPair w = SgdStep(lv[j].w, rv[j].w, error, p.step, p.lambda);
        Store4(lu, chunk, make_float4(x.l, y.l, z.l, w.l));
        Store4(ri, chunk, make_float4(x.r, y.r, z.r, w.r));
      }
    }
  }
}

// Any rank: lane-strided components, read twice (dot, then step) instead of
// held in registers.
template <typename LT>
__global__ void SgdPassScalar(RatingArrays ratings, LT* l, float* r, uint32_t rank,
                              PassParams p) {
  const uint32_t lane = threadIdx.x % kWarp;
  const uint64_t first = (uint64_t{blockIdx.x} * blockDim.x + threadIdx.x) / kWarp;
  const uint64_t stride = uint64_t{gridDim.x} * blockDim.x / kWarp;
  VisitCursor cursor(p.order, ratings.count, first, stride);
  for (uint64_t n = first; n < p.visits; n += stride, cursor.Next()) {
    const Visit v = LoadRating(ratings, cursor.index());
    LT* lu = l + size_t{v.user} * rank;
    float* ri = r + size_t{v.item} * rank;
    float dot = 0, norm_l = 0;
    for (uint32_t c = lane; c < rank; c += kWarp) {
      const float lc = LoadOne(lu, c);
      dot += lc * ri[c];
      norm_l += lc * lc;
    }
    dot = WarpSum(dot);
    const float error = RatingError(v.value, dot);
    if (p.curvature != nullptr) {
      norm_l = WarpSum(norm_l);
      if (lane == 0) atomicAdd(p.curvature + v.item, norm_l);
    }
    for (uint32_t c = lane; c < rank; c += kWarp) {
      const FactorPair next = SgdStep(LoadOne(lu, c), ri[c], error, p.step, p.lambda);
      StoreOne(lu, c, next.l);
      ri[c] = next.r;
    }
  }
}

// Each warp sums its ratings' terms in registers, then one atomic per warp.
template <typename LT>
__global__ void Objective(RatingArrays ratings, const LT* l, const float* r, uint32_t rank,
                          float lambda, double* sums) {
  const uint32_t lane = threadIdx.x % kWarp;
  const uint64_t first = (uint64_t{blockIdx.x} * blockDim.x + threadIdx.x) / kWarp;
  const uint64_t stride = uint64_t{gridDim.x} * blockDim.x / kWarp;
  double squared_error = 0, regularization = 0;
  for (uint64_t idx = first; idx < ratings.count; idx += stride) {
    const uint32_t user = __ldg(ratings.user + idx);
    const uint32_t item = __ldg(ratings.item + idx);
    const LT* lu = l + size_t{user} * rank;
    const float* ri = r + size_t{item} * rank;
    float dot = 0, norm_l = 0, norm_r = 0;
    for (uint32_t c = lane; c < rank; c += kWarp) {
      const float lc = LoadOne(lu, c);
      const float rc = ri[c];
      dot += lc * rc;
      norm_l += lc * lc;
      norm_r += rc * rc;
    }
    dot = WarpSum(dot);
    norm_l = WarpSum(norm_l);
    norm_r = WarpSum(norm_r);
    const double error = static_cast<double>(__ldg(ratings.value + idx)) - dot;
    squared_error += error * error;
    regularization += static_cast<double>(lambda) * (norm_l + norm_r);
  }
  if (lane == 0) {
    atomicAdd(sums, squared_error);
    atomicAdd(sums + 1, regularization);
  }
}

__global__ void Difference(const float* after, const float* before, float* delta, size_t n) {
  for (size_t i = size_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n;
       i += size_t{gridDim.x} * blockDim.x) {
    delta[i] = after[i] - before[i];
  }
}

__global__ void ToHalf(const float* in, __half* out, size_t n) {
  for (size_t i = size_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n;
       i += size_t{gridDim.x} * blockDim.x) {
    out[i] = __float2half_rn(in[i]);
  }
}

__global__ void FromHalf(const __half* in, float* out, size_t n) {
  for (size_t i = size_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n;
       i += size_t{gridDim.x} * blockDim.x) {
    out[i] = __half2float(in[i]);
  }
}

// Blocks for an elementwise kernel over n elements (grid-stride beyond).
unsigned ElementwiseBlocks(size_t n) {
  const size_t blocks = (n + kThreadsPerBlock - 1) / kThreadsPerBlock;
  return static_cast<unsigned>(blocks < 4096 ? (blocks > 0 ? blocks : 1) : 4096);
}

gaia::gpu::CudaResult LastLaunch(const char* kernel) {
  return gaia::gpu::CheckCuda(cudaGetLastError(), kernel, __FILE__, __LINE__);
}

// Blocks that are all resident at once. The warps loop over the work
// (grid-stride), so a block that had to wait for a free slot would run its
// whole share after the others finished, doubling the pass time.
template <typename Kernel>
int ResidentBlocks(Kernel kernel, int multiprocessors) {
  int per_multiprocessor = 0;
  if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_multiprocessor, kernel,
                                                    kThreadsPerBlock, 0) != cudaSuccess ||
      per_multiprocessor < 1) {
    (void)cudaGetLastError();  // the launch itself will report a real problem
    per_multiprocessor = 1;
  }
  return (multiprocessors > 0 ? multiprocessors : 1) * per_multiprocessor;
}

template <typename Kernel, typename... Args>
void LaunchResident(Kernel kernel, int multiprocessors, cudaStream_t stream, Args... args) {
  kernel<<<ResidentBlocks(kernel, multiprocessors), kThreadsPerBlock, 0, stream>>>(args...);
}

template <typename LT>
void QueuePass(const RatingArrays& ratings, LT* l, const FactorArrays& factors,
               const PassParams& params, int multiprocessors, cudaStream_t stream) {
  const uint32_t chunks_per_lane = (factors.rank / 4 + kWarp - 1) / kWarp;
  const bool vector = factors.rank % 4 == 0 && factors.rank <= kVectorMaxRank;
  const int sms = multiprocessors;
  if (vector && chunks_per_lane == 1) {
    LaunchResident(SgdPassVector<LT, 1>, sms, stream, ratings, l, factors.r, factors.rank,
                   params);
  } else if (vector && chunks_per_lane == 2) {
    LaunchResident(SgdPassVector<LT, 2>, sms, stream, ratings, l, factors.r, factors.rank,
                   params);
  } else if (vector) {
    LaunchResident(SgdPassVector<LT, kMaxChunks>, sms, stream, ratings, l, factors.r,
                   factors.rank, params);
  } else {
    LaunchResident(SgdPassScalar<LT>, sms, stream, ratings, l, factors.r, factors.rank,
                   params);
  }
}

}  // namespace

gaia::gpu::CudaResult LaunchSgdPass(const RatingArrays& ratings, const FactorArrays& factors,
                                    const PassParams& params, int multiprocessors,
                                    cudaStream_t stream) {
  if (params.visits == 0) return gaia::gpu::CudaResult();
  if (factors.l_storage == FactorStorage::kFloat16) {
    QueuePass(ratings, static_cast<__half*>(factors.l), factors, params, multiprocessors,
              stream);
  } else {
    QueuePass(ratings, static_cast<float*>(factors.l), factors, params, multiprocessors,
              stream);
  }
  return LastLaunch("SgdPass<<<>>>");
}

gaia::gpu::CudaResult LaunchObjective(const RatingArrays& ratings, const FactorArrays& factors,
                                      float lambda, double* sums, int multiprocessors,
                                      cudaStream_t stream) {
  GAIA_CUDA_RETURN_IF_FAILED(GAIA_CUDA_CALL(cudaMemsetAsync(sums, 0, 2 * sizeof(double), stream)));
  if (ratings.count == 0) return gaia::gpu::CudaResult();
  if (factors.l_storage == FactorStorage::kFloat16) {
    LaunchResident(Objective<__half>, multiprocessors, stream, ratings,
                   static_cast<const __half*>(factors.l), static_cast<const float*>(factors.r),
                   factors.rank, lambda, sums);
  } else {
    LaunchResident(Objective<float>, multiprocessors, stream, ratings,
                   static_cast<const float*>(factors.l), static_cast<const float*>(factors.r),
                   factors.rank, lambda, sums);
  }
  return LastLaunch("Objective<<<>>>");
}

gaia::gpu::CudaResult LaunchDifference(const float* after, const float* before, float* delta,
                                       size_t n, cudaStream_t stream) {
  if (n == 0) return gaia::gpu::CudaResult();
  Difference<<<ElementwiseBlocks(n), kThreadsPerBlock, 0, stream>>>(after, before, delta, n);
  return LastLaunch("Difference<<<>>>");
}

gaia::gpu::CudaResult LaunchToHalf(const float* in, void* out_half, size_t n,
                                   cudaStream_t stream) {
  if (n == 0) return gaia::gpu::CudaResult();
  ToHalf<<<ElementwiseBlocks(n), kThreadsPerBlock, 0, stream>>>(in, static_cast<__half*>(out_half),
                                                                n);
  return LastLaunch("ToHalf<<<>>>");
}

gaia::gpu::CudaResult LaunchFromHalf(const void* in_half, float* out, size_t n,
                                     cudaStream_t stream) {
  if (n == 0) return gaia::gpu::CudaResult();
  FromHalf<<<ElementwiseBlocks(n), kThreadsPerBlock, 0, stream>>>(
      static_cast<const __half*>(in_half), out, n);
  return LastLaunch("FromHalf<<<>>>");
}

}  // namespace gaia::mf::cuda
