#include "apps/lda/word_proposal.h"

#include <algorithm>
#include <numeric>

#include "apps/lda/parallel.h"

namespace gaia::lda {

void WordProposal::Build(std::span<const int32_t> rows, std::span<const int64_t> totals,
                         const LdaParams& params, uint32_t threads) {
  topics_ = params.topics;
  beta_ = params.beta;
  const size_t words = rows.size() / topics_;
  vbeta_ = static_cast<double>(params.vocab_size) * params.beta;
  totals_.resize(topics_);
  inv_total_.resize(topics_);
  double dense_sum = 0;
  for (uint32_t k = 0; k < topics_; ++k) {
    totals_[k] = std::max<int64_t>(totals[k], 0);
    inv_total_[k] = 1.0 / (static_cast<double>(totals_[k]) + vbeta_);
    dense_sum += inv_total_[k];
  }
  dense_mass_ = beta_ * dense_sum;
  std::vector<uint32_t> ids(topics_);
  std::iota(ids.begin(), ids.end(), 0u);
  dense_.resize(topics_);
  AliasBuilder().Build(inv_total_, ids, dense_);

  snapshot_.resize(rows.size());
  headers_.assign(words, WordHeader{});
  ParallelFor(words, threads, [&](size_t b, size_t e, uint32_t) { CopyRows(rows, b, e); });
  uint64_t entries = 0;
  for (WordHeader& h : headers_) {
    h.begin = entries;
    entries += h.size;
  }
  sparse_.resize(entries);
  ParallelFor(words, threads, [&](size_t b, size_t e, uint32_t) { BuildWords(b, e); });
}

void WordProposal::CopyRows(std::span<const int32_t> rows, size_t begin, size_t end) {
  for (size_t w = begin; w < end; ++w) {
    const int32_t* in = rows.data() + w * topics_;
    int32_t* out = snapshot_.data() + w * topics_;
    uint32_t nonzero = 0;
    for (uint32_t k = 0; k < topics_; ++k) {
      const int32_t v = std::max(in[k], 0);
      out[k] = v;
      nonzero += v > 0;
    }
    headers_[w].size = nonzero;
  }
}

void WordProposal::BuildWords(size_t begin, size_t end) {
  AliasBuilder builder;
  std::vector<double> weights;
  std::vector<uint32_t> ids;
  for (size_t w = begin; w < end; ++w) {
    WordHeader& h = headers_[w];
    if (h.size == 0) continue;  // sparse_threshold 0: always the dense part
    weights.clear();
    ids.clear();
    const int32_t* row = snapshot_.data() + w * topics_;
    double mass = 0;
    for (uint32_t k = 0; k < topics_; ++k) {
      if (row[k] == 0) continue;
      weights.push_back(row[k] * inv_total_[k]);
      ids.push_back(k);
      mass += weights.back();
    }
    builder.Build(weights, ids, std::span<AliasEntry>(sparse_).subspan(h.begin, h.size));
    h.sparse_threshold = ProbabilityToThreshold(mass / (mass + dense_mass_));
  }
}

}  // namespace gaia::lda
