// The GPU sampler's device state and sweep, on the GPU layer's core
// (apps/common/gpu: CUDA runtime and the C++ standard library only, so bench/gpu
// builds it without absl or gRPC). CudaSampler (cuda_sampler.h) wraps it in
// the Sampler role with absl::Status; the benchmark drives it directly.
//
//   std::unique_ptr<GpuLdaCore> core;
//   CudaResult r = GpuLdaCore::Create(shape, doc_offsets, token_words, &core);
//   core->UploadTopics(topics);                    // once, after the initial draw
//   each sweep:
//     core->UploadCounts(word_topic, totals);      // the counts as read
//     core->Sweep(seed, sweep, &result);           // topics change on the device
//     core->DownloadDelta(delta, totals_delta);    // the exact integer change
//     core->ApplyDelta();                          // device counts += delta
//
// Every method returns a CudaResult (apps/common/gpu/cuda_result.h); bad input to
// Create is cudaErrorInvalidValue with a message naming it. Counts and
// totals are int32 on the device: Create refuses corpora of 2^31 tokens or
// more. Runs on the calling thread's current device. Not thread-safe.
#ifndef GAIA_APPS_LDA_CUDA_GPU_LDA_CORE_H_
#define GAIA_APPS_LDA_CUDA_GPU_LDA_CORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "apps/common/gpu/cuda_result.h"

namespace gaia::lda::gpu {

using ::gaia::gpu::CudaResult;

struct GpuLdaShape {
  uint32_t topics = 0;      // K, 2 ..= 65535
  uint32_t words = 0;       // rows of the counts: the local words
  uint32_t vocab_size = 0;  // V of the prior V b (the whole vocabulary)
  double alpha = 0.1;
  double beta = 0.01;
};

struct GpuSweepResult {
  uint64_t tokens = 0;
  uint64_t changed = 0;        // tokens whose topic changed
  double kernel_seconds = 0;   // CDF build + sampling + delta reduction, device time
};

class GpuLdaCore {
 public:
  // doc_offsets: num_docs + 1 ascending offsets from 0 to token_words.size();
  // token_words: every token's row (< shape.words), document after document.
  static CudaResult Create(const GpuLdaShape& shape, const std::vector<uint64_t>& doc_offsets,
                            const std::vector<uint32_t>& token_words,
                            std::unique_ptr<GpuLdaCore>* out);
  ~GpuLdaCore();
  GpuLdaCore(const GpuLdaCore&) = delete;
  GpuLdaCore& operator=(const GpuLdaCore&) = delete;

  const GpuLdaShape& shape() const { return shape_; }
  uint64_t num_tokens() const { return num_tokens_; }
  uint32_t num_docs() const { return num_docs_; }
  // Device memory this core holds, in bytes.
  uint64_t device_bytes() const { return device_bytes_; }

  // topics: num_tokens() values < K.
  CudaResult UploadTopics(const uint32_t* topics);
  // word_topic: words x K; totals: K. Values must fit int32.
  CudaResult UploadCounts(const int32_t* word_topic, const int32_t* totals);
  // One pass over every token against the uploaded counts; waits for it.
  CudaResult Sweep(uint64_t seed, uint64_t sweep, GpuSweepResult* out);
  // The last sweep's change: word_topic words x K, totals K.
  CudaResult DownloadDelta(int32_t* word_topic, int32_t* totals);
  // Device counts += the last sweep's change (the next sweep's counts when
  // nothing else changed them, as in the benchmark).
  CudaResult ApplyDelta();
  CudaResult DownloadTopics(uint32_t* topics);
  CudaResult DownloadCounts(int32_t* word_topic, int32_t* totals);
  // The counts recounted on the device from the current topics.
  CudaResult RecountCounts(int32_t* word_topic, int32_t* totals);
  // log p(w, z) (lda_model.h) of the device topics and counts.
  CudaResult LogLikelihood(double* out);

 private:
  struct Device;
  GpuLdaCore(const GpuLdaShape& shape, uint64_t tokens, uint32_t docs);
  CudaResult Allocate(const std::vector<uint64_t>& doc_offsets,
                       const std::vector<uint32_t>& token_words);

  const GpuLdaShape shape_;
  const uint64_t num_tokens_;
  const uint32_t num_docs_;
  uint64_t device_bytes_ = 0;
  std::unique_ptr<Device> d_;
};

}  // namespace gaia::lda::gpu

#endif  // GAIA_APPS_LDA_CUDA_GPU_LDA_CORE_H_
