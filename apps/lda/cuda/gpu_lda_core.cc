#include "apps/lda/cuda/gpu_lda_core.h"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "apps/lda/cuda/sweep_kernels.h"
#include "apps/common/gpu/buffers.h"
#include "apps/common/gpu/device.h"
#include "apps/common/gpu/stream.h"

namespace gaia::lda::gpu {
namespace {

using ::gaia::gpu::DeviceBuffer;
using ::gaia::gpu::EventTimer;
using ::gaia::gpu::PinnedBuffer;
using ::gaia::gpu::Stream;

CudaResult BadInput(const std::string& what) {
  return CudaResult(cudaErrorInvalidValue, "gpu lda: " + what);
}

// Runs `steps` in order until one fails; returns that failure, or success.
template <typename... Steps>
CudaResult FirstFailure(Steps&&... steps) {
  CudaResult r;
  ((r.ok() ? (r = steps(), 0) : 0), ...);
  return r;
}

}  // namespace

struct GpuLdaCore::Device {
  Stream stream;
  EventTimer timer;
  SweepLaunch launch;
  DeviceBuffer<uint64_t> doc_offsets;
  DeviceBuffer<uint32_t> word;
  DeviceBuffer<uint16_t> topic;
  DeviceBuffer<int32_t> counts, totals, delta, totals_delta;
  DeviceBuffer<float> inv_total, cdf;
  DeviceBuffer<unsigned long long> changed;
  DeviceBuffer<unsigned int> next_doc;
  DeviceBuffer<double> log_likelihood;
  // Host side of every copy (counts, delta, topics, offsets), in 8-byte units.
  PinnedBuffer<uint64_t> staging;

