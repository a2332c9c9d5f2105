#include "apps/lda/alias_table.h"

#include <cmath>
#include <numeric>
#include <vector>

#include "apps/lda/random.h"
#include "apps/lda/word_proposal.h"
#include "gtest/gtest.h"

namespace gaia::lda {
namespace {

// Draw frequencies of `n` draws, per outcome id < ids_bound.
std::vector<double> Frequencies(const std::vector<AliasEntry>& table, uint32_t ids_bound,
                                int n) {
  FastRandom rng(42);
  std::vector<double> freq(ids_bound, 0);
  for (int i = 0; i < n; ++i) {
    freq[DrawAlias(table.data(), static_cast<uint32_t>(table.size()), rng.NextU64())] += 1.0 / n;
  }
  return freq;
}

TEST(AliasTable, DrawsFollowTheWeights) {
  const std::vector<double> weights = {1, 0, 5, 0.5, 2.5, 1};
  const std::vector<uint32_t> ids = {10, 11, 12, 13, 14, 15};
  std::vector<AliasEntry> table(weights.size());
  AliasBuilder().Build(weights, ids, table);
  const std::vector<double> freq = Frequencies(table, 16, 1'000'000);
  const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  for (size_t i = 0; i < weights.size(); ++i) {
    // 1e6 draws: the standard error is below 5e-4.
    EXPECT_NEAR(freq[ids[i]], weights[i] / sum, 3e-3) << "outcome " << ids[i];
  }
  EXPECT_EQ(freq[11], 0.0);  // zero weight is never drawn
}

TEST(AliasTable, OneOutcomeIsAlwaysDrawn) {
  std::vector<AliasEntry> table(1);
  AliasBuilder().Build(std::vector<double>{3.0}, std::vector<uint32_t>{7}, table);
  EXPECT_NEAR(Frequencies(table, 8, 1000)[7], 1.0, 1e-9);
}

TEST(AliasTable, ProbabilityToThresholdSaturates) {
  EXPECT_EQ(ProbabilityToThreshold(0), 0u);
  EXPECT_EQ(ProbabilityToThreshold(-1), 0u);
  EXPECT_EQ(ProbabilityToThreshold(1), UINT32_MAX);
  EXPECT_EQ(ProbabilityToThreshold(0.5), 1u << 31);
}

TEST(WordProposal, DrawsFollowSmoothedWordOverTotal) {
  LdaParams p;
  p.topics = 4;
  p.vocab_size = 10;
  p.beta = 0.5;
  // Two words; the second has a negative (stale) count, read as zero.
  const std::vector<int32_t> rows = {6, 0, 2, 0, 0, 3, -1, 0};
  const std::vector<int64_t> totals = {10, 8, 4, -2};
  for (uint32_t threads : {1u, 2u}) {
    WordProposal q;
    q.Build(rows, totals, p, threads);
    for (uint32_t w = 0; w < 2; ++w) {
      std::vector<double> want(4);
      double sum = 0;
      for (uint32_t k = 0; k < 4; ++k) {
        const double n = std::max(rows[w * 4 + k], 0);
        want[k] = (n + 0.5) / (std::max<int64_t>(totals[k], 0) + 5.0);
        sum += want[k];
        EXPECT_NEAR(q.Weight(w, k) / q.Weight(w, 0), want[k] / want[0], 1e-12);
      }
      FastRandom rng(3);
      std::vector<double> freq(4, 0);
      const int n = 1'000'000;
      for (int i = 0; i < n; ++i) freq[q.Draw(w, rng.NextU64())] += 1.0 / n;
      for (uint32_t k = 0; k < 4; ++k) {
        EXPECT_NEAR(freq[k], want[k] / sum, 3e-3) << "word " << w << " topic " << k;
      }
    }
  }
}

}  // namespace
}  // namespace gaia::lda
