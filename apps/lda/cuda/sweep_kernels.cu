// The GPU sampler's kernels: one warp per document, one token at a time per
// warp (so a document's counts change between its tokens exactly as in the
// CPU sampler), the warp's 32 lanes sharing the token's work: the doc bucket
// over the document's topics and a 32-way search of the word's CDF.
// See docs/APP_LDA_GPU.md for why this shape.
#include "apps/lda/cuda/sweep_kernels.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

namespace gaia::lda::gpu {
namespace {

constexpr uint32_t kWarp = kSearchWays;  // one chunk per lane
constexpr unsigned kFullMask = 0xFFFFFFFFu;
constexpr size_t kDefaultSharedLimit = 48 * 1024;
constexpr uint32_t kMaxWarpsPerBlock = 8;
constexpr uint32_t kThreadsPerBlock = 256;

__host__ __device__ size_t AlignUp(size_t n) { return (n + 15) / 16 * 16; }

__host__ __device__ size_t ScratchBytes(uint32_t topics) {
  return AlignUp(size_t{topics} * 4) * 2 + AlignUp(size_t{topics} * 2) + AlignUp(topics);
}

// One warp's part of the block's shared memory: a document's topic counts.
struct DocScratch {
  int32_t* count;   // topics: n_dk (the token being sampled left out)
  float* mass;      // list order: cumulative doc-bucket masses
  uint16_t* list;   // the document's topics; one whose count fell to 0 stays listed
  uint8_t* listed;  // topics: 1 while in list
};

__device__ DocScratch WarpScratch(char* shared, uint32_t topics) {
  char* base = shared + (threadIdx.x / kWarp) * ScratchBytes(topics);
  const size_t words4 = AlignUp(size_t{topics} * 4);
  DocScratch s;
  s.count = reinterpret_cast<int32_t*>(base);
  s.mass = reinterpret_cast<float*>(base + words4);
  s.list = reinterpret_cast<uint16_t*>(base + 2 * words4);
  s.listed = reinterpret_cast<uint8_t*>(base + 2 * words4 + AlignUp(size_t{topics} * 2));
  return s;
}

__device__ uint32_t LaneId() { return threadIdx.x % kWarp; }

__device__ void ClearScratch(const DocScratch& s, uint32_t topics, uint32_t lane) {
  for (uint32_t k = lane; k < topics; k += kWarp) {
    s.count[k] = 0;
    s.listed[k] = 0;
  }
  __syncwarp();
}

// Counts document [begin, end)'s topics into s; returns how many it lists.
__device__ uint32_t LoadDoc(const DocScratch& s, const uint16_t* topic, uint64_t begin,
                            uint64_t end, uint32_t lane) {
  uint32_t listed = 0;
  for (uint64_t base = begin; base < end; base += kWarp) {
    const uint64_t i = base + lane;
    bool is_new = false;
    uint32_t t = 0;
    if (i < end) {
      t = topic[i];
      is_new = atomicAdd(&s.count[t], 1) == 0;
    }
    const unsigned mask = __ballot_sync(kFullMask, is_new);
    if (is_new) {
      s.list[listed + __popc(mask & ((1u << lane) - 1))] = static_cast<uint16_t>(t);
      s.listed[t] = 1;
    }
    listed += __popc(mask);
  }
  __syncwarp();
  return listed;
}

// Back to all zeros, touching only the listed topics.
__device__ void ClearDoc(const DocScratch& s, uint32_t listed, uint32_t lane) {
  for (uint32_t j = lane; j < listed; j += kWarp) {
    s.count[s.list[j]] = 0;
    s.listed[s.list[j]] = 0;
  }
  __syncwarp();
}

// Work sharing between warps: the next document, the same in every lane.
__device__ uint32_t NextDoc(unsigned int* next_doc, uint32_t lane) {
  unsigned int d = 0;
  if (lane == 0) d = atomicAdd(next_doc, 1u);
  return __shfl_sync(kFullMask, d, 0);
}

__device__ float WarpInclusiveScan(float v, uint32_t lane) {
  for (uint32_t offset = 1; offset < kWarp; offset <<= 1) {
    const float up = __shfl_up_sync(kFullMask, v, offset);
    if (lane >= offset) v += up;
  }
  return v;
}

template <typename T>
__device__ T WarpSum(T v) {
  for (uint32_t offset = kWarp / 2; offset > 0; offset >>= 1) {
    v += __shfl_down_sync(kFullMask, v, offset);
  }
  return v;
}

// UpperBound (sampling_math.h) by the whole warp, lane c testing chunk c
// (MultiwayUpperBound is the same rounds on the host): K = 1000 takes two
// rounds of one load per lane instead of ten dependent loads.
__device__ uint32_t WarpUpperBound(const float* cdf, uint32_t n, float x, uint32_t lane) {
  SearchRange r{0, n};
  while (r.len > kSearchWays) {
    const unsigned hits =
        __ballot_sync(kFullMask, ChunkExists(r, lane) && cdf[ChunkLast(r, lane)] > x);
    if (hits == 0) return r.lo + r.len - 1;
    r = Chunk(r, __ffs(hits) - 1);
  }
  const unsigned hits = __ballot_sync(kFullMask, lane < r.len && cdf[r.lo + lane] > x);
  return hits == 0 ? r.lo + r.len - 1 : r.lo + __ffs(hits) - 1;
}

// One token's new topic (the same in every lane): the doc bucket's masses
// into s.mass, one uniform point over both buckets, then the bucket's search.
__device__ uint32_t SampleToken(const DocScratch& s, uint32_t listed, uint32_t word,
                                uint32_t own_topic, const DeviceCounts& c, const float* inv_total,
                                const float* cdf_row, const GpuPriors& p, uint64_t bits,
                                uint32_t lane) {
  const int32_t* row = c.word_topic + size_t{word} * c.topics;
  const OwnTopic own = LeaveOwnOut(own_topic, row[own_topic], c.totals[own_topic], p);
  float doc_total = 0;
  for (uint32_t base = 0; base < listed; base += kWarp) {
    const uint32_t j = base + lane;
    float m = 0;
    if (j < listed) {
      const uint32_t k = s.list[j];
      m = DocBucketMass(k, s.count[k], row[k], inv_total[k], own, p);
    }
    const float scan = WarpInclusiveScan(m, lane);
    if (j < listed) s.mass[j] = doc_total + scan;
    doc_total += __shfl_sync(kFullMask, scan, kWarp - 1);
  }
  __syncwarp();
  const float word_total = ShrunkTotal(cdf_row[c.topics - 1], own);
  const float x = UnitFloat(bits) * (doc_total + word_total);
  if (x < doc_total) {
    for (uint32_t base = 0; base < listed; base += kWarp) {
      const uint32_t j = base + lane;
      const unsigned hits = __ballot_sync(kFullMask, j < listed && s.mass[j] > x);
      if (hits != 0) return s.list[base + __ffs(hits) - 1];
    }
    return own.topic;  // x rounded onto the bucket's top end
  }
  const float before = own.topic == 0 ? 0.0f : cdf_row[own.topic - 1];
  const CdfPoint point = ShrunkCdfPoint(x - doc_total, before, own);
  return point.is_own ? own.topic : WarpUpperBound(cdf_row, c.topics, point.x, lane);
}

__global__ void InvTotalKernel(DeviceCounts c, GpuPriors p, float* inv_total) {
  const uint32_t k = blockIdx.x * blockDim.x + threadIdx.x;
  if (k < c.topics) inv_total[k] = InvTotal(c.totals[k], p);
}

// One warp per word: its CDF over topics, 32 topics per step.
__global__ void BuildCdfKernel(DeviceCounts c, const float* inv_total, GpuPriors p, float* cdf) {
  const uint32_t lane = LaneId();
  const uint64_t warps = uint64_t{gridDim.x} * blockDim.x / kWarp;
  for (uint64_t w = (uint64_t{blockIdx.x} * blockDim.x + threadIdx.x) / kWarp; w < c.words;
       w += warps) {
    const int32_t* in = c.word_topic + w * c.topics;
    float* out = cdf + w * c.topics;
    float carry = 0;
    for (uint32_t base = 0; base < c.topics; base += kWarp) {
      const uint32_t k = base + lane;
      const float weight = k < c.topics ? WordBucketWeight(in[k], inv_total[k], p) : 0.0f;
      const float scan = WarpInclusiveScan(weight, lane);
      if (k < c.topics) out[k] = carry + scan;
      carry += __shfl_sync(kFullMask, scan, kWarp - 1);
    }
  }
}

__global__ void SweepKernel(DeviceTokens t, DeviceCounts c, GpuPriors p, SweepBuffers b,
                            uint64_t seed, uint64_t sweep) {
  extern __shared__ __align__(16) char shared[];
  const uint32_t lane = LaneId();
  const DocScratch s = WarpScratch(shared, c.topics);
  ClearScratch(s, c.topics, lane);
  unsigned long long changed = 0;
  for (uint32_t d = NextDoc(b.next_doc, lane); d < t.num_docs; d = NextDoc(b.next_doc, lane)) {
    const uint64_t begin = t.doc_offsets[d], end = t.doc_offsets[d + 1];
    uint32_t listed = LoadDoc(s, t.topic, begin, end, lane);
    for (uint64_t i = begin; i < end; ++i) {
      const uint32_t w = t.word[i];
      const uint32_t from = t.topic[i];
      if (lane == 0) --s.count[from];
      __syncwarp();
      const uint32_t to = SampleToken(s, listed, w, from, c, b.inv_total,
                                      b.cdf + size_t{w} * c.topics, p,
                                      TokenBits(seed, sweep, i), lane);
      const bool add = s.listed[to] == 0;  // every lane reads before lane 0 writes
      __syncwarp();
      if (lane == 0) {
        ++s.count[to];
        if (add) {
          s.listed[to] = 1;
          s.list[listed] = static_cast<uint16_t>(to);
        }
        if (to != from) {
          t.topic[i] = static_cast<uint16_t>(to);
          atomicAdd(&b.delta[size_t{w} * c.topics + from], -1);
          atomicAdd(&b.delta[size_t{w} * c.topics + to], 1);
          ++changed;
        }
      }
      listed += add ? 1 : 0;
      __syncwarp();
    }
    ClearDoc(s, listed, lane);
  }
  if (lane == 0 && changed != 0) atomicAdd(b.changed, changed);
}

// Column sums of a rows x cols matrix into out (added), rows_per_block rows
// per block row.
__global__ void ColumnSumKernel(const int32_t* m, uint32_t rows, uint32_t cols,
                                uint32_t rows_per_block, int32_t* out) {
  const uint32_t col = blockIdx.x * blockDim.x + threadIdx.x;
  if (col >= cols) return;
  const uint64_t r0 = uint64_t{blockIdx.y} * rows_per_block;
  const uint64_t r1 = min(uint64_t{rows}, r0 + rows_per_block);
  int32_t sum = 0;
  for (uint64_t r = r0; r < r1; ++r) sum += m[r * cols + col];
  if (sum != 0) atomicAdd(&out[col], sum);
}

__global__ void AddKernel(int32_t* a, const int32_t* b, size_t n) {
  const size_t stride = size_t{gridDim.x} * blockDim.x;
  for (size_t i = size_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n; i += stride) a[i] += b[i];
}

__global__ void RecountKernel(DeviceTokens t, uint32_t topics, int32_t* word_topic,
                              int32_t* totals) {
  const uint64_t stride = uint64_t{gridDim.x} * blockDim.x;
  for (uint64_t i = uint64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < t.num_tokens;
       i += stride) {
    atomicAdd(&word_topic[size_t{t.word[i]} * topics + t.topic[i]], 1);
    atomicAdd(&totals[t.topic[i]], 1);
  }
}

// sum_w sum_k [lgamma(n_wk + b) - lgamma(b)] over positive counts.
__global__ void WordLogLikelihoodKernel(DeviceCounts c, double beta, double* sum) {
  const size_t n = size_t{c.words} * c.topics;
  const size_t stride = size_t{gridDim.x} * blockDim.x;
  const double lgamma_beta = lgamma(beta);
  double part = 0;
  for (size_t i = size_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n; i += stride) {
    const int32_t v = c.word_topic[i];
    if (v > 0) part += lgamma(v + beta) - lgamma_beta;
  }
  part = WarpSum(part);
  if (LaneId() == 0 && part != 0) atomicAdd(sum, part);
}

// log p(z): one warp per document, as the sweep loads it.
__global__ void DocLogLikelihoodKernel(DeviceTokens t, uint32_t topics, double alpha,
                                       unsigned int* next_doc, double* sum) {
  extern __shared__ __align__(16) char shared[];
  const uint32_t lane = LaneId();
  const DocScratch s = WarpScratch(shared, topics);
  ClearScratch(s, topics, lane);
  const double lgamma_alpha = lgamma(alpha), kalpha = topics * alpha;
  double part = 0;
  for (uint32_t d = NextDoc(next_doc, lane); d < t.num_docs; d = NextDoc(next_doc, lane)) {
    const uint64_t begin = t.doc_offsets[d], end = t.doc_offsets[d + 1];
    const uint32_t listed = LoadDoc(s, t.topic, begin, end, lane);
    for (uint32_t j = lane; j < listed; j += kWarp) {
      part += lgamma(s.count[s.list[j]] + alpha) - lgamma_alpha;
    }
    if (lane == 0) part += lgamma(kalpha) - lgamma(static_cast<double>(end - begin) + kalpha);
    ClearDoc(s, listed, lane);
  }
  part = WarpSum(part);
  if (lane == 0 && part != 0) atomicAdd(sum, part);
}

uint32_t GridFor(size_t n, uint32_t threads, uint32_t max_blocks) {
  return static_cast<uint32_t>(std::clamp<size_t>((n + threads - 1) / threads, 1, max_blocks));
}

}  // namespace

size_t SweepSharedBytesPerWarp(uint32_t topics) { return ScratchBytes(topics); }

cudaError_t ConfigureSweep(uint32_t topics, SweepLaunch* out) {
  int device = 0, optin = 0, sms = 0;
  if (cudaError_t e = cudaGetDevice(&device); e != cudaSuccess) return e;
  if (cudaError_t e = cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin,
                                             device);
      e != cudaSuccess) {
    return e;
  }
  if (cudaError_t e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
      e != cudaSuccess) {
    return e;
  }
  const size_t per_warp = ScratchBytes(topics);
  if (topics == 0 || topics > kMaxGpuTopics || per_warp > static_cast<size_t>(optin)) {
    return cudaErrorInvalidValue;
  }
  const size_t fit = std::max<size_t>(kDefaultSharedLimit, per_warp) / per_warp;
  out->warps_per_block = static_cast<uint32_t>(std::min<size_t>(kMaxWarpsPerBlock, fit));
  out->shared_bytes = out->warps_per_block * per_warp;
  for (const void* kernel : {reinterpret_cast<const void*>(SweepKernel),
                             reinterpret_cast<const void*>(DocLogLikelihoodKernel)}) {
    // Documents live in shared memory: ask for the largest carve-out.
    cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributePreferredSharedMemoryCarveout,
                                         cudaSharedmemCarveoutMaxShared);
    if (e == cudaSuccess && out->shared_bytes > kDefaultSharedLimit) {
      e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               static_cast<int>(out->shared_bytes));
    }
    if (e != cudaSuccess) return e;
  }
  int per_sm = 0;
  if (cudaError_t e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(
          &per_sm, SweepKernel, static_cast<int>(out->warps_per_block * kWarp),
          out->shared_bytes);
      e != cudaSuccess) {
    return e;
  }
  out->blocks = static_cast<uint32_t>(std::max(per_sm, 1) * sms);
  return cudaSuccess;
}

