#include "apps/lda/cuda/gpu_lda_core.h"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "apps/lda/cuda/sweep_kernels.h"

namespace gaia::lda::gpu {
namespace {

std::string Error(cudaError_t e, const std::string& what) {
  if (e == cudaSuccess) return "";
  return "cuda: " + what + ": " + cudaGetErrorString(e);
}

// Owns device memory for n elements of T.
template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() {
    if (data_ != nullptr) cudaFree(data_);
  }
  std::string Allocate(size_t n, uint64_t* total_bytes) {
    void* p = nullptr;
    const size_t bytes = std::max<size_t>(n, 1) * sizeof(T);
    if (std::string e = Error(cudaMalloc(&p, bytes), "cudaMalloc(" + std::to_string(bytes) + ")");
        !e.empty()) {
      return e;
    }
    data_ = static_cast<T*>(p);
    size_ = n;
    *total_bytes += bytes;
    return "";
  }
  T* data() const { return data_; }
  size_t size() const { return size_; }
  size_t bytes() const { return size_ * sizeof(T); }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
};

// Page-locked host memory: copies run at full bus speed.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  ~PinnedBuffer() {
    if (data_ != nullptr) cudaFreeHost(data_);
  }
  std::string Allocate(size_t bytes) {
    return Error(cudaMallocHost(&data_, std::max<size_t>(bytes, 1)),
                 "cudaMallocHost(" + std::to_string(bytes) + ")");
  }
  void* data() const { return data_; }

 private:
  void* data_ = nullptr;
};

}  // namespace

struct GpuLdaCore::Device {
  ~Device() {
    if (start != nullptr) cudaEventDestroy(start);
    if (stop != nullptr) cudaEventDestroy(stop);
    if (stream != nullptr) cudaStreamDestroy(stream);
  }
  cudaStream_t stream = nullptr;
  cudaEvent_t start = nullptr, stop = nullptr;
  SweepLaunch launch;
  DeviceBuffer<uint64_t> doc_offsets;
  DeviceBuffer<uint32_t> word;
  DeviceBuffer<uint16_t> topic;
  DeviceBuffer<int32_t> counts, totals, delta, totals_delta;
  DeviceBuffer<float> inv_total, cdf;
  DeviceBuffer<unsigned long long> changed;
  DeviceBuffer<unsigned int> next_doc;
  DeviceBuffer<double> log_likelihood;
  PinnedBuffer staging;  // the largest of counts and topics, both directions

  DeviceTokens Tokens(uint64_t tokens, uint32_t docs) const {
    return DeviceTokens{doc_offsets.data(), docs, tokens, word.data(), topic.data()};
  }
  DeviceCounts Counts(const GpuLdaShape& s) const {
    return DeviceCounts{counts.data(), totals.data(), s.words, s.topics};
  }
  std::string Sync(const std::string& what) const {
    return Error(cudaStreamSynchronize(stream), what);
  }
  // Device -> host through the staging buffer.
  std::string Download(void* host, const void* device, size_t bytes, const char* what) const {
    cudaError_t e = cudaMemcpyAsync(staging.data(), device, bytes, cudaMemcpyDeviceToHost, stream);
    if (e == cudaSuccess) e = cudaStreamSynchronize(stream);
    if (e == cudaSuccess && bytes > 0) std::memcpy(host, staging.data(), bytes);
    return Error(e, what);
  }
  std::string Upload(void* device, const void* host, size_t bytes, const char* what) const {
    if (bytes > 0) std::memcpy(staging.data(), host, bytes);
    cudaError_t e = cudaMemcpyAsync(device, staging.data(), bytes, cudaMemcpyHostToDevice, stream);
    if (e == cudaSuccess) e = cudaStreamSynchronize(stream);
    return Error(e, what);
  }
};

std::string CudaDeviceCount(int* count) {
  *count = 0;
  const cudaError_t e = cudaGetDeviceCount(count);
  if (e != cudaSuccess || *count == 0) {
    *count = 0;
    return std::string("no CUDA device visible (") +
           (e == cudaSuccess ? "cudaGetDeviceCount found none" : cudaGetErrorString(e)) + ")";
  }
  return "";
}

GpuLdaCore::GpuLdaCore(const GpuLdaShape& shape, uint64_t tokens, uint32_t docs)
    : shape_(shape), num_tokens_(tokens), num_docs_(docs), d_(std::make_unique<Device>()) {}

GpuLdaCore::~GpuLdaCore() = default;

