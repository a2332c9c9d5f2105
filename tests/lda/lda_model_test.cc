#include "apps/lda/lda_model.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace gaia::lda {
namespace {

LdaParams Params() {
  LdaParams p;
  p.topics = 3;
  p.alpha = 0.5;
  p.beta = 0.1;
  p.vocab_size = 4;
  return p;
}

TEST(LdaModel, TotalsTermIsTheGammaRatioPerTopic) {
  const LdaParams p = Params();
  const std::vector<int64_t> totals = {0, 2, 5};
  const double vb = 0.4;
  double want = 0;
  for (int64_t n : totals) want += std::lgamma(vb) - std::lgamma(n + vb);
  EXPECT_NEAR(TotalsLogLikelihood(totals, p), want, 1e-9);
}

TEST(LdaModel, NegativeCountsScoreAsZero) {
  const LdaParams p = Params();
  EXPECT_DOUBLE_EQ(TotalsLogLikelihood(std::vector<int64_t>{-3, 0, 0}, p), 0.0);
  EXPECT_DOUBLE_EQ(WordRowsLogLikelihood(std::vector<int32_t>{-1, 0, -7}, p), 0.0);
  EXPECT_DOUBLE_EQ(DocLogLikelihood(std::vector<int32_t>{-2}, 0, p), 0.0);
}

TEST(LdaModel, WordRowsSumGammaRatiosOfNonzeroCounts) {
  const LdaParams p = Params();
  // 1 -> log(b); 2 -> log(b (1 + b)); 1000 is past the small-count table.
  const std::vector<int32_t> rows = {1, 0, 2, 0, 1000, 0};
  const double want = std::log(0.1) + std::log(0.1 * 1.1) + std::lgamma(1000.1) -
                      std::lgamma(0.1);
  EXPECT_NEAR(WordRowsLogLikelihood(rows, p), want, 1e-9);
}

TEST(LdaModel, OneTokenDocumentScoresOneOverK) {
  const LdaParams p = Params();
  // p(z) for a single token is uniform over the K topics: a / (K a).
  EXPECT_NEAR(DocLogLikelihood(std::vector<int32_t>{1}, 1, p), std::log(1.0 / 3), 1e-12);
}

TEST(LdaModel, DocTermMatchesTheDirichletMultinomial) {
  const LdaParams p = Params();
  const double ka = 1.5;
  const double want = std::lgamma(ka) - std::lgamma(5 + ka) +
                      (std::lgamma(3 + 0.5) - std::lgamma(0.5)) +
                      (std::lgamma(2 + 0.5) - std::lgamma(0.5));
  EXPECT_NEAR(DocLogLikelihood(std::vector<int32_t>{3, 2}, 5, p), want, 1e-9);
}

}  // namespace
}  // namespace gaia::lda
