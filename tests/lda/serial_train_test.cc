// The single-process reference trainer: counts stay consistent with the
// corpus, the objective falls, a corpus of two disjoint topics is separated.
#include "apps/lda/serial_train.h"

#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gaia::lda {
namespace {

// Documents of 40 tokens, each drawn from words [0, 10) or from [10, 20):
// two topics with disjoint vocabularies.
Corpus TwoTopicCorpus(int docs) {
  Corpus c;
  for (int w = 0; w < 20; ++w) c.vocab.push_back("w" + std::to_string(w));
  std::mt19937 rng(3);
  for (int d = 0; d < docs; ++d) {
    std::vector<uint32_t> doc;
    const uint32_t base = (d % 2) * 10;
    for (int i = 0; i < 40; ++i) doc.push_back(base + rng() % 10);
    c.AddDoc(doc);
  }
  return c;
}

TEST(SerialTrain, SeparatesTwoDisjointTopicsAndKeepsCountsConsistent) {
  const Corpus corpus = TwoTopicCorpus(200);
  LdaParams params{.topics = 2, .alpha = 0.1, .beta = 0.01};
  for (SamplerKind kind : {SamplerKind::kExact, SamplerKind::kAliasMh}) {
    SamplerOptions sampler{.kind = kind, .seed = 5};
    SerialOptions options;
    options.iterations = 30;
    absl::StatusOr<SerialResult> r = SerialTrain(corpus, params, sampler, options);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->objectives.size(), 30u);
    EXPECT_LT(r->final_objective, r->objectives.front());
    EXPECT_EQ(r->tokens, corpus.num_tokens());
    // Counts add up: per topic, and over the whole table.
    ASSERT_EQ(r->word_topic.size(), 20u * 2);
    const int64_t total = std::accumulate(r->totals.begin(), r->totals.end(), int64_t{0});
    EXPECT_EQ(total, static_cast<int64_t>(corpus.num_tokens()));
    for (uint32_t k = 0; k < 2; ++k) {
      int64_t column = 0;
      for (uint32_t w = 0; w < 20; ++w) column += r->word_topic[w * 2 + k];
      EXPECT_EQ(column, r->totals[k]);
    }
    // Separated: each half of the vocabulary lives (almost) in one topic.
    int64_t first_half_topic0 = 0, first_half = 0;
    for (uint32_t w = 0; w < 10; ++w) {
      first_half_topic0 += r->word_topic[w * 2];
      first_half += r->word_topic[w * 2] + r->word_topic[w * 2 + 1];
    }
    const double share = static_cast<double>(first_half_topic0) / static_cast<double>(first_half);
    EXPECT_TRUE(share > 0.98 || share < 0.02) << SamplerKindName(kind) << " share " << share;
  }
}

TEST(SerialTrain, RefusesAnEmptyCorpus) {
  Corpus empty;
  empty.vocab = {"a"};
  absl::StatusOr<SerialResult> r = SerialTrain(empty, LdaParams{}, SamplerOptions{}, {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gaia::lda
