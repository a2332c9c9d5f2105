#include "apps/lda/topic_sampler.h"

#include <utility>

#if defined(GAIA_HAVE_LDA_CUDA)
#include "apps/lda/cuda/cuda_sampler.h"
#endif

namespace gaia::lda {
namespace {

class CpuTopicSampler final : public TopicSampler {
 public:
  explicit CpuTopicSampler(Sampler sampler) : sampler_(std::move(sampler)) {}

  std::span<const uint32_t> words() const override { return sampler_.words(); }
  uint64_t num_tokens() const override { return sampler_.num_tokens(); }
  size_t num_docs() const override { return sampler_.num_docs(); }
  const LdaParams& params() const override { return sampler_.params(); }
  SamplerDevice device() const override { return SamplerDevice::kCpu; }
  absl::Status Initialize(CountsView delta) override {
    sampler_.Initialize(delta);
    return absl::OkStatus();
  }
  absl::StatusOr<SweepStats> Sweep(CountsView counts, CountsView delta) override {
    return sampler_.Sweep(counts, delta);
  }
  double DocLogLikelihood() const override { return sampler_.DocLogLikelihood(); }
  std::span<const uint32_t> topics() const override { return sampler_.topics(); }

 private:
  Sampler sampler_;
};

}  // namespace

std::string_view SamplerDeviceName(SamplerDevice device) {
  return device == SamplerDevice::kCuda ? "cuda" : "cpu";
}

absl::StatusOr<std::unique_ptr<TopicSampler>> MakeTopicSampler(const Corpus& docs,
                                                               const LdaParams& params,
                                                               const SamplerOptions& options,
                                                               SamplerDevice device) {
  if (device == SamplerDevice::kCuda) {
#if defined(GAIA_HAVE_LDA_CUDA)
    return gpu::CudaSampler::Create(docs, params, options);
#else
    return absl::FailedPreconditionError(
        "--device=cuda: this build has no CUDA (configure with the CUDA toolkit installed)");
#endif
  }
  absl::StatusOr<Sampler> sampler = Sampler::Create(docs, params, options);
  if (!sampler.ok()) return sampler.status();
  return std::make_unique<CpuTopicSampler>(std::move(*sampler));
}

}  // namespace gaia::lda
