#include "apps/lda/held_out_eval.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gaia::lda {
namespace {

using ::testing::HasSubstr;

TopicWordMatrix Matrix(uint32_t k, std::vector<double> phi) {
  TopicWordMatrix m;
  m.topics = k;
  m.phi = std::move(phi);
  for (size_t w = 0; w < m.phi.size() / k; ++w) m.vocab.push_back("w" + std::to_string(w));
  return m;
}

TEST(HeldOutEval, SplitIsASeededHalvingOfTheKnownTokens) {
  const std::vector<uint32_t> doc = {0, 1, 2, 3, 9, 4, 5, 6, 9};  // 9: unknown (V = 7)
  const CompletionSplit a = SplitForCompletion(doc, 7, 1, 5);
  EXPECT_EQ(a.estimate.size(), 4u);  // ceil(7 / 2)
  EXPECT_EQ(a.score.size(), 3u);
  std::vector<uint32_t> all = a.estimate;
  all.insert(all.end(), a.score.begin(), a.score.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (std::vector<uint32_t>{0, 1, 2, 3, 4, 5, 6}));
  const CompletionSplit again = SplitForCompletion(doc, 7, 1, 5);
  EXPECT_EQ(again.estimate, a.estimate);
  EXPECT_EQ(again.score, a.score);
  bool differs = false;  // another document index (or seed) shuffles differently
  for (uint64_t d = 6; d < 16 && !differs; ++d) {
    differs = SplitForCompletion(doc, 7, 1, d).estimate != a.estimate;
  }
  EXPECT_TRUE(differs);
}

TEST(HeldOutEval, PointMassTopicsGiveTheKnownNumber) {
  // Topic 0 emits only word 0, topic 1 only word 1: every estimation token's
  // topic is forced, so theta_0 = (n_0 + a) / (N_est + 2a) in every sample
  // and the score is sum over scored tokens of log theta_{their word}.
  const TopicWordMatrix phi = Matrix(2, {1, 0, 0, 1});
  Corpus test;
  test.vocab = {"w0", "w1"};
  test.AddDoc(std::vector<uint32_t>{0, 0, 1, 0, 1, 0, 0});
  test.AddDoc(std::vector<uint32_t>{1});           // too short: skipped
  test.AddDoc(std::vector<uint32_t>{1, 0, 1, 7});  // word 7 unknown
  test.AddDoc(std::vector<uint32_t>{7, 7, 0});     // one known token: skipped
  HeldOutOptions o;
  o.alpha = 0.5;
  double want = 0;
  uint64_t scored = 0;
  for (size_t d : {0, 2}) {
    const CompletionSplit s = SplitForCompletion(test.doc(d), 2, o.seed, d);
    const double n0 = static_cast<double>(std::count(s.estimate.begin(), s.estimate.end(), 0u));
    const double n = static_cast<double>(s.estimate.size());
    const double theta[2] = {(n0 + o.alpha) / (n + 2 * o.alpha),
                             (n - n0 + o.alpha) / (n + 2 * o.alpha)};
    for (uint32_t w : s.score) want += std::log(theta[w]);
    scored += s.score.size();
  }
  absl::StatusOr<HeldOutResult> r = DocumentCompletion(phi, test, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NEAR(r->loglik, want, 1e-9);
  EXPECT_EQ(r->tokens_scored, scored);
  EXPECT_EQ(r->tokens_scored, 3u + 1u);
  EXPECT_EQ(r->tokens_estimated, 4u + 2u);
  EXPECT_EQ(r->docs_scored, 2u);
  EXPECT_EQ(r->docs_skipped, 2u);
  EXPECT_EQ(r->tokens_unknown, 3u);
  EXPECT_NEAR(r->per_token(), want / 4, 1e-9);
}

TEST(HeldOutEval, OneTopicScoresEachTokenByItsProbability) {
  const TopicWordMatrix phi = Matrix(1, {0.5, 0.3, 0.2});
  Corpus test;
  test.AddDoc(std::vector<uint32_t>{0, 1, 2, 2});
  absl::StatusOr<HeldOutResult> r = DocumentCompletion(phi, test, {});
  ASSERT_TRUE(r.ok()) << r.status();
  const CompletionSplit s = SplitForCompletion(test.doc(0), 3, 1, 0);
  double want = 0;
  for (uint32_t w : s.score) want += std::log(phi.phi[w]);
  EXPECT_NEAR(r->loglik, want, 1e-12);
}

// A planted corpus: K topics over disjoint blocks of words (plus a little
// mass everywhere), documents mixing mostly one or two topics.
struct Planted {
  TopicWordMatrix phi;
  Corpus docs;
};

Planted MakePlanted(uint32_t k, uint32_t words_per_topic, uint32_t docs, uint64_t seed) {
  const uint32_t v = k * words_per_topic;
  Planted p;
  p.phi.topics = k;
  p.phi.phi.assign(size_t{k} * v, 0.0);
  for (uint32_t w = 0; w < v; ++w) p.phi.vocab.push_back("w" + std::to_string(w));
  for (uint32_t t = 0; t < k; ++t) {
    for (uint32_t w = 0; w < v; ++w) {
      p.phi.phi[size_t{t} * v + w] = (w / words_per_topic == t ? 0.9 / words_per_topic : 0.0) +
                                     0.1 / v;
    }
  }
  p.docs.vocab = p.phi.vocab;
  std::mt19937_64 rng(seed);
  std::gamma_distribution<double> gamma(0.2, 1.0);
  for (uint32_t d = 0; d < docs; ++d) {
    std::vector<double> theta(k);
    for (double& x : theta) x = gamma(rng) + 1e-12;
    std::discrete_distribution<uint32_t> topic(theta.begin(), theta.end());
    std::vector<uint32_t> doc;
    for (int i = 0; i < 60; ++i) {
      const std::span<const double> row = p.phi.topic(topic(rng));
      std::discrete_distribution<uint32_t> word(row.begin(), row.end());
      doc.push_back(word(rng));
    }
    p.docs.AddDoc(doc);
  }
  return p;
}

TEST(HeldOutEval, TrueTopicsScoreBetterThanUniformOrShuffledOnes) {
  const Planted p = MakePlanted(5, 20, 100, 3);
  const uint32_t v = p.phi.vocab_size();
  TopicWordMatrix uniform = p.phi;
  std::fill(uniform.phi.begin(), uniform.phi.end(), 1.0 / v);
  TopicWordMatrix shuffled = p.phi;  // each topic's words permuted: same entropy, wrong words
  std::mt19937_64 rng(9);
  for (uint32_t k = 0; k < shuffled.topics; ++k) {
    std::shuffle(shuffled.phi.begin() + k * v, shuffled.phi.begin() + (k + 1) * v, rng);
  }
  absl::StatusOr<HeldOutResult> truth = DocumentCompletion(p.phi, p.docs, {});
  absl::StatusOr<HeldOutResult> flat = DocumentCompletion(uniform, p.docs, {});
  absl::StatusOr<HeldOutResult> wrong = DocumentCompletion(shuffled, p.docs, {});
  ASSERT_TRUE(truth.ok() && flat.ok() && wrong.ok());
  EXPECT_NEAR(flat->per_token(), -std::log(static_cast<double>(v)), 1e-12);
  EXPECT_GT(truth->per_token(), flat->per_token() + 0.5);
  EXPECT_GT(truth->per_token(), wrong->per_token() + 0.5);
  EXPECT_EQ(truth->tokens_scored, 100u * 30u);
}

TEST(HeldOutEval, ResultDoesNotDependOnThreads) {
  const Planted p = MakePlanted(4, 10, 37, 5);
  HeldOutOptions one;
  HeldOutOptions three;
  three.threads = 3;
  absl::StatusOr<HeldOutResult> a = DocumentCompletion(p.phi, p.docs, one);
  absl::StatusOr<HeldOutResult> b = DocumentCompletion(p.phi, p.docs, three);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->loglik, b->loglik);
  three.seed = 2;  // another seed: another split and chain
  absl::StatusOr<HeldOutResult> c = DocumentCompletion(p.phi, p.docs, three);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->loglik, c->loglik);
}

TEST(HeldOutEval, UnscorableWordsAndBadOptionsAreErrors) {
  const TopicWordMatrix phi = Matrix(2, {1, 0, 0, 1, 0, 0});
  Corpus test;
  test.AddDoc(std::vector<uint32_t>{0, 2, 1});
  EXPECT_THAT(DocumentCompletion(phi, test, {}).status().message(),
              HasSubstr("document 0: word 2 has probability 0 under every topic"));
  HeldOutOptions o;
  o.alpha = 0;
  EXPECT_EQ(DocumentCompletion(Matrix(1, {1}), test, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = HeldOutOptions{};
  o.samples = 0;
  EXPECT_FALSE(DocumentCompletion(Matrix(1, {1}), test, o).ok());
}

}  // namespace
}  // namespace gaia::lda
