#include "apps/lda/topic_distance.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"

namespace gaia::lda {

double TotalVariation(std::span<const double> a, std::span<const double> b) {
  double sum = 0;
  for (size_t w = 0; w < a.size(); ++w) sum += std::abs(a[w] - b[w]);
  return 0.5 * sum;
}

absl::StatusOr<std::vector<double>> DistanceMatrix(const TopicWordMatrix& planted,
                                                   const TopicWordMatrix& estimated) {
  if (absl::Status s = ValidateTopicMatrix(planted); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("planted topics: ", s.message()));
  }
  if (absl::Status s = ValidateTopicMatrix(estimated); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("estimated topics: ", s.message()));
  }
  if (planted.vocab_size() != estimated.vocab_size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "vocabulary mismatch: the planted topics have ", planted.vocab_size(),
        " words, the estimated ", estimated.vocab_size()));
  }
  if (absl::Status s = CheckVocabulary(planted.vocab, estimated.vocab, "planted topics");
      !s.ok()) {
    return s;
  }
  std::vector<double> d(size_t{planted.topics} * estimated.topics);
  for (uint32_t p = 0; p < planted.topics; ++p) {
    for (uint32_t e = 0; e < estimated.topics; ++e) {
      d[size_t{p} * estimated.topics + e] = TotalVariation(planted.topic(p), estimated.topic(e));
    }
  }
  return d;
}

// The Hungarian method with row and column potentials u, v: rows are added
// one at a time, each by a shortest augmenting path (Dijkstra over reduced
// costs c(i, j) - u_i - v_j >= 0). Index 0 is a virtual column; p[j] is the
// row (1-based) holding column j, way[j] the previous column on the path.
std::vector<uint32_t> MinCostAssignment(std::span<const double> costs, uint32_t rows,
                                        uint32_t cols) {
  const double inf = std::numeric_limits<double>::infinity();
  auto cost = [&](uint32_t i, uint32_t j) { return costs[size_t{i - 1} * cols + (j - 1)]; };
  std::vector<double> u(rows + 1, 0.0), v(cols + 1, 0.0);
  std::vector<uint32_t> p(cols + 1, 0), way(cols + 1, 0);
  for (uint32_t i = 1; i <= rows; ++i) {
    p[0] = i;
    uint32_t j0 = 0;
    std::vector<double> minv(cols + 1, inf);
    std::vector<bool> used(cols + 1, false);
    do {
      used[j0] = true;
      const uint32_t i0 = p[j0];
      double delta = inf;
      uint32_t j1 = 0;
      for (uint32_t j = 1; j <= cols; ++j) {
        if (used[j]) continue;
        const double reduced = cost(i0, j) - u[i0] - v[j];
        if (reduced < minv[j]) {
          minv[j] = reduced;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (uint32_t j = 0; j <= cols; ++j) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] != 0);
    do {  // flip the augmenting path
      const uint32_t j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<uint32_t> assignment(rows, 0);
  for (uint32_t j = 1; j <= cols; ++j) {
    if (p[j] != 0) assignment[p[j] - 1] = j - 1;
  }
  return assignment;
}

absl::StatusOr<TopicMatch> MatchTopics(const TopicWordMatrix& planted,
                                       const TopicWordMatrix& estimated) {
  absl::StatusOr<std::vector<double>> d = DistanceMatrix(planted, estimated);
  if (!d.ok()) return d.status();
  const uint32_t e_count = estimated.topics;
  TopicMatch m;
  m.one_to_one = planted.topics == e_count;
  if (m.one_to_one) {
    m.estimated_for_planted = MinCostAssignment(*d, planted.topics, e_count);
  } else {
    for (uint32_t p = 0; p < planted.topics; ++p) {
      const auto row = d->begin() + static_cast<ptrdiff_t>(size_t{p} * e_count);
      m.estimated_for_planted.push_back(
          static_cast<uint32_t>(std::min_element(row, row + e_count) - row));
    }
  }
  for (uint32_t p = 0; p < planted.topics; ++p) {
    const double x = (*d)[size_t{p} * e_count + m.estimated_for_planted[p]];
    m.distance.push_back(x);
    m.mean_distance += x;
    m.max_distance = std::max(m.max_distance, x);
  }
  m.mean_distance /= planted.topics;
  return m;
}

}  // namespace gaia::lda
