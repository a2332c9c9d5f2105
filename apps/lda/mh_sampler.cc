#include "apps/lda/mh_sampler.h"

#include <algorithm>

namespace gaia::lda::internal {
namespace {

constexpr int kMaxRedraws = 64;

template <bool kShared>
class MhSweeper {
 public:
  MhSweeper(const Priors& priors, const WordProposal& proposal, uint32_t mh_steps,
            Tokens& tokens, ThreadSweep& sweep)
      : p_(priors), q_(proposal), steps_(mh_steps), tokens_(tokens), sweep_(sweep) {}

  void Doc(size_t d) {
    const size_t begin = tokens_.doc_offsets[d], end = tokens_.doc_offsets[d + 1];
    sweep_.LoadDoc(tokens_, begin, end);
    for (size_t i = begin; i < end; ++i) {
      if (i + 2 < end) q_.Prefetch(tokens_.word[i + 2]);
      Token(begin, end, i);
    }
    sweep_.ClearDoc(tokens_, begin, end);
    sweep_.stats.tokens += end - begin;
  }

 private:
  using S = Shared<kShared>;

  // The chain's current topic and its factors, with the token left out.
  struct Current {
    uint32_t topic;
    double word;   // n_ws + b
    double total;  // n_s + V b
    double doc;    // n_ds + a
    double q;      // q_w(s), or < 0 while not yet needed
  };

  void Token(size_t begin, size_t end, size_t i) {
    const uint32_t w = tokens_.word[i];
    const uint32_t s0 = tokens_.topic[i];
    row_ = sweep_.counts.word_topic.data() + static_cast<size_t>(w) * p_.topics;
    own_ = s0;
    --sweep_.doc_topic[s0];
    own_weight_ = q_.WeightWithout(w, s0);
    own_keep_ = own_weight_ / q_.Weight(w, s0);
    Current cur{s0, WordCount(s0), TotalCount(s0), DocCount(s0), own_weight_};
    for (uint32_t step = 0; step < steps_; ++step) {
      WordStep(w, cur);
      DocStep(begin, end, i, cur);
    }
    ++sweep_.doc_topic[cur.topic];
    if (cur.topic != s0) {
      tokens_.topic[i] = cur.topic;
      sweep_.template Move<kShared>(w, s0, cur.topic);
      ++sweep_.stats.changed;
    }
  }

  void WordStep(uint32_t w, Current& cur) {
    const uint32_t t = DrawWithoutOwn(w);
    if (t == cur.topic) return;
    const double word = WordCount(t), total = TotalCount(t), doc = DocCount(t);
    if (cur.q < 0) cur.q = WeightWithoutOwn(w, cur.topic);
    const double q = WeightWithoutOwn(w, t);
    // p(t) q(s) / (p(s) q(t)) without a division.
    const double num = doc * word * cur.total * cur.q;
    const double den = cur.doc * cur.word * total * q;
    if (sweep_.rng.Uniform() * den < num) cur = Current{t, word, total, doc, q};
  }

  void DocStep(size_t begin, size_t end, size_t i, Current& cur) {
    const double n = static_cast<double>(end - begin);
    const double x = sweep_.rng.Uniform() * (n + p_.kalpha);
    uint32_t t;
    if (x < n) {
      const size_t j = begin + static_cast<size_t>(x);
      t = j == i ? cur.topic : tokens_.topic[j];
    } else {
      t = std::min(static_cast<uint32_t>((x - n) * p_.inv_alpha), p_.topics - 1);
    }
    if (t == cur.topic) return;
    const double word = WordCount(t), total = TotalCount(t);
    if (sweep_.rng.Uniform() * (cur.word * total) < word * cur.total) {
      cur = Current{t, word, total, DocCount(t), -1.0};
    }
  }

  // A draw from q_w with the token's own count left out (weight own_weight_
  // at own_, not Weight(w, own_)): since leaving it out only lowers own_'s
  // weight, a draw of own_ is kept with probability own_keep_ and drawn
  // again otherwise (rejection sampling). The proposal then depends on the
  // other tokens only, not on this token's topic, which the cycle's
  // acceptance ratios need to hold.
  uint32_t DrawWithoutOwn(uint32_t w) {
    for (int tries = 0; tries < kMaxRedraws; ++tries) {
      const uint32_t t = q_.Draw(w, sweep_.rng.NextU64());
      if (t != own_ || sweep_.rng.Uniform() < own_keep_) return t;
    }
    return own_;  // own_keep_ tiny and own_ drawn every time: stay
  }
  double WeightWithoutOwn(uint32_t w, uint32_t k) const {
    return k == own_ ? own_weight_ : q_.Weight(w, k);
  }

  // The counts with the token's own (at topic own_) left out, smoothed.
  double WordCount(uint32_t k) const {
    return Smoothed(S::Load(row_ + k) - (k == own_), p_.beta);
  }
  double TotalCount(uint32_t k) const {
    return Smoothed(S::Load(sweep_.counts.totals.data() + k) - (k == own_), p_.vbeta);
  }
  double DocCount(uint32_t k) const { return sweep_.doc_topic[k] + p_.alpha; }

  const Priors& p_;
  const WordProposal& q_;
  const uint32_t steps_;
  Tokens& tokens_;
  ThreadSweep& sweep_;
  const int32_t* row_ = nullptr;  // the current token's word row in counts
  uint32_t own_ = 0;              // the current token's topic before this sweep
  double own_weight_ = 0;         // q_.WeightWithout(w, own_)
  double own_keep_ = 1;           // own_weight_ / q_.Weight(w, own_)
};

}  // namespace

template <bool kShared>
void SweepAliasMh(const Priors& priors, const WordProposal& proposal, uint32_t mh_steps,
                  Tokens& tokens, size_t doc_begin, size_t doc_end, ThreadSweep& sweep) {
  MhSweeper<kShared> sweeper(priors, proposal, mh_steps, tokens, sweep);
  for (size_t d = doc_begin; d < doc_end; ++d) sweeper.Doc(d);
}

template void SweepAliasMh<false>(const Priors&, const WordProposal&, uint32_t, Tokens&,
                                  size_t, size_t, ThreadSweep&);
template void SweepAliasMh<true>(const Priors&, const WordProposal&, uint32_t, Tokens&,
                                 size_t, size_t, ThreadSweep&);

}  // namespace gaia::lda::internal
