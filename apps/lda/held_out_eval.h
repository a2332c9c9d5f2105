// Held-out per-token log-likelihood of a topic model by document completion
// (Wallach, Murray, Salakhutdinov & Mimno 2009, "Evaluation methods for topic
// models", §4-5): each held-out document's tokens are split in two halves;
// the first (estimation) half estimates the document's topic mix theta by
// Gibbs sampling with the topics phi held fixed, the second (scoring) half is
// scored as
//
//   log p(scoring half) = sum over its tokens w of log sum_k theta_k phi_kw
//
// theta is the average over `samples` Gibbs sweeps (after `burn_in` sweeps)
// of the posterior mean (n_dk + alpha) / (N_est + K alpha), where n_dk counts
// the estimation tokens assigned to topic k and each token's topic is drawn
// with p(z = k) ∝ (n_dk without the token + alpha) phi_kw. This point
// estimate of theta is the common "document completion" variant (as in
// Asuncion et al. 2009, "On smoothing and inference for topic models"); it
// scores any phi, so ours and a peer's topics are compared on equal terms.
//
//   HeldOutOptions options;            // alpha 0.1, 25 + 25 sweeps, seed 1
//   absl::StatusOr<HeldOutResult> r = DocumentCompletion(phi, test_docs, options);
//   r->per_token();                    // the number to compare
//
// The split (SplitForCompletion) is a seeded shuffle of the document's known
// tokens: the first ceil(n/2) estimate, the other floor(n/2) are scored. It
// depends only on (seed, document index, the document's tokens), so two
// models scored with the same seed see the same halves. Tokens whose word id
// is >= phi's vocabulary are skipped and counted (tokens_unknown); a document
// with fewer than 2 known tokens is skipped and counted (docs_skipped). The
// result does not depend on `threads`.
//
// Thread-compatible; DocumentCompletion uses `threads` threads internally.
#ifndef GAIA_APPS_LDA_HELD_OUT_EVAL_H_
#define GAIA_APPS_LDA_HELD_OUT_EVAL_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "apps/lda/corpus.h"
#include "apps/lda/topic_matrix.h"

namespace gaia::lda {

struct HeldOutOptions {
  double alpha = 0.1;        // symmetric document-topic prior (> 0)
  uint32_t burn_in = 25;     // Gibbs sweeps over the estimation half, discarded
  uint32_t samples = 25;     // sweeps after burn-in whose theta are averaged (>= 1)
  uint64_t seed = 1;         // the split and the sampler
  uint32_t threads = 1;      // documents split over threads; 0: one per core
};

struct HeldOutResult {
  double loglik = 0;              // sum over scored tokens of log p(w)
  uint64_t tokens_scored = 0;     // tokens in the scoring halves
  uint64_t tokens_estimated = 0;  // tokens in the estimation halves
  uint64_t docs_scored = 0;
  uint64_t docs_skipped = 0;      // fewer than 2 known tokens
  uint64_t tokens_unknown = 0;    // word id >= the model's vocabulary; not used

  // loglik / tokens_scored, or 0 when nothing was scored.
  double per_token() const {
    return tokens_scored == 0 ? 0.0 : loglik / static_cast<double>(tokens_scored);
  }
};

// INVALID_ARGUMENT when options are out of range or phi is malformed
// (ValidateTopicMatrix), or when a token's word has probability 0 under
// every topic (the model cannot score it; naming the document and word).
absl::StatusOr<HeldOutResult> DocumentCompletion(const TopicWordMatrix& phi,
                                                 const Corpus& test,
                                                 const HeldOutOptions& options);

// The two halves of one document (its tokens with ids < vocab_size only).
struct CompletionSplit {
  std::vector<uint32_t> estimate;  // ceil(n / 2) tokens
  std::vector<uint32_t> score;     // floor(n / 2) tokens
};
CompletionSplit SplitForCompletion(std::span<const uint32_t> doc, uint32_t vocab_size,
                                   uint64_t seed, uint64_t doc_index);

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_HELD_OUT_EVAL_H_