std::string GpuLdaCore::Create(const GpuLdaShape& shape, const std::vector<uint64_t>& doc_offsets,
                               const std::vector<uint32_t>& token_words,
                               std::unique_ptr<GpuLdaCore>* out) {
  if (shape.topics < 2 || shape.topics > kMaxGpuTopics) {
    return "gpu lda: topics must be in [2, " + std::to_string(kMaxGpuTopics) + "], got " +
           std::to_string(shape.topics);
  }
  if (!(shape.alpha > 0) || !(shape.beta > 0) || shape.vocab_size < shape.words) {
    return "gpu lda: alpha and beta must be > 0 and vocab_size >= words";
  }
  if (token_words.size() >= (uint64_t{1} << 31)) {
    return "gpu lda: " + std::to_string(token_words.size()) +
           " tokens; the device counts are int32 (fewer than 2^31 tokens per worker)";
  }
  if (doc_offsets.empty() || doc_offsets.front() != 0 ||
      doc_offsets.back() != token_words.size() ||
      doc_offsets.size() - 1 > std::numeric_limits<uint32_t>::max()) {
    return "gpu lda: document offsets do not match the tokens";
  }
  for (size_t d = 1; d < doc_offsets.size(); ++d) {
    if (doc_offsets[d] < doc_offsets[d - 1]) {
      return "gpu lda: document " + std::to_string(d - 1) + " has a negative length";
    }
  }
  for (size_t i = 0; i < token_words.size(); ++i) {
    if (token_words[i] >= shape.words) {
      return "gpu lda: token " + std::to_string(i) + " has word row " +
             std::to_string(token_words[i]) + " >= words " + std::to_string(shape.words);
    }
  }
  int devices = 0;
  if (std::string e = CudaDeviceCount(&devices); !e.empty()) return "gpu lda: " + e;
  std::unique_ptr<GpuLdaCore> core(new GpuLdaCore(
      shape, token_words.size(), static_cast<uint32_t>(doc_offsets.size() - 1)));
  if (std::string e = core->Allocate(doc_offsets, token_words); !e.empty()) return e;
  *out = std::move(core);
  return "";
}

std::string GpuLdaCore::Allocate(const std::vector<uint64_t>& doc_offsets,
                                 const std::vector<uint32_t>& token_words) {
  Device& d = *d_;
  const size_t cells = size_t{shape_.words} * shape_.topics;
  uint64_t* bytes = &device_bytes_;
  for (std::string e : {
           Error(ConfigureSweep(shape_.topics, &d.launch),
                 "configure the sweep for " + std::to_string(shape_.topics) + " topics"),
           Error(cudaStreamCreateWithFlags(&d.stream, cudaStreamNonBlocking), "stream"),
           Error(cudaEventCreate(&d.start), "event"), Error(cudaEventCreate(&d.stop), "event"),
           d.doc_offsets.Allocate(doc_offsets.size(), bytes),
           d.word.Allocate(num_tokens_, bytes), d.topic.Allocate(num_tokens_, bytes),
           d.counts.Allocate(cells, bytes), d.delta.Allocate(cells, bytes),
           d.cdf.Allocate(cells, bytes), d.totals.Allocate(shape_.topics, bytes),
           d.totals_delta.Allocate(shape_.topics, bytes),
           d.inv_total.Allocate(shape_.topics, bytes), d.changed.Allocate(1, bytes),
           d.next_doc.Allocate(1, bytes), d.log_likelihood.Allocate(1, bytes),
           d.staging.Allocate(std::max({cells * sizeof(int32_t), num_tokens_ * sizeof(uint32_t),
                                        doc_offsets.size() * sizeof(uint64_t)})),
       }) {
    if (!e.empty()) return "gpu lda: " + e;
  }
  if (std::string e = d.Upload(d.doc_offsets.data(), doc_offsets.data(), d.doc_offsets.bytes(),
                               "upload document offsets");
      !e.empty()) {
    return e;
  }
  return d.Upload(d.word.data(), token_words.data(), d.word.bytes(), "upload token words");
}

std::string GpuLdaCore::UploadTopics(const uint32_t* topics) {
  // Narrowed into the staging buffer: 2 bytes per token on the device.
  auto* narrow = static_cast<uint16_t*>(d_->staging.data());
  for (uint64_t i = 0; i < num_tokens_; ++i) {
    if (topics[i] >= shape_.topics) {
      return "gpu lda: token " + std::to_string(i) + " has topic " + std::to_string(topics[i]);
    }
    narrow[i] = static_cast<uint16_t>(topics[i]);
  }
  return Error(cudaMemcpyAsync(d_->topic.data(), narrow, d_->topic.bytes(),
                               cudaMemcpyHostToDevice, d_->stream),
               "upload topics") + d_->Sync("upload topics");
}

std::string GpuLdaCore::UploadCounts(const int32_t* word_topic, const int32_t* totals) {
  std::string e = d_->Upload(d_->counts.data(), word_topic, d_->counts.bytes(), "upload counts");
  if (e.empty()) e = d_->Upload(d_->totals.data(), totals, d_->totals.bytes(), "upload totals");
  return e;
}

