// Collapsed Gibbs sampling for LDA over one worker's documents.
//
//   absl::StatusOr<Sampler> s = Sampler::Create(my_docs, params, options);
//   // words(): the distinct word ids of my_docs, ascending; row i of a
//   // CountsView's word_topic is word words()[i].
//   s->Initialize(delta);                 // random topics; counts into delta
//   for each clock:
//     counts = the rows as read (+ nothing else: read-my-writes holds them)
//     SweepStats st = s->Sweep(counts, delta);  // counts change in place too
//     push delta; zero it
//
// Two samplers, one interface:
//   kExact   the plain sampler: p(z=k) ∝ (n_dk + a)(n_wk + b)/(n_k + V b) over
//            all K topics per token. The reference the fast one is tested
//            against.
//   kAliasMh Metropolis-Hastings with alternating word and document
//            proposals (LightLDA, Yuan et al. 2015): the word proposal draws
//            from an alias table of (n_wk + b)/(n_k + V b) built per word at
//            the start of each sweep, the document proposal from the
//            document's current topics; O(1) per token per MH step, so the
//            cost per token hardly grows with K.
//
// Threads: documents are split over `threads`; word-topic and total counts
// are shared and updated with relaxed atomic adds, as in any multi-threaded
// LDA (AD-LDA-style staleness inside one sweep). A stale view can hold
// counts below zero; they are sampled as zero.
#ifndef GAIA_APPS_LDA_SAMPLER_H_
#define GAIA_APPS_LDA_SAMPLER_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "absl/status/statusor.h"
#include "apps/lda/corpus.h"
#include "apps/lda/lda_model.h"

namespace gaia::lda {

enum class SamplerKind { kExact, kAliasMh };

std::string_view SamplerKindName(SamplerKind kind);  // "exact", "alias-mh"

struct SamplerOptions {
  SamplerKind kind = SamplerKind::kAliasMh;
  // kAliasMh: word+doc proposal pairs per token. 4 is the smallest whose
  // log-likelihood trajectory tracks the exact sampler's (within 1% once
  // past the first steep sweeps, docs/APP_LDA_SAMPLER.md); 2 lags it by up to
  // 8% in sweeps 2-8 from a random start, then catches up.
  uint32_t mh_steps = 4;
  uint32_t threads = 1;     // 0: one per hardware thread
  uint64_t seed = 1;
};

// The counts a sweep reads and changes.
struct CountsView {
  std::span<int32_t> word_topic;   // words().size() x topics, row-major
  std::span<int64_t> totals;       // topics
};

struct SweepStats {
  uint64_t tokens = 0;     // tokens sampled
  uint64_t changed = 0;    // tokens whose topic changed
  double build_seconds = 0;  // kAliasMh: building the word proposals (part of the sweep)
};

class Sampler {
 public:
  // docs: this worker's training documents; every word id < params.vocab_size
  // (else INVALID_ARGUMENT naming the document and word). params.topics >= 2.
  static absl::StatusOr<Sampler> Create(const Corpus& docs, const LdaParams& params,
                                        const SamplerOptions& options);
  Sampler(Sampler&&) noexcept;
  Sampler& operator=(Sampler&&) noexcept;
  ~Sampler();

  std::span<const uint32_t> words() const;
  uint64_t num_tokens() const;
  size_t num_docs() const;
  const LdaParams& params() const;

  // Draws every token's topic uniformly and adds it to delta (a view of
  // zeros, or anything to add to).
  void Initialize(CountsView delta);

  // One pass over every token: remove its topic from counts, draw a new one
  // given counts, add it back; every change also goes into delta.
  SweepStats Sweep(CountsView counts, CountsView delta);

  // log p(z) of this worker's documents (lda_model.h), from the current
  // assignment.
  double DocLogLikelihood() const;

  // The document-topic counts of document d (dense, topics long).
  void DocTopicCounts(size_t d, std::span<int32_t> out) const;

  // Every token's current topic, in the corpus's order (document after
  // document, as Corpus::words). Valid until the next Initialize or Sweep.
  std::span<const uint32_t> topics() const;

 private:
  struct State;
  explicit Sampler(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_SAMPLER_H_