cudaError_t LaunchSweep(const DeviceTokens& tokens, const DeviceCounts& counts,
                        const GpuPriors& priors, const SweepBuffers& b, const SweepLaunch& launch,
                        uint64_t seed, uint64_t sweep, cudaStream_t stream) {
  const size_t cells = size_t{counts.words} * counts.topics;
  cudaError_t e = cudaMemsetAsync(b.delta, 0, cells * sizeof(int32_t), stream);
  if (e == cudaSuccess) {
    e = cudaMemsetAsync(b.totals_delta, 0, counts.topics * sizeof(int32_t), stream);
  }
  if (e == cudaSuccess) e = cudaMemsetAsync(b.changed, 0, sizeof(unsigned long long), stream);
  if (e == cudaSuccess) e = cudaMemsetAsync(b.next_doc, 0, sizeof(unsigned int), stream);
  if (e != cudaSuccess) return e;
  InvTotalKernel<<<GridFor(counts.topics, kThreadsPerBlock, 1u << 16), kThreadsPerBlock, 0,
                   stream>>>(counts, priors, b.inv_total);
  const uint32_t warps_per_block = kThreadsPerBlock / kWarp;
  BuildCdfKernel<<<GridFor(counts.words, warps_per_block, 1u << 16), kThreadsPerBlock, 0,
                   stream>>>(counts, b.inv_total, priors, b.cdf);
  if (tokens.num_docs > 0) {
    SweepKernel<<<launch.blocks, launch.warps_per_block * kWarp, launch.shared_bytes, stream>>>(
        tokens, counts, priors, b, seed, sweep);
  }
  const uint32_t rows_per_block = std::max<uint32_t>(256, counts.words / 65535 + 1);
  const dim3 grid((counts.topics + kThreadsPerBlock - 1) / kThreadsPerBlock,
                  std::max<uint32_t>(1, (counts.words + rows_per_block - 1) / rows_per_block));
  if (counts.words > 0) {
    ColumnSumKernel<<<grid, kThreadsPerBlock, 0, stream>>>(b.delta, counts.words, counts.topics,
                                                          rows_per_block, b.totals_delta);
  }
  return cudaGetLastError();
}

