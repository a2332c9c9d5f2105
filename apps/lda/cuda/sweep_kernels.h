// The GPU sampler's kernels (sweep_kernels.cu) behind plain launch functions:
// device pointers in, a cudaError_t out, everything queued on `stream`.
// Internal to apps/lda/cuda (GpuLdaCore calls these); needs only the CUDA
// runtime. The algorithm is in docs/APP_LDA_GPU.md and sampling_math.h.
#ifndef GAIA_APPS_LDA_CUDA_SWEEP_KERNELS_H_
#define GAIA_APPS_LDA_CUDA_SWEEP_KERNELS_H_

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "apps/lda/cuda/sampling_math.h"

namespace gaia::lda::gpu {

// The tokens, document after document.
struct DeviceTokens {
  const uint64_t* doc_offsets = nullptr;  // num_docs + 1
  uint32_t num_docs = 0;
  uint64_t num_tokens = 0;
  const uint32_t* word = nullptr;         // local word row, < DeviceCounts::words
  uint16_t* topic = nullptr;              // current topic, < topics
};

// The counts a sweep samples against (a snapshot: not changed by the sweep).
struct DeviceCounts {
  const int32_t* word_topic = nullptr;  // words x topics, row-major
  const int32_t* totals = nullptr;      // topics
  uint32_t words = 0;
  uint32_t topics = 0;
};

// What the sweep builds and writes besides the topics.
struct SweepBuffers {
  float* inv_total = nullptr;           // topics: 1 / (n_k + V b)
  float* cdf = nullptr;                 // words x topics: each word's word-bucket CDF
  int32_t* delta = nullptr;             // words x topics: the sweep's count changes (zeroed here)
  int32_t* totals_delta = nullptr;      // topics: column sums of delta
  unsigned long long* changed = nullptr;  // tokens whose topic changed (zeroed here)
  unsigned int* next_doc = nullptr;     // the warps' work counter (zeroed here)
};

// How the sweep kernel is launched on one device (ConfigureSweep).
struct SweepLaunch {
  uint32_t warps_per_block = 0;
  uint32_t blocks = 0;
  size_t shared_bytes = 0;  // per block
};

// Shared memory one warp needs for a document at `topics` topics: dense
// document counts, the document's topic list, its cumulative doc-bucket
// masses and a listed flag per topic.
size_t SweepSharedBytesPerWarp(uint32_t topics);

// Picks the launch shape for the current device (opting in to more shared
// memory when one warp needs over 48 KiB). cudaErrorInvalidValue when one
// warp's shared memory does not fit the device.
cudaError_t ConfigureSweep(uint32_t topics, SweepLaunch* out);

// Zeroes the buffers, builds inv_total and every word's CDF from `counts`,
// samples every token once (updating tokens.topic and delta), and sums
// delta's columns into totals_delta.
cudaError_t LaunchSweep(const DeviceTokens& tokens, const DeviceCounts& counts,
                        const GpuPriors& priors, const SweepBuffers& buffers,
                        const SweepLaunch& launch, uint64_t seed, uint64_t sweep,
                        cudaStream_t stream);

// word_topic += delta (n elements) and totals += totals_delta.
cudaError_t LaunchApplyDelta(int32_t* word_topic, const int32_t* delta, size_t n,
                             int32_t* totals, const int32_t* totals_delta, uint32_t topics,
                             cudaStream_t stream);

// Recounts word_topic and totals from the tokens' topics (zeroed first): the
// check that the incremental counts are exact.
cudaError_t LaunchRecount(const DeviceTokens& tokens, uint32_t topics, int32_t* word_topic,
                          size_t word_topic_size, int32_t* totals, cudaStream_t stream);

// Adds log p(w | z)'s word term and log p(z) (lda_model.h) of the tokens and
// counts to *sum (device double; not zeroed here). The totals term is the
// caller's (K values).
// alpha and beta in double: the objective is compared with the CPU's.
cudaError_t LaunchLogLikelihood(const DeviceTokens& tokens, const DeviceCounts& counts,
                                double alpha, double beta, const SweepLaunch& launch,
                                unsigned int* next_doc, double* sum, cudaStream_t stream);

}  // namespace gaia::lda::gpu

#endif  // GAIA_APPS_LDA_CUDA_SWEEP_KERNELS_H_