std::string GpuLdaCore::Sweep(uint64_t seed, uint64_t sweep, GpuSweepResult* out) {
  Device& d = *d_;
  const SweepBuffers buffers{d.inv_total.data(), d.cdf.data(),     d.delta.data(),
                             d.totals_delta.data(), d.changed.data(), d.next_doc.data()};
  const GpuPriors priors{static_cast<float>(shape_.alpha), static_cast<float>(shape_.beta),
                         static_cast<float>(shape_.vocab_size * shape_.beta)};
  cudaError_t e = cudaEventRecord(d.start, d.stream);
  if (e == cudaSuccess) {
    e = LaunchSweep(d.Tokens(num_tokens_, num_docs_), d.Counts(shape_), priors, buffers, d.launch,
                    seed, sweep, d.stream);
  }
  if (e == cudaSuccess) e = cudaEventRecord(d.stop, d.stream);
  unsigned long long changed = 0;
  if (e == cudaSuccess) {
    e = cudaMemcpyAsync(&changed, d.changed.data(), sizeof(changed), cudaMemcpyDeviceToHost,
                        d.stream);
  }
  if (e == cudaSuccess) e = cudaStreamSynchronize(d.stream);
  float ms = 0;
  if (e == cudaSuccess) e = cudaEventElapsedTime(&ms, d.start, d.stop);
  if (e != cudaSuccess) return Error(e, "sweep");
  out->tokens = num_tokens_;
  out->changed = changed;
  out->kernel_seconds = ms * 1e-3;
  return "";
}

std::string GpuLdaCore::DownloadDelta(int32_t* word_topic, int32_t* totals) {
  std::string e = d_->Download(word_topic, d_->delta.data(), d_->delta.bytes(), "download delta");
  if (e.empty()) {
    e = d_->Download(totals, d_->totals_delta.data(), d_->totals_delta.bytes(),
                     "download totals delta");
  }
  return e;
}

std::string GpuLdaCore::ApplyDelta() {
  Device& d = *d_;
  return Error(LaunchApplyDelta(d.counts.data(), d.delta.data(), d.counts.size(),
                                d.totals.data(), d.totals_delta.data(), shape_.topics, d.stream),
               "apply delta") +
         d.Sync("apply delta");
}

std::string GpuLdaCore::DownloadTopics(uint32_t* topics) {
  auto* narrow = static_cast<uint16_t*>(d_->staging.data());
  cudaError_t e = cudaMemcpyAsync(narrow, d_->topic.data(), d_->topic.bytes(),
                                  cudaMemcpyDeviceToHost, d_->stream);
  if (e == cudaSuccess) e = cudaStreamSynchronize(d_->stream);
  if (e != cudaSuccess) return Error(e, "download topics");
  for (uint64_t i = 0; i < num_tokens_; ++i) topics[i] = narrow[i];
  return "";
}

std::string GpuLdaCore::DownloadCounts(int32_t* word_topic, int32_t* totals) {
  std::string e =
      d_->Download(word_topic, d_->counts.data(), d_->counts.bytes(), "download counts");
  if (e.empty()) e = d_->Download(totals, d_->totals.data(), d_->totals.bytes(), "download totals");
  return e;
}

std::string GpuLdaCore::RecountCounts(int32_t* word_topic, int32_t* totals) {
  Device& d = *d_;
  DeviceBuffer<int32_t> counts, sums;
  uint64_t bytes = 0;
  std::string e = counts.Allocate(d.counts.size(), &bytes);
  if (e.empty()) e = sums.Allocate(shape_.topics, &bytes);
  if (e.empty()) {
    e = Error(LaunchRecount(d.Tokens(num_tokens_, num_docs_), shape_.topics, counts.data(),
                            counts.size(), sums.data(), d.stream),
              "recount");
  }
  if (e.empty()) e = d.Download(word_topic, counts.data(), counts.bytes(), "download recount");
  if (e.empty()) e = d.Download(totals, sums.data(), sums.bytes(), "download recount totals");
  return e;
}

std::string GpuLdaCore::LogLikelihood(double* out) {
  Device& d = *d_;
  std::vector<int32_t> totals(shape_.topics);
  std::string e = d.Download(totals.data(), d.totals.data(), d.totals.bytes(), "download totals");
  if (!e.empty()) return e;
  double sum = 0;
  cudaError_t c = cudaMemsetAsync(d.log_likelihood.data(), 0, sizeof(double), d.stream);
  if (c == cudaSuccess) {
    c = LaunchLogLikelihood(d.Tokens(num_tokens_, num_docs_), d.Counts(shape_), shape_.alpha,
                            shape_.beta, d.launch, d.next_doc.data(), d.log_likelihood.data(),
                            d.stream);
  }
  if (c == cudaSuccess) {
    c = cudaMemcpyAsync(&sum, d.log_likelihood.data(), sizeof(double), cudaMemcpyDeviceToHost,
                        d.stream);
  }
  if (c == cudaSuccess) c = cudaStreamSynchronize(d.stream);
  if (c != cudaSuccess) return Error(c, "log-likelihood");
  // The totals term (lda_model.h), K values: here rather than a kernel.
  const double vbeta = shape_.vocab_size * shape_.beta;
  for (int32_t n : totals) sum += std::lgamma(vbeta) - std::lgamma(std::max(n, 0) + vbeta);
  *out = sum;
  return "";
}

}  // namespace gaia::lda::gpu
