// The exact collapsed Gibbs sampler (Griffiths & Steyvers, PNAS 2004): each
// token's topic is drawn from its full conditional
//
//   p(z = k | rest) ∝ (n_dk + a)(n_wk + b) / (n_k + V b)
//
// with the token's own count left out of every n, over all K topics: O(K)
// per token. The reference the alias-MH sampler is tested against.
//
// Internal to the sampler (sampler.cc picks the kernel).
#ifndef GAIA_APPS_LDA_EXACT_SAMPLER_H_
#define GAIA_APPS_LDA_EXACT_SAMPLER_H_

#include <cstddef>

#include "apps/lda/sweep_context.h"

namespace gaia::lda::internal {

// Sweeps documents [doc_begin, doc_end) of `tokens`; see sweep_context.h for
// kShared.
template <bool kShared>
void SweepExact(const Priors& priors, Tokens& tokens, size_t doc_begin, size_t doc_end,
                ThreadSweep& sweep);

}  // namespace gaia::lda::internal

#endif  // GAIA_APPS_LDA_EXACT_SAMPLER_H_
