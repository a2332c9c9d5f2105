// The synthetic planted corpus: determinism, locality, shape (lengths,
// Zipf), topic skew per DC, the planted topics, and generation speed.
#include "apps/lda/synthetic.h"

#include <algorithm>
#include <ctime>
#include <cmath>
#include <numeric>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "apps/lda/doc_split.h"

namespace gaia::lda {
namespace {

SyntheticCorpus Make(const std::string& spec) {
  absl::StatusOr<SyntheticOptions> o = ParseSyntheticSpec(spec);
  EXPECT_TRUE(o.ok()) << o.status();
  absl::StatusOr<SyntheticCorpus> c = SyntheticCorpus::Create(*o);
  EXPECT_TRUE(c.ok()) << c.status();
  return std::move(*c);
}

TEST(Synthetic, DefaultsAreAScaledNyTimes) {
  absl::StatusOr<SyntheticOptions> o = ParseSyntheticSpec("synthetic");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->docs, 20000u);
  EXPECT_EQ(o->vocab, 10000u);
  EXPECT_EQ(o->topics, 50u);
  EXPECT_EQ(o->doc_length, 300);
  EXPECT_EQ(o->skew, 0);
}

TEST(Synthetic, SameSpecSameCorpus) {
  const std::string spec = "synthetic:docs=300,vocab=500,topics=8,seed=5";
  const LoadedCorpus a = Make(spec).Generate();
  const LoadedCorpus b = Make(spec).Generate();
  EXPECT_EQ(a.corpus.words, b.corpus.words);
  EXPECT_EQ(a.corpus.offsets, b.corpus.offsets);
  const LoadedCorpus c = Make("synthetic:docs=300,vocab=500,topics=8,seed=6").Generate();
  EXPECT_NE(a.corpus.words, c.corpus.words);
  EXPECT_EQ(a.corpus.vocab.front(), "w0");
  EXPECT_EQ(a.corpus.vocab.back(), "w499");
}

TEST(Synthetic, AWorkersPartEqualsFilteringTheWhole) {
  const std::string spec = "synthetic:docs=400,vocab=300,topics=6,dcs=2,dc=1,skew=0.7,test=0.2";
  const SyntheticCorpus g = Make(spec);
  // The whole DC share, then each part: part p holds share docs j % 3 == p.
  const LoadedCorpus share = g.Generate(0, 1);
  for (uint32_t p = 0; p < 3; ++p) {
    const LoadedCorpus part = g.Generate(p, 3);
    ASSERT_EQ(part.corpus.num_docs(), (share.corpus.num_docs() + 2 - p) / 3);
    for (size_t j = p, i = 0; j < share.corpus.num_docs(); j += 3, ++i) {
      EXPECT_TRUE(std::ranges::equal(part.corpus.doc(i), share.corpus.doc(j)));
    }
  }
  // A document is the same whoever generates it.
  std::vector<uint32_t> direct;
  g.AppendDocument(17, &direct);
  std::vector<uint32_t> again;
  Make("synthetic:docs=400,vocab=300,topics=6,dcs=2,dc=0,skew=0.7").AppendDocument(17, &again);
  EXPECT_EQ(direct, again);
}

TEST(Synthetic, LengthsAndWordFrequenciesHaveTheAskedShape) {
  const LoadedCorpus c =
      Make("synthetic:docs=3000,vocab=5000,topics=20,doc_length=200,zipf=1.0").Generate();
  const double mean = static_cast<double>(c.corpus.num_tokens()) / c.corpus.num_docs();
  EXPECT_NEAR(mean, 200, 10);
  size_t shortest = SIZE_MAX, longest = 0;
  for (size_t d = 0; d < c.corpus.num_docs(); ++d) {
    shortest = std::min(shortest, c.corpus.doc(d).size());
    longest = std::max(longest, c.corpus.doc(d).size());
  }
  EXPECT_GE(shortest, 1u);
  EXPECT_LT(shortest, 100u);  // a spread, not a constant
  EXPECT_GT(longest, 400u);
  EXPECT_EQ(c.stats.corpus_tokens, c.corpus.num_tokens());
  // Least-squares slope of log frequency over log rank, ranks 5..500.
  std::vector<double> freq(5000, 0);
  for (uint32_t w : c.corpus.words) freq[w] += 1;
  std::sort(freq.rbegin(), freq.rend());
  double sx = 0, sy = 0, sxx = 0, sxy = 0, n = 0;
  for (int r = 5; r <= 500; ++r) {
    const double x = std::log(r), y = std::log(freq[r - 1]);
    sx += x, sy += y, sxx += x * x, sxy += x * y, n += 1;
  }
  const double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  EXPECT_NEAR(slope, -1.0, 0.2);
}

// The mean planted topic mass that DC `dc`'s documents put on its block.
double OwnBlockMass(const std::string& spec, uint32_t dc, uint32_t dcs) {
  const SyntheticCorpus g = Make(absl::StrCat(spec, ",dc=", dc, ",dcs=", dcs));
  const uint32_t topics = g.options().topics;
  const uint32_t begin = dc * topics / dcs, end = (dc + 1) * topics / dcs;
  const DocSelector selector(g.options().split, g.options().docs, 0, 1);
  double mass = 0, docs = 0;
  for (uint64_t d = 0; d < g.options().docs; ++d) {
    if (selector.DcOf(d) != dc) continue;
    const std::vector<double> mix = g.DocTopicMix(d);
    for (uint32_t k = begin; k < end; ++k) mass += mix[k];
    docs += 1;
  }
  return mass / docs;
}

TEST(Synthetic, SkewPutsADcsTopicMassOnItsOwnBlock) {
  const std::string base = "synthetic:docs=2000,vocab=500,topics=12,doc_length=50,seed=4";
  for (uint32_t dc = 0; dc < 3; ++dc) {
    EXPECT_NEAR(OwnBlockMass(base + ",skew=0", dc, 3), 1.0 / 3, 0.05);
    // s + (1 - s) |block| / K = 0.8 + 0.2 / 3.
    EXPECT_NEAR(OwnBlockMass(base + ",skew=0.8", dc, 3), 0.8 + 0.2 / 3, 0.05);
    EXPECT_NEAR(OwnBlockMass(base + ",skew=1", dc, 3), 1.0, 1e-9);
  }
}

TEST(Synthetic, SkewedDocumentsUseTheirBlocksWords) {
  // Tokens of DC 0 vs DC 1 under full skew: each word's planted topic
  // posterior (uniform prior) puts more mass on the own block than IID does.
  const std::string base = "synthetic:docs=1000,vocab=2000,topics=10,doc_length=100,seed=4";
  auto own_share = [&](const std::string& spec, uint32_t dc) {
    const SyntheticCorpus g = Make(absl::StrCat(spec, ",dc=", dc, ",dcs=2"));
    const PlantedTopics t = g.topics();
    const LoadedCorpus c = g.Generate();
    double own = 0;
    for (uint32_t w : c.corpus.words) {
      double in = 0, all = 0;
      for (uint32_t k = 0; k < t.topics; ++k) {
        all += t.word_prob[k * t.vocab + w];
        if (k / 5 == dc) in += t.word_prob[k * t.vocab + w];
      }
      own += in / all;
    }
    return own / c.corpus.num_tokens();
  };
  for (uint32_t dc = 0; dc < 2; ++dc) {
    EXPECT_GT(own_share(base + ",skew=1", dc), own_share(base + ",skew=0", dc) + 0.08) << dc;
  }
}

TEST(Synthetic, PlantedTopicsAreDistributionsAndDistinct) {
  absl::StatusOr<PlantedTopics> t =
      LoadPlantedTopics("synthetic:vocab=3000,topics=12,seed=2,docs=10");
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->word_prob.size(), 12u * 3000u);
  for (uint32_t k = 0; k < t->topics; ++k) {
    const double* row = &t->word_prob[k * t->vocab];
    EXPECT_NEAR(std::accumulate(row, row + t->vocab, 0.0), 1.0, 1e-9);
    for (uint32_t j = 0; j < k; ++j) {
      const double* other = &t->word_prob[j * t->vocab];
      double tv = 0;
      for (uint32_t w = 0; w < t->vocab; ++w) tv += std::abs(row[w] - other[w]);
      EXPECT_GT(tv / 2, 0.3) << k << " vs " << j;
    }
  }
  EXPECT_FALSE(LoadPlantedTopics("synthetic:topics=0").ok());
  EXPECT_FALSE(LoadPlantedTopics("brown").ok());
}

TEST(Synthetic, GeneratesMillionsOfTokensPerSecond) {
  const SyntheticCorpus g = Make("synthetic:docs=20000,vocab=10000,topics=50,doc_length=300");
  // CPU time of this thread: the machine is shared, wall time is not ours.
  const std::clock_t start = std::clock();
  const LoadedCorpus c = g.Generate();
  const double s = static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
  const double rate = c.corpus.num_tokens() / s;
  std::printf("synthetic: %llu tokens in %.3f CPU s: %.1f M tokens/s\n",
              static_cast<unsigned long long>(c.corpus.num_tokens()), s, rate / 1e6);
#if defined(__SANITIZE_ADDRESS__) || !defined(NDEBUG)
  GTEST_SKIP() << "speed is measured in optimized builds only";
#else
  EXPECT_GT(rate, 3e6);
#endif
}

}  // namespace
}  // namespace gaia::lda
