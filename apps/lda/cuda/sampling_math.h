// The per-token math of the GPU sampler (docs/APP_LDA_GPU.md), as functions
// that compile for the host and the device: the kernels call them, and the
// CPU tests (tests/lda/cuda_sampling_math_test.cc) check them against the
// full conditional without a GPU. No CUDA header, no library.
//
// The conditional of token i (word w, current topic s), with its own count
// left out of every count (the "-i"):
//
//   p(k) ∝ (n_dk + a)(n_wk + b)/(n_k + V b)
//        = a (n_wk + b)/(n_k + V b)       word bucket: dense over K, drawn from a
//                                         per-word CDF built at the start of the sweep
//        + n_dk (n_wk + b)/(n_k + V b)    doc bucket: sparse over the document's topics
//
// The word bucket's CDF holds the counts with nobody left out; leaving the
// token out only shrinks topic s's slot (from old_weight to new_weight), so a
// draw maps a point of the shrunk line onto the CDF (ShrunkCdfPoint) instead
// of rebuilding anything.
//
//   OwnTopic own = LeaveOwnOut(s, n_ws, n_s, priors);
//   float w_total = ShrunkTotal(cdf[K - 1], own);
//   float x = UnitFloat(TokenBits(seed, sweep, token)) * (doc_total + w_total);
//   ... x < doc_total: doc bucket (DocBucketMass per topic), else
//   uint32_t k = DrawWordBucket(cdf, K, own, x - doc_total);
#ifndef GAIA_APPS_LDA_CUDA_SAMPLING_MATH_H_
#define GAIA_APPS_LDA_CUDA_SAMPLING_MATH_H_

#include <cstdint>

#if defined(__CUDACC__)
#define GAIA_LDA_HD __host__ __device__ inline
#else
#define GAIA_LDA_HD inline
#endif

