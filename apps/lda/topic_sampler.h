// The sampler role gaia_lda and gaia_lda_serial drive, on the CPU (Sampler,
// sampler.h) or on a GPU (CudaSampler, cuda/cuda_sampler.h), chosen at run
// time by --device.
//
//   absl::StatusOr<std::unique_ptr<TopicSampler>> s =
//       MakeTopicSampler(docs, params, options, SamplerDevice::kCuda);
//   RETURN_IF_ERROR((*s)->Initialize(delta));
//   absl::StatusOr<SweepStats> st = (*s)->Sweep(counts, delta);
//
// The contract is Sampler's (sampler.h): the same words(), the same counts
// in and the exact count changes out. A GPU sweep samples every token
// against the counts as they were at the start of the sweep (each token's
// own count left out), where the CPU sampler sees its own changes at once;
// docs/APP_LDA_GPU.md says why that is the same chain in the limit and
// what it costs per sweep. Not thread-safe.
#ifndef GAIA_APPS_LDA_TOPIC_SAMPLER_H_
#define GAIA_APPS_LDA_TOPIC_SAMPLER_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "apps/lda/corpus.h"
#include "apps/lda/lda_model.h"
#include "apps/lda/sampler.h"

namespace gaia::lda {

// apps/common/device.h's Device as the sampler library sees it (that header
// is for mains only).
enum class SamplerDevice { kCpu, kCuda };

// Whether this build has the GPU sampler (GAIA_HAVE_LDA_CUDA).
#if defined(GAIA_HAVE_LDA_CUDA)
inline constexpr bool kBuiltWithCuda = true;
#else
inline constexpr bool kBuiltWithCuda = false;
#endif

std::string_view SamplerDeviceName(SamplerDevice device);  // "cpu", "cuda"

class TopicSampler {
 public:
  virtual ~TopicSampler() = default;

  virtual std::span<const uint32_t> words() const = 0;
  virtual uint64_t num_tokens() const = 0;
  virtual size_t num_docs() const = 0;
  virtual const LdaParams& params() const = 0;
  virtual SamplerDevice device() const = 0;

  // Sampler::Initialize; the GPU sampler can fail copying to the device.
  virtual absl::Status Initialize(CountsView delta) = 0;
  // Sampler::Sweep; counts change in place by the sweep's change too.
  virtual absl::StatusOr<SweepStats> Sweep(CountsView counts, CountsView delta) = 0;
  // Sampler::DocLogLikelihood and topics(), from the host copy of the topics
  // (the GPU sampler copies them back after every sweep).
  virtual double DocLogLikelihood() const = 0;
  virtual std::span<const uint32_t> topics() const = 0;
};

// The CPU sampler for kCpu. kCuda: FAILED_PRECONDITION when this build has
// no CUDA or no device is visible (naming which), else the GPU sampler
// (options.kind and options.threads do not apply to it; seed does).
absl::StatusOr<std::unique_ptr<TopicSampler>> MakeTopicSampler(const Corpus& docs,
                                                               const LdaParams& params,
                                                               const SamplerOptions& options,
                                                               SamplerDevice device);

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_TOPIC_SAMPLER_H_
