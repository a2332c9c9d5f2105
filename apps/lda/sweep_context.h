// Internal to the sampler (sampler.cc, exact_sampler.cc, mh_sampler.cc): the
// token arrays, one thread's view of a sweep, and access to counts shared by
// the sweep's threads.
//
// Counts a token leaves and joins change in place with relaxed atomic adds
// when several threads sweep (kShared), plain adds otherwise; reads of them
// are relaxed loads, so a thread sees other threads' changes a little late,
// as in AD-LDA (Newman et al., JMLR 2009). Each change is also added to the
// delta; its word rows are shared (atomic adds, rarely contended) and its
// totals are per thread, summed after the threads join (every token touches
// the totals row, so shared adds there would bounce its cache lines).
#ifndef GAIA_APPS_LDA_SWEEP_CONTEXT_H_
#define GAIA_APPS_LDA_SWEEP_CONTEXT_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include "apps/lda/lda_model.h"
#include "apps/lda/random.h"
#include "apps/lda/sampler.h"

namespace gaia::lda::internal {

// Every token of a worker, document after document (structure of arrays:
// the sweep reads word and topic of consecutive tokens).
struct Tokens {
  std::vector<uint64_t> doc_offsets{0};  // doc d: [doc_offsets[d], doc_offsets[d + 1])
  std::vector<uint32_t> word;            // local word index: the row in a CountsView
  std::vector<uint32_t> topic;           // current topic, < K
};

template <bool kShared>
struct Shared {
  template <typename T>
  static T Load(const T* p) {
    if constexpr (kShared) {
      return std::atomic_ref<T>(*const_cast<T*>(p)).load(std::memory_order_relaxed);
    } else {
      return *p;
    }
  }
  template <typename T>
  static void Add(T* p, T v) {
    if constexpr (kShared) {
      std::atomic_ref<T>(*p).fetch_add(v, std::memory_order_relaxed);
    } else {
      *p += v;
    }
  }
};

// The constants of the conditional p(k) ∝ (n_dk + a)(n_wk + b)/(n_k + V b).
struct Priors {
  explicit Priors(const LdaParams& p)
      : topics(p.topics), alpha(p.alpha), beta(p.beta),
        vbeta(static_cast<double>(p.vocab_size) * p.beta),
        kalpha(static_cast<double>(p.topics) * p.alpha), inv_alpha(1.0 / p.alpha) {}
  uint32_t topics;
  double alpha, beta, vbeta, kalpha, inv_alpha;
};

// One thread's part of a sweep.
struct ThreadSweep {
  ThreadSweep(CountsView counts_in, CountsView delta_in, uint32_t topics, uint64_t seed)
      : counts(counts_in), delta(delta_in), delta_totals(topics, 0), doc_topic(topics, 0),
        rng(seed) {}

  CountsView counts;
  CountsView delta;                   // delta.totals is not touched: see delta_totals
  std::vector<int64_t> delta_totals;  // this thread's change of the totals
  std::vector<int32_t> doc_topic;     // n_dk of the document being swept; else zeros
  FastRandom rng;
  SweepStats stats;

  // Counts document [begin, end)'s topics into doc_topic, and back to zero.
  void LoadDoc(const Tokens& t, size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) ++doc_topic[t.topic[i]];
  }
  void ClearDoc(const Tokens& t, size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) doc_topic[t.topic[i]] = 0;
  }

  // A token of local word `word` moves from topic `from` to `to`.
  template <bool kShared>
  void Move(uint32_t word, uint32_t from, uint32_t to) {
    const size_t row = static_cast<size_t>(word) * doc_topic.size();
    using S = Shared<kShared>;
    S::Add(&counts.word_topic[row + from], -1);
    S::Add(&counts.word_topic[row + to], 1);
    S::Add(&counts.totals[from], int64_t{-1});
    S::Add(&counts.totals[to], int64_t{1});
    S::Add(&delta.word_topic[row + from], -1);
    S::Add(&delta.word_topic[row + to], 1);
    --delta_totals[from];
    ++delta_totals[to];
  }
};

// n + prior with n below zero (a stale view) read as zero.
inline double Smoothed(int64_t n, double prior) {
  return static_cast<double>(std::max<int64_t>(n, 0)) + prior;
}

}  // namespace gaia::lda::internal

#endif  // GAIA_APPS_LDA_SWEEP_CONTEXT_H_
