// The host side of the GPU sampler that needs no GPU: the compact token
// layout, the initial draw, and moving counts between the sampler's types
// (int64 totals) and the device's (int32). CudaSampler uses these; the CPU
// tests (tests/lda/cuda_host_layout_test.cc) check them everywhere.
#ifndef GAIA_APPS_LDA_CUDA_HOST_LAYOUT_H_
#define GAIA_APPS_LDA_CUDA_HOST_LAYOUT_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "apps/lda/corpus.h"

namespace gaia::lda::gpu {

// A worker's tokens as the device holds them: each token's word as its row
// among the distinct words (ascending word ids, as Sampler::words()).
struct LocalTokens {
  std::vector<uint32_t> words;        // row -> word id, ascending
  std::vector<uint64_t> doc_offsets;  // as Corpus::offsets
  std::vector<uint32_t> rows;         // per token, < words.size()
};

// INVALID_ARGUMENT naming the document and word for a word id >=
// vocab_size, or offsets that do not match the words.
absl::StatusOr<LocalTokens> MapLocalWords(const Corpus& docs, uint32_t vocab_size);

// The initial topics: the same draw as Sampler::Initialize with the same
// seed, so a CPU and a GPU run start from one state.
std::vector<uint32_t> InitialTopics(uint64_t num_tokens, uint32_t topics, uint64_t seed);

// out = in; OUT_OF_RANGE naming the topic when a total does not fit int32.
absl::Status NarrowTotals(std::span<const int64_t> in, std::span<int32_t> out);

// counts += change and delta += change, element by element (equal sizes).
void AddChange(std::span<const int32_t> change, std::span<int32_t> counts,
               std::span<int32_t> delta);
void AddChange(std::span<const int32_t> change, std::span<int64_t> counts,
               std::span<int64_t> delta);

}  // namespace gaia::lda::gpu

#endif  // GAIA_APPS_LDA_CUDA_HOST_LAYOUT_H_
