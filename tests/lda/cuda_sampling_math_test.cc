// The GPU sampler's per-token math (apps/lda/cuda/sampling_math.h) on the
// CPU: the two buckets add up to the full conditional with the token left
// out, the shrunk-CDF draw and the 32-way search pick what they should, and
// the counter-based random bits are uniform.
#include "apps/lda/cuda/sampling_math.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "apps/lda/random.h"
#include "gtest/gtest.h"

namespace gaia::lda::gpu {
namespace {

// One token's neighbourhood: snapshot counts of its word and the totals, the
// live document counts (the token included), its topic s.
struct TokenState {
  uint32_t topics = 0;
  uint32_t own = 0;
  std::vector<int32_t> word_row;  // n_wk, the token included
  std::vector<int32_t> totals;    // n_k, the token included
  std::vector<int32_t> doc;       // n_dk, the token included
  GpuPriors priors;
};

TokenState RandomState(uint32_t topics, uint64_t seed) {
  FastRandom rng(seed);
  TokenState t;
  t.topics = topics;
  t.priors = GpuPriors{0.1f, 0.01f, 500 * 0.01f};
  t.word_row.resize(topics);
  t.totals.resize(topics);
  t.doc.assign(topics, 0);
  for (uint32_t k = 0; k < topics; ++k) {
    t.word_row[k] = rng.Below(3) == 0 ? static_cast<int32_t>(rng.Below(40)) : 0;
    t.totals[k] = t.word_row[k] + static_cast<int32_t>(rng.Below(400));
    if (rng.Below(4) == 0) t.doc[k] = static_cast<int32_t>(rng.Below(6));
  }
  t.own = rng.Below(topics);
  ++t.word_row[t.own];
  ++t.totals[t.own];
  ++t.doc[t.own];
  return t;
}

// p(k) ∝ (n_dk + a)(n_wk + b)/(n_k + V b), the token left out, in double.
std::vector<double> ExactConditional(const TokenState& t) {
  std::vector<double> p(t.topics);
  double sum = 0;
  for (uint32_t k = 0; k < t.topics; ++k) {
    const int left = k == t.own ? 1 : 0;
    p[k] = (t.doc[k] - left + t.priors.alpha) * (t.word_row[k] - left + t.priors.beta) /
           (t.totals[k] - left + t.priors.vbeta);
    sum += p[k];
  }
  for (double& v : p) v /= sum;
  return p;
}

std::vector<float> WordCdf(const TokenState& t) {
  std::vector<float> cdf(t.topics);
  float carry = 0;
  for (uint32_t k = 0; k < t.topics; ++k) {
    carry += WordBucketWeight(t.word_row[k], InvTotal(t.totals[k], t.priors), t.priors);
    cdf[k] = carry;
  }
  return cdf;
}

OwnTopic Own(const TokenState& t) {
  return LeaveOwnOut(t.own, t.word_row[t.own], t.totals[t.own], t.priors);
}

// Each topic's mass in the two buckets, as the kernel forms them.
std::vector<double> BucketMasses(const TokenState& t) {
  const OwnTopic own = Own(t);
  const std::vector<float> cdf = WordCdf(t);
  std::vector<double> m(t.topics);
  for (uint32_t k = 0; k < t.topics; ++k) {
    const float word_slot = k == t.own ? own.new_weight : cdf[k] - (k == 0 ? 0.0f : cdf[k - 1]);
    const int32_t doc_without = t.doc[k] - (k == t.own ? 1 : 0);
    m[k] = word_slot + DocBucketMass(k, doc_without, t.word_row[k],
                                     InvTotal(t.totals[k], t.priors), own, t.priors);
  }
  return m;
}

TEST(GpuSamplingMath, BucketsAddUpToTheConditionalWithTheTokenLeftOut) {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    const TokenState t = RandomState(37, seed);
    const std::vector<double> exact = ExactConditional(t);
    std::vector<double> m = BucketMasses(t);
    double sum = 0;
    for (double v : m) sum += v;
    for (uint32_t k = 0; k < t.topics; ++k) {
      EXPECT_NEAR(m[k] / sum, exact[k], 1e-5 * exact[k] + 1e-7) << "seed " << seed << " k " << k;
    }
  }
}

TEST(GpuSamplingMath, ShrunkTotalIsTheWordBucketWithoutTheToken) {
  const TokenState t = RandomState(64, 3);
  const OwnTopic own = Own(t);
  double expected = 0;
  for (uint32_t k = 0; k < t.topics; ++k) {
    const int left = k == t.own ? 1 : 0;
    expected += t.priors.alpha * (t.word_row[k] - left + t.priors.beta) /
                (t.totals[k] - left + t.priors.vbeta);
  }
  EXPECT_NEAR(ShrunkTotal(WordCdf(t).back(), own), expected, 1e-5 * expected);
}

// Counts of DrawWordBucket over an even grid of the shrunk line: each topic
// gets its slot's share (the grid makes the check exact up to one step).
TEST(GpuSamplingMath, WordBucketDrawGivesEachTopicItsShrunkSlot) {
  for (uint32_t own_topic : {0u, 5u, 63u}) {
    TokenState t = RandomState(64, 11);
    --t.word_row[t.own];
    --t.totals[t.own];
    --t.doc[t.own];
    t.own = own_topic;
    t.word_row[own_topic] += 3;  // the own slot must visibly shrink
    ++t.totals[own_topic];
    ++t.doc[own_topic];
    const OwnTopic own = Own(t);
    ASSERT_LT(own.new_weight, own.old_weight);
    const std::vector<float> cdf = WordCdf(t);
    const float total = ShrunkTotal(cdf.back(), own);
    constexpr int kPoints = 200000;
    std::vector<int> hits(t.topics, 0);
    for (int i = 0; i < kPoints; ++i) {
      ++hits[DrawWordBucket(cdf.data(), t.topics, own, total * (i + 0.5f) / kPoints)];
    }
    for (uint32_t k = 0; k < t.topics; ++k) {
      const float slot = k == own_topic ? own.new_weight : cdf[k] - (k == 0 ? 0 : cdf[k - 1]);
      EXPECT_NEAR(hits[k] / double{kPoints}, slot / total, 2e-4) << "own " << own_topic
                                                                << " k " << k;
    }
  }
}

TEST(GpuSamplingMath, ShrunkCdfPointMapsAroundTheOwnSlot) {
  OwnTopic own;
  own.topic = 2;
  own.old_weight = 1.0f;
  own.new_weight = 0.25f;
  // Before the slot: unchanged; inside the shrunk slot: own; after: shifted
  // by what the slot lost.
  EXPECT_FALSE(ShrunkCdfPoint(1.5f, 2.0f, own).is_own);
  EXPECT_EQ(ShrunkCdfPoint(1.5f, 2.0f, own).x, 1.5f);
  EXPECT_TRUE(ShrunkCdfPoint(2.0f, 2.0f, own).is_own);
  EXPECT_TRUE(ShrunkCdfPoint(2.2f, 2.0f, own).is_own);
  EXPECT_FALSE(ShrunkCdfPoint(2.25f, 2.0f, own).is_own);
  EXPECT_FLOAT_EQ(ShrunkCdfPoint(2.5f, 2.0f, own).x, 3.25f);
}

TEST(GpuSamplingMath, UpperBoundSkipsEmptySlotsAndClampsAtTheTop) {
  const std::vector<float> cdf = {0, 0, 1, 1, 3, 3, 3};
  EXPECT_EQ(UpperBound(cdf.data(), 7, 0.0f), 2u);    // topics 0, 1 have no mass
  EXPECT_EQ(UpperBound(cdf.data(), 7, 0.99f), 2u);
  EXPECT_EQ(UpperBound(cdf.data(), 7, 1.0f), 4u);
  EXPECT_EQ(UpperBound(cdf.data(), 7, 3.0f), 6u);    // rounding past the top: the last
  EXPECT_EQ(UpperBound(cdf.data(), 1, 5.0f), 0u);
}

TEST(GpuSamplingMath, MultiwaySearchAgreesWithBinarySearch) {
  FastRandom rng(5);
  for (uint32_t n : {1u, 2u, 31u, 32u, 33u, 100u, 1000u, 1024u, 1025u, 5000u, 40000u}) {
    std::vector<float> cdf(n);
    float carry = 0;
    for (float& c : cdf) {
      carry += rng.Below(3) == 0 ? 0.0f : static_cast<float>(rng.Uniform());
      c = carry;
    }
    for (int i = 0; i < 2000; ++i) {
      const float x = static_cast<float>(rng.Uniform()) * carry * 1.01f;
      ASSERT_EQ(MultiwayUpperBound(cdf.data(), n, x), UpperBound(cdf.data(), n, x))
          << "n " << n << " x " << x;
    }
  }
}

TEST(GpuSamplingMath, SearchChunksTileTheRange) {
  for (uint32_t len : {33u, 64u, 100u, 1000u, 1025u, 99999u}) {
    const SearchRange r{7, len};
    uint32_t next = r.lo;
    for (uint32_t c = 0; c < kSearchWays && ChunkExists(r, c); ++c) {
      const SearchRange chunk = Chunk(r, c);
      EXPECT_EQ(chunk.lo, next) << "len " << len << " chunk " << c;
      EXPECT_GT(chunk.len, 0u);
      next = chunk.lo + chunk.len;
    }
    EXPECT_EQ(next, r.lo + r.len) << "len " << len;
  }
}

TEST(GpuSamplingMath, NegativeCountsReadAsZero) {
  const GpuPriors p{0.1f, 0.01f, 1.0f};
  EXPECT_EQ(CountOrZero(-3), 0.0f);
  EXPECT_FLOAT_EQ(InvTotal(-5, p), 1.0f);
  EXPECT_FLOAT_EQ(WordBucketWeight(-2, 1.0f, p), 0.1f * 0.01f);
  OwnTopic own = LeaveOwnOut(0, 0, 0, p);  // a stale view: the token's own count missing
  EXPECT_GT(own.new_weight, 0.0f);
  EXPECT_EQ(DocBucketMass(3, 0, 10, 1.0f, own, p), 0.0f);
  EXPECT_EQ(DocBucketMass(3, -1, 10, 1.0f, own, p), 0.0f);
}

TEST(GpuSamplingMath, TokenBitsAreUniformAndDifferPerTokenAndSweep) {
  constexpr int kDraws = 200000;
  std::vector<int> bins(10, 0);
  for (int i = 0; i < kDraws; ++i) {
    const float u = UnitFloat(TokenBits(42, 3, static_cast<uint64_t>(i)));
    ASSERT_GE(u, 0.0f);
    ASSERT_LT(u, 1.0f);
    ++bins[static_cast<int>(u * 10)];
  }
  for (int b : bins) EXPECT_NEAR(b, kDraws / 10, 5 * std::sqrt(kDraws / 10.0));
  EXPECT_NE(TokenBits(42, 3, 7), TokenBits(42, 4, 7));
  EXPECT_NE(TokenBits(42, 3, 7), TokenBits(43, 3, 7));
  EXPECT_NE(TokenBits(42, 3, 7), TokenBits(42, 3, 8));
  EXPECT_EQ(TokenBits(42, 3, 7), TokenBits(42, 3, 7));
}

}  // namespace
}  // namespace gaia::lda::gpu
