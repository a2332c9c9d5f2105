// How far estimated topics are from planted ones (a synthetic corpus's
// truth): the total-variation distance TV(p, q) = 1/2 sum_w |p_w - q_w| (in
// [0, 1]) between every planted and every estimated topic, then a matching:
//   - equal counts: the one-to-one matching of least total distance (the
//     assignment problem, solved exactly by the Hungarian method: Kuhn 1955,
//     Munkres 1957; here the O(n^3) shortest-augmenting-path form with
//     potentials, as in Jonker & Volgenant 1987), because topics come out in
//     any order and a greedy match can pair them wrongly;
//   - different counts: each planted topic's nearest estimated topic (an
//     estimated topic may serve several).
// The recovery criterion is the mean (and max) matched distance.
//
//   absl::StatusOr<TopicMatch> m = MatchTopics(planted, estimated);
//   m->mean_distance <= 0.1;  m->estimated_for_planted[k];
//
// Thread-compatible.
#ifndef GAIA_APPS_LDA_TOPIC_DISTANCE_H_
#define GAIA_APPS_LDA_TOPIC_DISTANCE_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "apps/lda/topic_matrix.h"

namespace gaia::lda {

// TV(a, b). REQUIRES a.size() == b.size().
double TotalVariation(std::span<const double> a, std::span<const double> b);

// Row-major planted.topics x estimated.topics matrix of TV distances.
// INVALID_ARGUMENT when the vocabularies differ in size or in a word
// (CheckVocabulary) or either matrix is malformed.
absl::StatusOr<std::vector<double>> DistanceMatrix(const TopicWordMatrix& planted,
                                                   const TopicWordMatrix& estimated);

// An assignment of rows to distinct columns with the least total cost:
// result[r] = the column of row r. costs: rows x cols, row-major, finite.
// REQUIRES rows <= cols.
std::vector<uint32_t> MinCostAssignment(std::span<const double> costs, uint32_t rows,
                                        uint32_t cols);

struct TopicMatch {
  bool one_to_one = false;                    // equal counts: an optimal assignment
  std::vector<uint32_t> estimated_for_planted;  // planted k -> estimated topic
  std::vector<double> distance;               // planted k -> TV to its match
  double mean_distance = 0;
  double max_distance = 0;
};

absl::StatusOr<TopicMatch> MatchTopics(const TopicWordMatrix& planted,
                                       const TopicWordMatrix& estimated);

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_TOPIC_DISTANCE_H_
