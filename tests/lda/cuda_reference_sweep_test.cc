// The GPU sampler's algorithm on the CPU (apps/lda/cuda/reference_sweep.h):
// the counts it changes stay exact, and from the same initial state its
// objective after 20 sweeps is within 1% of the CPU samplers' (the target
// the GPU test checks on a GPU: docs/APP_LDA_GPU.md).
#include "apps/lda/cuda/reference_sweep.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "apps/lda/lda_model.h"
#include "apps/lda/sampler.h"
#include "gtest/gtest.h"
#include "tests/lda/planted_corpus.h"

namespace gaia::lda::gpu {
namespace {

constexpr double kObjectiveTolerance = 0.01;  // relative, after 20 sweeps (issue 17)

struct ChainState {
  LocalTokens tokens;
  std::vector<uint32_t> topics;
  std::vector<int32_t> counts;
  std::vector<int32_t> totals;
  LdaParams params;
};

ChainState Start(const Corpus& c, const LdaParams& params, uint64_t seed) {
  ChainState r;
  r.params = params;
  r.tokens = *MapLocalWords(c, params.vocab_size);
  r.topics = InitialTopics(c.num_tokens(), params.topics, seed);
  r.counts.assign(r.tokens.words.size() * params.topics, 0);
  r.totals.assign(params.topics, 0);
  for (size_t i = 0; i < r.topics.size(); ++i) {
    ++r.counts[size_t{r.tokens.rows[i]} * params.topics + r.topics[i]];
    ++r.totals[r.topics[i]];
  }
  return r;
}

uint64_t Sweep(ChainState& r, uint64_t sweep) {
  const GpuPriors p{static_cast<float>(r.params.alpha), static_cast<float>(r.params.beta),
                    static_cast<float>(r.params.vocab_size * r.params.beta)};
  std::vector<int32_t> delta(r.counts.size(), 0);
  const uint64_t changed =
      ReferenceSweep(r.tokens, r.topics, r.counts, r.totals, r.params.topics, p, 1, sweep, delta);
  for (size_t i = 0; i < delta.size(); ++i) {
    r.counts[i] += delta[i];
    r.totals[i % r.params.topics] += delta[i];
  }
  return changed;
}

double LogLikelihood(const ChainState& r) {
  const uint32_t k = r.params.topics;
  std::vector<int32_t> dense(k);
  std::vector<int32_t> nonzero;
  double ll = WordRowsLogLikelihood(r.counts, r.params) +
              TotalsLogLikelihood(std::vector<int64_t>(r.totals.begin(), r.totals.end()),
                                  r.params);
  for (size_t d = 0; d + 1 < r.tokens.doc_offsets.size(); ++d) {
    std::fill(dense.begin(), dense.end(), 0);
    const uint64_t b = r.tokens.doc_offsets[d], e = r.tokens.doc_offsets[d + 1];
    for (uint64_t i = b; i < e; ++i) ++dense[r.topics[i]];
    nonzero.clear();
    for (int32_t n : dense) {
      if (n > 0) nonzero.push_back(n);
    }
    ll += DocLogLikelihood(nonzero, static_cast<uint32_t>(e - b), r.params);
  }
  return ll;
}

Corpus Planted() {
  lda::testing::PlantedShape shape;
  shape.topics = 20;
  shape.vocab = 2000;
  shape.docs = 2000;
  return lda::testing::PlantedCorpus(shape);
}

LdaParams Params(const Corpus& c) {
  LdaParams p;
  p.topics = 20;
  p.vocab_size = c.vocab_size();
  return p;
}

TEST(GpuReferenceSweep, CountsStayTheCountsOfTheTopics) {
  const Corpus c = Planted();
  ChainState r = Start(c, Params(c), 4);
  for (uint64_t s = 0; s < 3; ++s) {
    EXPECT_GT(Sweep(r, s), 0u);
    std::vector<int32_t> recount(r.counts.size(), 0), totals(r.totals.size(), 0);
    for (size_t i = 0; i < r.topics.size(); ++i) {
      ++recount[size_t{r.tokens.rows[i]} * r.params.topics + r.topics[i]];
      ++totals[r.topics[i]];
    }
    ASSERT_EQ(recount, r.counts) << "sweep " << s;
    ASSERT_EQ(totals, r.totals) << "sweep " << s;
  }
}

TEST(GpuReferenceSweep, ObjectiveAfter20SweepsIsWithinOnePercentOfTheCpuSamplers) {
  const Corpus c = Planted();
  const LdaParams params = Params(c);
  constexpr uint64_t kSeed = 1;
  ChainState gpu = Start(c, params, kSeed);
  const double start = LogLikelihood(gpu);
  for (uint64_t s = 0; s < 20; ++s) Sweep(gpu, s);
  const double gpu_ll = LogLikelihood(gpu);
  EXPECT_GT(gpu_ll, start + 0.05 * std::abs(start));  // it learned
  for (SamplerKind kind : {SamplerKind::kExact, SamplerKind::kAliasMh}) {
    SamplerOptions options;
    options.kind = kind;
    options.seed = kSeed;
    absl::StatusOr<Sampler> cpu = Sampler::Create(c, params, options);
    ASSERT_TRUE(cpu.ok());
    std::vector<int32_t> counts(cpu->words().size() * params.topics, 0), delta(counts.size());
    std::vector<int64_t> totals(params.topics, 0), totals_delta(params.topics);
    cpu->Initialize({counts, totals});
    for (int s = 0; s < 20; ++s) cpu->Sweep({counts, totals}, {delta, totals_delta});
    const double cpu_ll = cpu->DocLogLikelihood() + WordRowsLogLikelihood(counts, params) +
                          TotalsLogLikelihood(totals, params);
    EXPECT_NEAR(gpu_ll, cpu_ll, kObjectiveTolerance * std::abs(cpu_ll))
        << "against the CPU " << SamplerKindName(kind) << " sampler (start " << start << ")";
  }
}

}  // namespace
}  // namespace gaia::lda::gpu
