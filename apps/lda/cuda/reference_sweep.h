// The GPU sweep's algorithm on the CPU (the host reference of SweepKernel in
// sweep_kernels.cu, as MultiwayUpperBound is of its search): documents one
// after another, each token drawn with sampling_math.h's functions from the
// word rows and totals as they were at the start of the sweep and the
// document's counts as they are now. The kernel differs only in the order
// it lists a document's topics (so in which draw a random point lands on,
// not in the distribution). CPU tests run the algorithm through it
// (tests/lda/cuda_reference_sweep_test.cc); nothing else calls it.
#ifndef GAIA_APPS_LDA_CUDA_REFERENCE_SWEEP_H_
#define GAIA_APPS_LDA_CUDA_REFERENCE_SWEEP_H_

#include <cstdint>
#include <span>

#include "apps/lda/cuda/host_layout.h"
#include "apps/lda/cuda/sampling_math.h"

namespace gaia::lda::gpu {

// One sweep over `tokens` (topics: their current topics, changed in place)
// against word_topic (tokens.words.size() x topics) and totals; every move
// goes into delta (same shape as word_topic, added to). Returns how many
// tokens moved.
uint64_t ReferenceSweep(const LocalTokens& tokens, std::span<uint32_t> topic_of,
                        std::span<const int32_t> word_topic, std::span<const int32_t> totals,
                        uint32_t topics, const GpuPriors& priors, uint64_t seed, uint64_t sweep,
                        std::span<int32_t> delta);

}  // namespace gaia::lda::gpu

#endif  // GAIA_APPS_LDA_CUDA_REFERENCE_SWEEP_H_
