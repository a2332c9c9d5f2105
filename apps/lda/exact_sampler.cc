#include "apps/lda/exact_sampler.h"

#include <algorithm>
#include <vector>

namespace gaia::lda::internal {
namespace {

template <bool kShared>
class ExactSweeper {
 public:
  ExactSweeper(const Priors& priors, Tokens& tokens, ThreadSweep& sweep)
      : p_(priors), tokens_(tokens), sweep_(sweep), cdf_(priors.topics) {}

  void Doc(size_t d) {
    const size_t begin = tokens_.doc_offsets[d], end = tokens_.doc_offsets[d + 1];
    sweep_.LoadDoc(tokens_, begin, end);
    for (size_t i = begin; i < end; ++i) Token(i);
    sweep_.ClearDoc(tokens_, begin, end);
    sweep_.stats.tokens += end - begin;
  }

 private:
  using S = Shared<kShared>;

  void Token(size_t i) {
    const uint32_t w = tokens_.word[i];
    const uint32_t s = tokens_.topic[i];
    const int32_t* row = sweep_.counts.word_topic.data() + static_cast<size_t>(w) * p_.topics;
    const int64_t* totals = sweep_.counts.totals.data();
    int32_t* nd = sweep_.doc_topic.data();
    --nd[s];
    double sum = 0;
    for (uint32_t k = 0; k < p_.topics; ++k) {
      const int own = k == s;  // the token's own count, left out
      sum += (nd[k] + p_.alpha) * Smoothed(S::Load(row + k) - own, p_.beta) /
             Smoothed(S::Load(totals + k) - own, p_.vbeta);
      cdf_[k] = sum;
    }
    const double u = sweep_.rng.Uniform() * sum;
    const uint32_t t = static_cast<uint32_t>(
        std::min<size_t>(std::upper_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin(),
                         p_.topics - 1));
    ++nd[t];
    if (t != s) {
      tokens_.topic[i] = t;
      sweep_.template Move<kShared>(w, s, t);
      ++sweep_.stats.changed;
    }
  }

  const Priors& p_;
  Tokens& tokens_;
  ThreadSweep& sweep_;
  std::vector<double> cdf_;  // running sum of the conditional over topics
};

}  // namespace

template <bool kShared>
void SweepExact(const Priors& priors, Tokens& tokens, size_t doc_begin, size_t doc_end,
                ThreadSweep& sweep) {
  ExactSweeper<kShared> sweeper(priors, tokens, sweep);
  for (size_t d = doc_begin; d < doc_end; ++d) sweeper.Doc(d);
}

template void SweepExact<false>(const Priors&, Tokens&, size_t, size_t, ThreadSweep&);
template void SweepExact<true>(const Priors&, Tokens&, size_t, size_t, ThreadSweep&);

}  // namespace gaia::lda::internal
