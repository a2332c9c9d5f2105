// The alias Metropolis-Hastings sampler (LightLDA: Yuan et al., WWW 2015,
// "cycle proposal"): per token, `mh_steps` pairs of
//   a word proposal  t ~ q_w(t) ∝ (n̂_wt + b)/(n̂_t + V b) (word_proposal.h),
//   a doc proposal   t ~ (n_dt + a)/(N_d + K a): the topic of a uniformly
//                    picked token of the document (the token itself
//                    counting at its current state) with probability
//                    N_d/(N_d + K a), else a uniform topic,
// each accepted with the exact Metropolis-Hastings probability
// min(1, p(t) q(s) / (p(s) q(t))) against the current counts with the
// token's own count left out, where p is the full conditional
// (exact_sampler.h). For the doc proposal the doc factors cancel:
// min(1, (n_wt + b)(n_s + V b) / ((n_ws + b)(n_t + V b))). Each step leaves
// p invariant and the doc proposal reaches every topic, so the token's
// topic is a valid Gibbs-within-MH draw whatever mh_steps is; more steps
// bring it closer to an exact draw. O(mh_steps) per token, whatever K is.
//
// Internal to the sampler (sampler.cc picks the kernel).
#ifndef GAIA_APPS_LDA_MH_SAMPLER_H_
#define GAIA_APPS_LDA_MH_SAMPLER_H_

#include <cstddef>
#include <cstdint>

#include "apps/lda/sweep_context.h"
#include "apps/lda/word_proposal.h"

namespace gaia::lda::internal {

// Sweeps documents [doc_begin, doc_end) of `tokens` with the proposal built
// for this sweep; see sweep_context.h for kShared.
template <bool kShared>
void SweepAliasMh(const Priors& priors, const WordProposal& proposal, uint32_t mh_steps,
                  Tokens& tokens, size_t doc_begin, size_t doc_end, ThreadSweep& sweep);

}  // namespace gaia::lda::internal

#endif  // GAIA_APPS_LDA_MH_SAMPLER_H_