namespace gaia::lda::gpu {

// Topics are stored in 16 bits on the device (the compact token layout).
inline constexpr uint32_t kMaxGpuTopics = 65535;

// The constants of the conditional, in the kernels' precision.
struct GpuPriors {
  float alpha = 0.1f;
  float beta = 0.01f;
  float vbeta = 0.0f;  // vocab_size * beta
};

// splitmix64's finalizer: a bijection that scrambles every input bit.
GAIA_LDA_HD uint64_t Mix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The random bits of one token in one sweep: counter-based, so a kernel
// needs no generator state and the draws do not depend on which warp runs
// which document.
GAIA_LDA_HD uint64_t TokenBits(uint64_t seed, uint64_t sweep, uint64_t token) {
  return Mix64(Mix64(seed ^ Mix64(sweep + 0x5EEDull)) ^ token);
}

// Uniform in [0, 1) from the top 24 bits (a float's precision).
GAIA_LDA_HD float UnitFloat(uint64_t bits) {
  return static_cast<float>(bits >> 40) * (1.0f / 16777216.0f);
}

// A count as the conditional uses it: a stale view can hold counts below
// zero (sweep_context.h); they are read as zero.
GAIA_LDA_HD float CountOrZero(int32_t n) { return n > 0 ? static_cast<float>(n) : 0.0f; }

// 1 / (n_k + V b).
GAIA_LDA_HD float InvTotal(int32_t n_k, const GpuPriors& p) {
  return 1.0f / (CountOrZero(n_k) + p.vbeta);
}

// Topic k's slot in word w's CDF: a (n_wk + b) / (n_k + V b).
GAIA_LDA_HD float WordBucketWeight(int32_t n_wk, float inv_total_k, const GpuPriors& p) {
  return p.alpha * (CountOrZero(n_wk) + p.beta) * inv_total_k;
}

// The token's own topic s and its word-bucket slot before and after leaving
// the token out (n_ws - 1, n_s - 1).
struct OwnTopic {
  uint32_t topic = 0;
  float old_weight = 0;    // WordBucketWeight(n_ws, InvTotal(n_s))
  float new_weight = 0;    // the same with the token left out
  float inv_total_without = 0;  // 1 / (n_s - 1 + V b)
};

GAIA_LDA_HD OwnTopic LeaveOwnOut(uint32_t s, int32_t n_ws, int32_t n_s, const GpuPriors& p) {
  OwnTopic own;
  own.topic = s;
  own.old_weight = WordBucketWeight(n_ws, InvTotal(n_s, p), p);
  own.inv_total_without = InvTotal(n_s - 1, p);
  own.new_weight = WordBucketWeight(n_ws - 1, own.inv_total_without, p);
  return own;
}

// The word bucket's mass with the token left out, from the CDF's last entry.
GAIA_LDA_HD float ShrunkTotal(float cdf_last, const OwnTopic& own) {
  const float total = cdf_last - own.old_weight + own.new_weight;
  return total > 0.0f ? total : 0.0f;
}

// Topic k's doc-bucket mass n_dk (n_wk + b)/(n_k + V b), all with the token
// left out: n_dk_without is the live document count already without it;
// n_wk and inv_total_k are the sweep's snapshot, corrected here for k == s.
GAIA_LDA_HD float DocBucketMass(uint32_t k, int32_t n_dk_without, int32_t n_wk,
                                float inv_total_k, const OwnTopic& own, const GpuPriors& p) {
  if (n_dk_without <= 0) return 0.0f;
  const bool is_own = k == own.topic;
  const float word = CountOrZero(n_wk - (is_own ? 1 : 0)) + p.beta;
  return static_cast<float>(n_dk_without) * word * (is_own ? own.inv_total_without : inv_total_k);
}

// A point x of the shrunk word bucket [0, ShrunkTotal) as a point of the
// unshrunk CDF, or the token's own topic when x falls in its shrunk slot.
struct CdfPoint {
  bool is_own;  // x fell in topic s's shrunk slot
  float x;      // else: the point on the unshrunk CDF
};

GAIA_LDA_HD CdfPoint ShrunkCdfPoint(float x, float cdf_before_own, const OwnTopic& own) {
  if (x < cdf_before_own) return CdfPoint{false, x};
  if (x < cdf_before_own + own.new_weight) return CdfPoint{true, 0.0f};
  return CdfPoint{false, x + (own.old_weight - own.new_weight)};
}

// The first i in [0, n) with cdf[i] > x, or n - 1 when there is none (x at
// the top end by rounding). REQUIRES: n > 0, cdf non-decreasing.
GAIA_LDA_HD uint32_t UpperBound(const float* cdf, uint32_t n, float x) {
  uint32_t lo = 0, hi = n - 1;
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo) / 2;
    if (cdf[mid] > x) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

// The warp's 32-way search (sweep_kernels.cu) narrows [lo, lo + len) to one
// of 32 equal chunks per round: chunk c covers [lo + c stride, last(c)], and
// the first chunk whose last entry is above x holds the answer.
inline constexpr uint32_t kSearchWays = 32;

struct SearchRange {
  uint32_t lo;
  uint32_t len;
};

GAIA_LDA_HD uint32_t ChunkStride(const SearchRange& r) {
  return (r.len + kSearchWays - 1) / kSearchWays;
}
// Whether chunk c exists, and its last index.
GAIA_LDA_HD bool ChunkExists(const SearchRange& r, uint32_t c) {
  return c * ChunkStride(r) < r.len;
}
GAIA_LDA_HD uint32_t ChunkLast(const SearchRange& r, uint32_t c) {
  const uint32_t end = r.lo + (c + 1) * ChunkStride(r);
  return (end < r.lo + r.len ? end : r.lo + r.len) - 1;
}
GAIA_LDA_HD SearchRange Chunk(const SearchRange& r, uint32_t c) {
  const uint32_t first = r.lo + c * ChunkStride(r);
  return SearchRange{first, ChunkLast(r, c) + 1 - first};
}

// UpperBound by the rounds the warp runs, one "lane" after another: the
// host reference of WarpUpperBound.
GAIA_LDA_HD uint32_t MultiwayUpperBound(const float* cdf, uint32_t n, float x) {
  SearchRange r{0, n};
  while (r.len > kSearchWays) {
    uint32_t hit = kSearchWays;
    for (uint32_t c = 0; c < kSearchWays && hit == kSearchWays; ++c) {
      if (ChunkExists(r, c) && cdf[ChunkLast(r, c)] > x) hit = c;
    }
    if (hit == kSearchWays) return r.lo + r.len - 1;
    r = Chunk(r, hit);
  }
  for (uint32_t i = 0; i < r.len; ++i) {
    if (cdf[r.lo + i] > x) return r.lo + i;
  }
  return r.lo + r.len - 1;
}

// A draw from the shrunk word bucket at point x in [0, ShrunkTotal): the
// scalar reference of the kernel's warp-wide search.
GAIA_LDA_HD uint32_t DrawWordBucket(const float* cdf, uint32_t topics, const OwnTopic& own,
                                    float x) {
  const float before = own.topic == 0 ? 0.0f : cdf[own.topic - 1];
  const CdfPoint point = ShrunkCdfPoint(x, before, own);
  return point.is_own ? own.topic : UpperBound(cdf, topics, point.x);
}

}  // namespace gaia::lda::gpu

#endif  // GAIA_APPS_LDA_CUDA_SAMPLING_MATH_H_
