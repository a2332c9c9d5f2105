#include "apps/lda/coherence.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"

namespace gaia::lda {
namespace {

// For each word in `words`, the ascending ids of the reference documents
// holding it.
std::vector<std::vector<uint32_t>> PostingLists(const Corpus& reference,
                                                const std::vector<uint32_t>& words,
                                                uint32_t vocab_size) {
  std::vector<int32_t> slot(vocab_size, -1);
  for (size_t i = 0; i < words.size(); ++i) slot[words[i]] = static_cast<int32_t>(i);
  std::vector<std::vector<uint32_t>> postings(words.size());
  for (size_t d = 0; d < reference.num_docs(); ++d) {
    for (uint32_t w : reference.doc(d)) {
      if (w >= vocab_size || slot[w] < 0) continue;
      std::vector<uint32_t>& list = postings[static_cast<size_t>(slot[w])];
      if (list.empty() || list.back() != d) list.push_back(static_cast<uint32_t>(d));
    }
  }
  return postings;
}

uint64_t IntersectionSize(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  uint64_t n = 0;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] < b[j]) {
      ++i;
    } else if (b[j] < a[i]) {
      ++j;
    } else {
      ++n;
      ++i;
      ++j;
    }
  }
  return n;
}

}  // namespace

std::vector<std::vector<uint32_t>> TopWords(const TopicWordMatrix& phi, uint32_t n) {
  const uint32_t v = phi.vocab_size();
  const uint32_t take = std::min(n, v);
  std::vector<std::vector<uint32_t>> top(phi.topics);
  std::vector<uint32_t> ids(v);
  for (uint32_t k = 0; k < phi.topics; ++k) {
    std::span<const double> row = phi.topic(k);
    std::iota(ids.begin(), ids.end(), 0u);
    std::partial_sort(ids.begin(), ids.begin() + take, ids.end(), [&](uint32_t a, uint32_t b) {
      return row[a] != row[b] ? row[a] > row[b] : a < b;
    });
    top[k].assign(ids.begin(), ids.begin() + take);
  }
  return top;
}

double Npmi(uint64_t docs_i, uint64_t docs_j, uint64_t docs_both, uint64_t docs) {
  if (docs_both == 0) return -1.0;
  if (docs_both == docs) return 1.0;
  const double d = static_cast<double>(docs);
  const double p_ij = static_cast<double>(docs_both) / d;
  const double p_i = static_cast<double>(docs_i) / d;
  const double p_j = static_cast<double>(docs_j) / d;
  return std::log(p_ij / (p_i * p_j)) / -std::log(p_ij);
}

absl::StatusOr<CoherenceResult> NpmiCoherence(const TopicWordMatrix& phi,
                                              const Corpus& reference,
                                              const CoherenceOptions& options) {
  if (options.top_n < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("coherence: top_n is ", options.top_n, ", need at least 2 words"));
  }
  if (absl::Status s = ValidateTopicMatrix(phi); !s.ok()) return s;
  if (phi.vocab_size() < 2 || reference.num_docs() == 0) {
    return absl::InvalidArgumentError(
        "coherence: need a vocabulary of 2 words or more and a non-empty reference corpus");
  }
  CoherenceResult result;
  result.top_words = TopWords(phi, options.top_n);
  result.reference_docs = reference.num_docs();
  std::vector<uint32_t> all;
  for (const std::vector<uint32_t>& t : result.top_words) all.insert(all.end(), t.begin(), t.end());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  const std::vector<std::vector<uint32_t>> postings =
      PostingLists(reference, all, phi.vocab_size());
  auto posting = [&](uint32_t w) -> const std::vector<uint32_t>& {
    return postings[static_cast<size_t>(std::lower_bound(all.begin(), all.end(), w) -
                                        all.begin())];
  };
  for (const std::vector<uint32_t>& words : result.top_words) {
    double sum = 0;
    uint64_t pairs = 0;
    for (size_t i = 0; i < words.size(); ++i) {
      for (size_t j = i + 1; j < words.size(); ++j) {
        const std::vector<uint32_t>& a = posting(words[i]);
        const std::vector<uint32_t>& b = posting(words[j]);
        sum += Npmi(a.size(), b.size(), IntersectionSize(a, b), result.reference_docs);
        ++pairs;
      }
    }
    result.per_topic.push_back(sum / static_cast<double>(pairs));
  }
  result.mean = std::accumulate(result.per_topic.begin(), result.per_topic.end(), 0.0) /
                static_cast<double>(result.per_topic.size());
  return result;
}

}  // namespace gaia::lda
