#include "apps/lda/coherence.h"

#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gaia::lda {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Words a=0, b=1, c=2, d=3; each row lists its words most probable first.
TopicWordMatrix TwoTopics() {
  TopicWordMatrix m;
  m.topics = 2;
  m.vocab = {"a", "b", "c", "d"};
  m.phi = {0.4, 0.3, 0.2, 0.1,    // top 3: a, b, c
           0.3, 0.2, 0.1, 0.4};   // top 3: d, a, b
  return m;
}

// d0 = {a, a, b, c}, d1 = {a, b}, d2 = {c, d}: P(a) = P(b) = P(c) = 2/3,
// P(d) = 1/3, P(a,b) = 2/3, P(a,c) = P(b,c) = 1/3, P(d,a) = P(d,b) = 0.
Corpus ThreeDocs() {
  Corpus c;
  c.vocab = {"a", "b", "c", "d"};
  c.AddDoc(std::vector<uint32_t>{0, 0, 1, 2});
  c.AddDoc(std::vector<uint32_t>{0, 1});
  c.AddDoc(std::vector<uint32_t>{2, 3});
  return c;
}

TEST(Coherence, NpmiOfAThreeDocumentReferenceByHand) {
  CoherenceOptions o;
  o.top_n = 3;
  absl::StatusOr<CoherenceResult> r = NpmiCoherence(TwoTopics(), ThreeDocs(), o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->top_words[0], ElementsAre(0u, 1u, 2u));
  EXPECT_THAT(r->top_words[1], ElementsAre(3u, 0u, 1u));
  // (a,b): log((2/3) / (4/9)) / -log(2/3) = log 1.5 / log 1.5 = 1.
  // (a,c), (b,c): log((1/3) / (4/9)) / -log(1/3) = log(3/4) / log 3.
  const double ac = std::log(0.75) / std::log(3.0);
  EXPECT_NEAR(r->per_topic[0], (1.0 + 2 * ac) / 3, 1e-12);
  // (d,a), (d,b) never co-occur: -1 each; (a,b): 1.
  EXPECT_NEAR(r->per_topic[1], -1.0 / 3, 1e-12);
  EXPECT_NEAR(r->mean, ((1.0 + 2 * ac) / 3 - 1.0 / 3) / 2, 1e-12);
  EXPECT_EQ(r->reference_docs, 3u);
}

TEST(Coherence, NpmiConventionsAtTheEnds) {
  EXPECT_DOUBLE_EQ(Npmi(2, 3, 0, 10), -1.0);   // never together
  EXPECT_DOUBLE_EQ(Npmi(10, 10, 10, 10), 1.0);  // in every document
  EXPECT_NEAR(Npmi(4, 4, 4, 10), 1.0, 1e-12);   // always together
  EXPECT_NEAR(Npmi(5, 4, 2, 10), 0.0, 1e-12);   // independent: P(ij) = P(i) P(j)
}

TEST(Coherence, TopWordsBreakTiesByLowerIdAndStopAtTheVocabulary) {
  TopicWordMatrix m;
  m.topics = 1;
  m.vocab = {"a", "b", "c"};
  m.phi = {0.25, 0.5, 0.25};
  EXPECT_THAT(TopWords(m, 2)[0], ElementsAre(1u, 0u));
  EXPECT_THAT(TopWords(m, 10)[0], ElementsAre(1u, 0u, 2u));
}

TEST(Coherence, BadOptionsOrEmptyReferenceAreErrors) {
  CoherenceOptions o;
  o.top_n = 1;
  EXPECT_THAT(NpmiCoherence(TwoTopics(), ThreeDocs(), o).status().message(),
              HasSubstr("top_n is 1"));
  Corpus empty;
  empty.vocab = {"a", "b", "c", "d"};
  EXPECT_FALSE(NpmiCoherence(TwoTopics(), empty, {}).ok());
}

TEST(Coherence, ReferenceWordsOutsideTheModelAreIgnored) {
  Corpus c = ThreeDocs();
  c.vocab.push_back("e");
  c.AddDoc(std::vector<uint32_t>{4, 4});  // a fourth document with an unknown word only
  CoherenceOptions o;
  o.top_n = 2;
  absl::StatusOr<CoherenceResult> r = NpmiCoherence(TwoTopics(), c, o);
  ASSERT_TRUE(r.ok()) << r.status();
  // Topic 0's pair (a, b): P(a) = P(b) = P(a,b) = 2/4: log 2 / log 2 = 1.
  EXPECT_NEAR(r->per_topic[0], 1.0, 1e-12);
}

}  // namespace
}  // namespace gaia::lda