cudaError_t LaunchApplyDelta(int32_t* word_topic, const int32_t* delta, size_t n,
                             int32_t* totals, const int32_t* totals_delta, uint32_t topics,
                             cudaStream_t stream) {
  if (n > 0) {
    AddKernel<<<GridFor(n, kThreadsPerBlock, 4096), kThreadsPerBlock, 0, stream>>>(word_topic,
                                                                                   delta, n);
  }
  AddKernel<<<GridFor(topics, kThreadsPerBlock, 4096), kThreadsPerBlock, 0, stream>>>(
      totals, totals_delta, topics);
  return cudaGetLastError();
}

cudaError_t LaunchRecount(const DeviceTokens& tokens, uint32_t topics, int32_t* word_topic,
                          size_t word_topic_size, int32_t* totals, cudaStream_t stream) {
  cudaError_t e = cudaMemsetAsync(word_topic, 0, word_topic_size * sizeof(int32_t), stream);
  if (e == cudaSuccess) e = cudaMemsetAsync(totals, 0, topics * sizeof(int32_t), stream);
  if (e != cudaSuccess) return e;
  if (tokens.num_tokens > 0) {
    RecountKernel<<<GridFor(tokens.num_tokens, kThreadsPerBlock, 4096), kThreadsPerBlock, 0,
                    stream>>>(tokens, topics, word_topic, totals);
  }
  return cudaGetLastError();
}

cudaError_t LaunchLogLikelihood(const DeviceTokens& tokens, const DeviceCounts& counts,
                                double alpha, double beta, const SweepLaunch& launch,
                                unsigned int* next_doc, double* sum, cudaStream_t stream) {
  const size_t cells = size_t{counts.words} * counts.topics;
  if (cells > 0) {
    WordLogLikelihoodKernel<<<GridFor(cells, kThreadsPerBlock, 4096), kThreadsPerBlock, 0,
                              stream>>>(counts, beta, sum);
  }
  if (cudaError_t e = cudaMemsetAsync(next_doc, 0, sizeof(unsigned int), stream);
      e != cudaSuccess) {
    return e;
  }
  if (tokens.num_docs > 0) {
    DocLogLikelihoodKernel<<<launch.blocks, launch.warps_per_block * kWarp, launch.shared_bytes,
                             stream>>>(tokens, counts.topics, alpha, next_doc, sum);
  }
  return cudaGetLastError();
}

}  // namespace gaia::lda::gpu
