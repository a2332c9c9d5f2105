// The word proposal of the alias Metropolis-Hastings sampler (LightLDA, Yuan
// et al., WWW 2015, §3): for word w,
//
//   q_w(k) ∝ (n̂_wk + b) / (n̂_k + V b)
//          = n̂_wk / (n̂_k + V b)   [sparse: the topics w has]
//          + b / (n̂_k + V b)      [dense: the same for every word]
//
// where n̂ are the counts as they were when the proposal was built (the start
// of a sweep; below zero counts as zero). The dense part is one alias table
// over K topics shared by all words; each word has an alias table over only
// its nonzero topics, and a draw picks the part by its mass. So a build costs
// O(K + words x K) for the scan of the rows (vectorized) plus O(nonzeros) for
// the tables, and a draw is O(1).
//
//   WordProposal q;
//   q.Build(rows, totals, params, threads);   // rows: words x K, as read
//   uint32_t t = q.Draw(w, rng.NextU64());
//   double ratio = q.Weight(w, s) / q.Weight(w, t);   // for the acceptance
//
// Weight() needs n̂_wk for any k, so the build keeps a copy of the rows (the
// same size as the counts): the MH acceptance is then exact.
//
// Thread-safety: Build() is not; the const methods are, once built.
#ifndef GAIA_APPS_LDA_WORD_PROPOSAL_H_
#define GAIA_APPS_LDA_WORD_PROPOSAL_H_

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "apps/lda/alias_table.h"
#include "apps/lda/lda_model.h"

namespace gaia::lda {

class WordProposal {
 public:
  // rows: num_words x params.topics, row-major; totals: params.topics.
  // `threads` (>= 1) threads build it.
  void Build(std::span<const int32_t> rows, std::span<const int64_t> totals,
             const LdaParams& params, uint32_t threads);

  // A topic drawn from q_w, with 64 random bits.
  uint32_t Draw(uint32_t word, uint64_t bits) const {
    const WordHeader& h = headers_[word];
    if (static_cast<uint32_t>(bits) < h.sparse_threshold) {
      return DrawAlias(sparse_.data() + h.begin, h.size, bits);
    }
    return DrawAlias(dense_.data(), topics_, bits);
  }

  // q_w(k) up to a factor that depends on w only.
  double Weight(uint32_t word, uint32_t k) const {
    return (snapshot_[static_cast<size_t>(word) * topics_ + k] + beta_) * inv_total_[k];
  }

  // q_w(k) with one token of w at topic k left out of n̂_wk and n̂_k (same
  // factor as Weight): the proposal a token at topic k must use so that it
  // does not depend on the token's own topic (mh_sampler.h).
  double WeightWithout(uint32_t word, uint32_t k) const {
    const int32_t n = snapshot_[static_cast<size_t>(word) * topics_ + k];
    return (std::max(n - 1, 0) + beta_) /
           (static_cast<double>(std::max<int64_t>(totals_[k] - 1, 0)) + vbeta_);
  }

  // Hints the cache to load what Draw(word) reads first.
  void Prefetch(uint32_t word) const { __builtin_prefetch(&headers_[word]); }

 private:
  struct WordHeader {
    uint64_t begin = 0;             // first entry in sparse_
    uint32_t size = 0;              // nonzero topics of the word
    uint32_t sparse_threshold = 0;  // P(sparse part) out of 2^32
  };
  // Copies rows [begin, end) into snapshot_ (clamped at 0), counting nonzeros.
  void CopyRows(std::span<const int32_t> rows, size_t begin, size_t end);
  // Builds the sparse tables of words [begin, end).
  void BuildWords(size_t begin, size_t end);

  uint32_t topics_ = 0;
  double beta_ = 0;
  double vbeta_ = 0;
  double dense_mass_ = 0;          // b * sum_k inv_total_[k]
  std::vector<int32_t> snapshot_;   // n̂_wk, words x K
  std::vector<int64_t> totals_;     // n̂_k
  std::vector<double> inv_total_;   // 1 / (n̂_k + V b)
  std::vector<AliasEntry> dense_;   // ∝ inv_total_
  std::vector<WordHeader> headers_;
  std::vector<AliasEntry> sparse_;  // each word's table ∝ n̂_wk inv_total_k, n̂_wk > 0
};

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_WORD_PROPOSAL_H_