  DeviceTokens Tokens(uint64_t tokens, uint32_t docs) {
    return DeviceTokens{doc_offsets.data(), docs, tokens, word.data(), topic.data()};
  }
  DeviceCounts Counts(const GpuLdaShape& s) const {
    return DeviceCounts{counts.data(), totals.data(), s.words, s.topics};
  }
  void* Staging() { return staging.data(); }
  // Device -> host through the staging buffer.
  CudaResult Download(void* host, const void* device, size_t bytes) {
    GAIA_CUDA_RETURN_IF_FAILED(GAIA_CUDA_CALL(
        cudaMemcpyAsync(Staging(), device, bytes, cudaMemcpyDeviceToHost, stream.get())));
    GAIA_CUDA_RETURN_IF_FAILED(stream.Synchronize());
    if (bytes > 0) std::memcpy(host, Staging(), bytes);
    return CudaResult();
  }
  CudaResult Upload(void* device, const void* host, size_t bytes) {
    if (bytes > 0) std::memcpy(Staging(), host, bytes);
    GAIA_CUDA_RETURN_IF_FAILED(GAIA_CUDA_CALL(
        cudaMemcpyAsync(device, Staging(), bytes, cudaMemcpyHostToDevice, stream.get())));
    return stream.Synchronize();
  }
};

GpuLdaCore::GpuLdaCore(const GpuLdaShape& shape, uint64_t tokens, uint32_t docs)
    : shape_(shape), num_tokens_(tokens), num_docs_(docs), d_(std::make_unique<Device>()) {}

GpuLdaCore::~GpuLdaCore() = default;

CudaResult GpuLdaCore::Create(const GpuLdaShape& shape, const std::vector<uint64_t>& doc_offsets,
                              const std::vector<uint32_t>& token_words,
                              std::unique_ptr<GpuLdaCore>* out) {
  if (shape.topics < 2 || shape.topics > kMaxGpuTopics) {
    return BadInput("topics must be in [2, " + std::to_string(kMaxGpuTopics) + "], got " +
                    std::to_string(shape.topics));
  }
  if (!(shape.alpha > 0) || !(shape.beta > 0) || shape.vocab_size < shape.words) {
    return BadInput("alpha and beta must be > 0 and vocab_size >= words");
  }
  if (token_words.size() >= (uint64_t{1} << 31)) {
    return BadInput(std::to_string(token_words.size()) +
                    " tokens; the device counts are int32 (fewer than 2^31 tokens per worker)");
  }
  if (doc_offsets.empty() || doc_offsets.front() != 0 ||
      doc_offsets.back() != token_words.size() ||
      doc_offsets.size() - 1 > std::numeric_limits<uint32_t>::max()) {
    return BadInput("document offsets do not match the tokens");
  }
  for (size_t d = 1; d < doc_offsets.size(); ++d) {
    if (doc_offsets[d] < doc_offsets[d - 1]) {
      return BadInput("document " + std::to_string(d - 1) + " has a negative length");
    }
  }
  for (size_t i = 0; i < token_words.size(); ++i) {
    if (token_words[i] >= shape.words) {
      return BadInput("token " + std::to_string(i) + " has word row " +
                      std::to_string(token_words[i]) + " >= words " +
                      std::to_string(shape.words));
    }
  }
  int devices = 0;
  GAIA_CUDA_RETURN_IF_FAILED(::gaia::gpu::CountDevices(&devices));
  std::unique_ptr<GpuLdaCore> core(new GpuLdaCore(
      shape, token_words.size(), static_cast<uint32_t>(doc_offsets.size() - 1)));
  GAIA_CUDA_RETURN_IF_FAILED(core->Allocate(doc_offsets, token_words));
  *out = std::move(core);
  return CudaResult();
}

CudaResult GpuLdaCore::Allocate(const std::vector<uint64_t>& doc_offsets,
                                const std::vector<uint32_t>& token_words) {
  Device& d = *d_;
  const size_t cells = size_t{shape_.words} * shape_.topics;
  const size_t staging_bytes = std::max({cells * sizeof(int32_t), num_tokens_ * sizeof(uint32_t),
                                         doc_offsets.size() * sizeof(uint64_t)});
  auto configure = [&] {
    cudaError_t e = ConfigureSweep(shape_.topics, &d.launch);
    return e == cudaSuccess ? CudaResult()
                            : CudaResult(e, "gpu lda: configure the sweep for " +
                                                std::to_string(shape_.topics) + " topics: " +
                                                cudaGetErrorString(e) +
                                                " (a document's topics must fit shared memory)");
  };
  GAIA_CUDA_RETURN_IF_FAILED(FirstFailure(
      configure, [&] { return d.stream.Create(); }, [&] { return d.timer.Create(); },
      [&] { return d.doc_offsets.Allocate(doc_offsets.size()); },
      [&] { return d.word.Allocate(num_tokens_); }, [&] { return d.topic.Allocate(num_tokens_); },
      [&] { return d.counts.Allocate(cells); }, [&] { return d.delta.Allocate(cells); },
      [&] { return d.cdf.Allocate(cells); }, [&] { return d.totals.Allocate(shape_.topics); },
      [&] { return d.totals_delta.Allocate(shape_.topics); },
      [&] { return d.inv_total.Allocate(shape_.topics); },
      [&] { return d.changed.Allocate(1); }, [&] { return d.next_doc.Allocate(1); },
      [&] { return d.log_likelihood.Allocate(1); },
      [&] { return d.staging.Allocate((staging_bytes + 7) / 8); }));
  device_bytes_ = d.doc_offsets.bytes() + d.word.bytes() + d.topic.bytes() + d.counts.bytes() +
                  d.delta.bytes() + d.cdf.bytes() + d.totals.bytes() + d.totals_delta.bytes() +
                  d.inv_total.bytes();
  GAIA_CUDA_RETURN_IF_FAILED(
      d.Upload(d.doc_offsets.data(), doc_offsets.data(), d.doc_offsets.bytes()));
  return d.Upload(d.word.data(), token_words.data(), d.word.bytes());
}

CudaResult GpuLdaCore::UploadTopics(const uint32_t* topics) {
  // Narrowed into the staging buffer: 2 bytes per token on the device.
  auto* narrow = static_cast<uint16_t*>(d_->Staging());
  for (uint64_t i = 0; i < num_tokens_; ++i) {
    if (topics[i] >= shape_.topics) {
      return BadInput("token " + std::to_string(i) + " has topic " + std::to_string(topics[i]));
    }
    narrow[i] = static_cast<uint16_t>(topics[i]);
  }
  GAIA_CUDA_RETURN_IF_FAILED(d_->topic.CopyFromHostAsync(narrow, num_tokens_, d_->stream.get()));
  return d_->stream.Synchronize();
}

CudaResult GpuLdaCore::UploadCounts(const int32_t* word_topic, const int32_t* totals) {
  GAIA_CUDA_RETURN_IF_FAILED(d_->Upload(d_->counts.data(), word_topic, d_->counts.bytes()));
  return d_->Upload(d_->totals.data(), totals, d_->totals.bytes());
}

CudaResult GpuLdaCore::Sweep(uint64_t seed, uint64_t sweep, GpuSweepResult* out) {
  Device& d = *d_;
  const SweepBuffers buffers{d.inv_total.data(), d.cdf.data(),     d.delta.data(),
                             d.totals_delta.data(), d.changed.data(), d.next_doc.data()};
  const GpuPriors priors{static_cast<float>(shape_.alpha), static_cast<float>(shape_.beta),
                         static_cast<float>(shape_.vocab_size * shape_.beta)};
  GAIA_CUDA_RETURN_IF_FAILED(d.timer.Start(d.stream.get()));
  GAIA_CUDA_RETURN_IF_FAILED(GAIA_CUDA_CALL(LaunchSweep(d.Tokens(num_tokens_, num_docs_),
                                                        d.Counts(shape_), priors, buffers,
                                                        d.launch, seed, sweep, d.stream.get())));
  GAIA_CUDA_RETURN_IF_FAILED(d.timer.Stop(d.stream.get()));
  unsigned long long changed = 0;
  GAIA_CUDA_RETURN_IF_FAILED(d.changed.CopyToHostAsync(&changed, 1, d.stream.get()));
  GAIA_CUDA_RETURN_IF_FAILED(d.stream.Synchronize());
  float ms = 0;
  GAIA_CUDA_RETURN_IF_FAILED(d.timer.ElapsedMs(&ms));
  out->tokens = num_tokens_;
  out->changed = changed;
  out->kernel_seconds = ms * 1e-3;
  return CudaResult();
}

CudaResult GpuLdaCore::DownloadDelta(int32_t* word_topic, int32_t* totals) {
  GAIA_CUDA_RETURN_IF_FAILED(d_->Download(word_topic, d_->delta.data(), d_->delta.bytes()));
  return d_->Download(totals, d_->totals_delta.data(), d_->totals_delta.bytes());
}

CudaResult GpuLdaCore::ApplyDelta() {
  Device& d = *d_;
  GAIA_CUDA_RETURN_IF_FAILED(GAIA_CUDA_CALL(
      LaunchApplyDelta(d.counts.data(), d.delta.data(), d.counts.size(), d.totals.data(),
                       d.totals_delta.data(), shape_.topics, d.stream.get())));
  return d.stream.Synchronize();
}

CudaResult GpuLdaCore::DownloadTopics(uint32_t* topics) {
  auto* narrow = static_cast<uint16_t*>(d_->Staging());
  GAIA_CUDA_RETURN_IF_FAILED(d_->topic.CopyToHostAsync(narrow, num_tokens_, d_->stream.get()));
  GAIA_CUDA_RETURN_IF_FAILED(d_->stream.Synchronize());
  for (uint64_t i = 0; i < num_tokens_; ++i) topics[i] = narrow[i];
  return CudaResult();
}

CudaResult GpuLdaCore::DownloadCounts(int32_t* word_topic, int32_t* totals) {
  GAIA_CUDA_RETURN_IF_FAILED(d_->Download(word_topic, d_->counts.data(), d_->counts.bytes()));
  return d_->Download(totals, d_->totals.data(), d_->totals.bytes());
}

CudaResult GpuLdaCore::RecountCounts(int32_t* word_topic, int32_t* totals) {
  Device& d = *d_;
  DeviceBuffer<int32_t> counts, sums;
  GAIA_CUDA_RETURN_IF_FAILED(counts.Allocate(d.counts.size()));
  GAIA_CUDA_RETURN_IF_FAILED(sums.Allocate(shape_.topics));
  GAIA_CUDA_RETURN_IF_FAILED(
      GAIA_CUDA_CALL(LaunchRecount(d.Tokens(num_tokens_, num_docs_), shape_.topics, counts.data(),
                                   counts.size(), sums.data(), d.stream.get())));
  GAIA_CUDA_RETURN_IF_FAILED(d.Download(word_topic, counts.data(), counts.bytes()));
  return d.Download(totals, sums.data(), sums.bytes());
}

CudaResult GpuLdaCore::LogLikelihood(double* out) {
  Device& d = *d_;
  std::vector<int32_t> totals(shape_.topics);
  GAIA_CUDA_RETURN_IF_FAILED(d.Download(totals.data(), d.totals.data(), d.totals.bytes()));
  GAIA_CUDA_RETURN_IF_FAILED(GAIA_CUDA_CALL(
      cudaMemsetAsync(d.log_likelihood.data(), 0, sizeof(double), d.stream.get())));
  GAIA_CUDA_RETURN_IF_FAILED(GAIA_CUDA_CALL(LaunchLogLikelihood(
      d.Tokens(num_tokens_, num_docs_), d.Counts(shape_), shape_.alpha, shape_.beta, d.launch,
      d.next_doc.data(), d.log_likelihood.data(), d.stream.get())));
  double sum = 0;
  GAIA_CUDA_RETURN_IF_FAILED(d.log_likelihood.CopyToHostAsync(&sum, 1, d.stream.get()));
  GAIA_CUDA_RETURN_IF_FAILED(d.stream.Synchronize());
  // The totals term (lda_model.h), K values: here rather than a kernel.
  const double vbeta = shape_.vocab_size * shape_.beta;
  for (int32_t n : totals) sum += std::lgamma(vbeta) - std::lgamma(std::max(n, 0) + vbeta);
  *out = sum;
  return CudaResult();
}

}  // namespace gaia::lda::gpu
