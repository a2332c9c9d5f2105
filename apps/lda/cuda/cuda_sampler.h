// The GPU sampler in the TopicSampler role (topic_sampler.h): GpuLdaCore's
// device state behind absl::Status, with the host copies the role needs
// (the topics, for the document log-likelihood). Built only with CUDA
// (apps/lda/cuda.cmake). Each sweep copies the counts as read to the
// device, samples there, and copies back the exact integer change and the
// topics (2 bytes per token). Not thread-safe.
#ifndef GAIA_APPS_LDA_CUDA_CUDA_SAMPLER_H_
#define GAIA_APPS_LDA_CUDA_CUDA_SAMPLER_H_

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "apps/lda/corpus.h"
#include "apps/lda/cuda/gpu_lda_core.h"
#include "apps/lda/lda_model.h"
#include "apps/lda/sampler.h"
#include "apps/lda/topic_sampler.h"

namespace gaia::lda::gpu {

class CudaSampler final : public TopicSampler {
 public:
  // Sampler::Create's checks, then FAILED_PRECONDITION when no CUDA device
  // is usable (gaia::gpu::OpenDevice(0), which also makes GPU 0 current),
  // INVALID_ARGUMENT when a document's topics do not fit the device's shared
  // memory, RESOURCE_EXHAUSTED when its memory cannot hold the counts.
  static absl::StatusOr<std::unique_ptr<CudaSampler>> Create(const Corpus& docs,
                                                             const LdaParams& params,
                                                             const SamplerOptions& options);

  std::span<const uint32_t> words() const override { return words_; }
  uint64_t num_tokens() const override { return topics_.size(); }
  size_t num_docs() const override { return doc_offsets_.size() - 1; }
  const LdaParams& params() const override { return params_; }
  SamplerDevice device() const override { return SamplerDevice::kCuda; }
  absl::Status Initialize(CountsView delta) override;
  absl::StatusOr<SweepStats> Sweep(CountsView counts, CountsView delta) override;
  double DocLogLikelihood() const override;
  std::span<const uint32_t> topics() const override { return topics_; }

  // The counts on the device after the last sweep (the counts as uploaded
  // plus the sweep's change), and the same recounted on the device from
  // the topics: equal when the counts are exact. words() x K and K.
  absl::Status DeviceCounts(std::span<int32_t> word_topic, std::span<int32_t> totals);
  absl::Status RecountedCounts(std::span<int32_t> word_topic, std::span<int32_t> totals);
  // log p(w, z) computed on the device from its counts and topics.
  absl::StatusOr<double> DeviceLogLikelihood();

 private:
  CudaSampler(const LdaParams& params, const SamplerOptions& options);

  LdaParams params_;
  SamplerOptions options_;
  std::vector<uint32_t> words_;
  std::vector<uint64_t> doc_offsets_;
  std::vector<uint32_t> rows_for_init_;  // each token's row, for Initialize's counts
  std::vector<uint32_t> topics_;        // host copy, after the last sweep
  std::vector<int32_t> change_;         // words x K: the last sweep's change
  std::vector<int32_t> totals_change_;  // K
  std::vector<int32_t> totals32_;       // K: totals as uploaded
  uint64_t sweeps_ = 0;
  std::unique_ptr<GpuLdaCore> core_;
};

}  // namespace gaia::lda::gpu

#endif  // GAIA_APPS_LDA_CUDA_CUDA_SAMPLER_H_
