#include "apps/lda/topic_distance.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gaia::lda {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

double TotalCost(const std::vector<double>& c, uint32_t cols,
                 const std::vector<uint32_t>& assignment) {
  double sum = 0;
  for (size_t r = 0; r < assignment.size(); ++r) sum += c[r * cols + assignment[r]];
  return sum;
}

// The least total over every assignment of rows to distinct columns.
double BruteForce(const std::vector<double>& c, uint32_t rows, uint32_t cols) {
  std::vector<uint32_t> perm(cols);
  std::iota(perm.begin(), perm.end(), 0u);
  double best = std::numeric_limits<double>::infinity();
  do {
    best = std::min(best, TotalCost(c, cols, {perm.begin(), perm.begin() + rows}));
  } while (std::next_permutation(perm.begin(), perm.end()));
  return best;
}

TEST(TopicDistance, HungarianBeatsTheGreedyMatching) {
  // Greedy (row 0 takes its cheapest column 0, row 1 gets column 1) pays
  // 1 + 100; the optimum crosses over for 2 + 2.
  const std::vector<double> c = {1, 2,
                                 2, 100};
  EXPECT_THAT(MinCostAssignment(c, 2, 2), ElementsAre(1u, 0u));
  // Greedy on the smallest entry overall (0.1 at row 0, column 0), then 1,
  // then 9 pays 10.1; the optimum pays 1 + 1 + 1.
  const std::vector<double> d = {0.1, 1, 9,
                                 1, 9, 9,
                                 9, 9, 1};
  const std::vector<uint32_t> a = MinCostAssignment(d, 3, 3);
  EXPECT_DOUBLE_EQ(TotalCost(d, 3, a), 3.0);
}

TEST(TopicDistance, HungarianIsOptimalOnRandomMatrices) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  for (int trial = 0; trial < 50; ++trial) {
    const uint32_t rows = 1 + trial % 6;
    const uint32_t cols = rows + (trial % 3 == 0 ? 1 : 0);
    std::vector<double> c(size_t{rows} * cols);
    for (double& x : c) x = u(rng);
    const std::vector<uint32_t> a = MinCostAssignment(c, rows, cols);
    std::vector<uint32_t> sorted = a;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end()) << "distinct";
    EXPECT_NEAR(TotalCost(c, cols, a), BruteForce(c, rows, cols), 1e-12) << "trial " << trial;
  }
}

TopicWordMatrix Topics(uint32_t k, std::vector<double> phi) {
  TopicWordMatrix m;
  m.topics = k;
  m.phi = std::move(phi);
  for (size_t w = 0; w < m.phi.size() / k; ++w) m.vocab.push_back("w" + std::to_string(w));
  return m;
}

TEST(TopicDistance, MatchesPermutedTopicsAndReportsTheirDistance) {
  const TopicWordMatrix planted = Topics(3, {0.5, 0.5, 0, 0,
                                             0, 0, 1, 0,
                                             0.25, 0.25, 0.25, 0.25});
  const TopicWordMatrix estimated = Topics(3, {0, 0, 0.9, 0.1,      // planted 1: TV 0.1
                                               0.25, 0.25, 0.25, 0.25,  // planted 2: TV 0
                                               0.4, 0.6, 0, 0});     // planted 0: TV 0.1
  absl::StatusOr<TopicMatch> m = MatchTopics(planted, estimated);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(m->one_to_one);
  EXPECT_THAT(m->estimated_for_planted, ElementsAre(2u, 0u, 1u));
  EXPECT_NEAR(m->distance[0], 0.1, 1e-12);
  EXPECT_NEAR(m->distance[1], 0.1, 1e-12);
  EXPECT_NEAR(m->distance[2], 0.0, 1e-12);
  EXPECT_NEAR(m->mean_distance, 0.2 / 3, 1e-12);
  EXPECT_NEAR(m->max_distance, 0.1, 1e-12);
}

TEST(TopicDistance, UnequalCountsTakeTheNearestPerPlantedTopic) {
  const TopicWordMatrix planted = Topics(2, {1, 0, 0, 1});
  const TopicWordMatrix estimated = Topics(3, {0.8, 0.2, 0.9, 0.1, 0.5, 0.5});
  absl::StatusOr<TopicMatch> m = MatchTopics(planted, estimated);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_FALSE(m->one_to_one);
  EXPECT_THAT(m->estimated_for_planted, ElementsAre(1u, 2u));
  EXPECT_NEAR(m->max_distance, 0.5, 1e-12);
  EXPECT_NEAR(m->mean_distance, 0.3, 1e-12);
}

TEST(TopicDistance, DifferentVocabulariesAreErrors) {
  const TopicWordMatrix planted = Topics(1, {0.5, 0.5});
  EXPECT_THAT(MatchTopics(planted, Topics(1, {0.5, 0.25, 0.25})).status().message(),
              HasSubstr("vocabulary mismatch"));
  TopicWordMatrix renamed = Topics(1, {0.5, 0.5});
  renamed.vocab[1] = "other";
  EXPECT_THAT(MatchTopics(planted, renamed).status().message(), HasSubstr("word id 1"));
}

}  // namespace
}  // namespace gaia::lda
