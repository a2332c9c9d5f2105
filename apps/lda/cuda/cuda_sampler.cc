#include "apps/lda/cuda/cuda_sampler.h"

#include <cassert>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "apps/lda/cuda/host_layout.h"
#include "apps/lda/cuda/sampling_math.h"
#include "apps/common/gpu/status.h"

namespace gaia::lda::gpu {
namespace {

absl::Status FromCore(const CudaResult& result) { return ::gaia::gpu::ToStatus(result); }

}  // namespace

CudaSampler::CudaSampler(const LdaParams& params, const SamplerOptions& options)
    : params_(params), options_(options) {}

absl::StatusOr<std::unique_ptr<CudaSampler>> CudaSampler::Create(const Corpus& docs,
                                                                 const LdaParams& params,
                                                                 const SamplerOptions& options) {
  if (params.topics < 2 || params.topics > kMaxGpuTopics) {
    return absl::InvalidArgumentError(absl::StrCat(
        "gpu lda: topics must be in [2, ", kMaxGpuTopics, "], got ", params.topics));
  }
  if (!(params.alpha > 0) || !(params.beta > 0)) {
    return absl::InvalidArgumentError("gpu lda: alpha and beta must be > 0");
  }
  absl::StatusOr<LocalTokens> tokens = MapLocalWords(docs, params.vocab_size);
  if (!tokens.ok()) return tokens.status();
  if (absl::StatusOr<::gaia::gpu::DeviceInfo> gpu = ::gaia::gpu::OpenDevice(0); !gpu.ok()) {
    return absl::Status(gpu.status().code(),
                        absl::StrCat("--device=cuda: ", gpu.status().message()));
  }
  std::unique_ptr<CudaSampler> s(new CudaSampler(params, options));
  GpuLdaShape shape;
  shape.topics = params.topics;
  shape.words = static_cast<uint32_t>(tokens->words.size());
  shape.vocab_size = params.vocab_size;
  shape.alpha = params.alpha;
  shape.beta = params.beta;
  if (CudaResult r = GpuLdaCore::Create(shape, tokens->doc_offsets, tokens->rows, &s->core_);
      !r.ok()) {
    return r.code() == cudaErrorInvalidValue ? absl::InvalidArgumentError(r.message())
                                             : FromCore(r);
  }
  s->words_ = std::move(tokens->words);
  s->doc_offsets_ = std::move(tokens->doc_offsets);
  s->topics_.assign(tokens->rows.size(), 0);
  s->change_.assign(s->words_.size() * params.topics, 0);
  s->totals_change_.assign(params.topics, 0);
  s->totals32_.assign(params.topics, 0);
  // The rows again, to count the initial draw on the host.
  s->rows_for_init_ = std::move(tokens->rows);
  return s;
}

absl::Status CudaSampler::Initialize(CountsView delta) {
  const uint32_t k = params_.topics;
  assert(delta.word_topic.size() == words_.size() * k && delta.totals.size() == k);
  topics_ = InitialTopics(topics_.size(), k, options_.seed);
  for (size_t i = 0; i < topics_.size(); ++i) {
    ++delta.word_topic[size_t{rows_for_init_[i]} * k + topics_[i]];
    ++delta.totals[topics_[i]];
  }
  return FromCore(core_->UploadTopics(topics_.data()));
}

absl::StatusOr<SweepStats> CudaSampler::Sweep(CountsView counts, CountsView delta) {
  assert(counts.word_topic.size() == change_.size() && counts.totals.size() == params_.topics);
  assert(delta.word_topic.size() == change_.size() && delta.totals.size() == params_.topics);
  if (absl::Status s = NarrowTotals(counts.totals, totals32_); !s.ok()) return s;
  if (absl::Status s = FromCore(core_->UploadCounts(counts.word_topic.data(), totals32_.data()));
      !s.ok()) {
    return s;
  }
  GpuSweepResult result;
  if (absl::Status s = FromCore(core_->Sweep(options_.seed, sweeps_++, &result)); !s.ok()) {
    return s;
  }
  if (absl::Status s = FromCore(core_->DownloadDelta(change_.data(), totals_change_.data()));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = FromCore(core_->ApplyDelta()); !s.ok()) return s;
  if (absl::Status s = FromCore(core_->DownloadTopics(topics_.data())); !s.ok()) return s;
  AddChange(change_, counts.word_topic, delta.word_topic);
  AddChange(totals_change_, counts.totals, delta.totals);
  SweepStats stats;
  stats.tokens = result.tokens;
  stats.changed = result.changed;
  return stats;
}

double CudaSampler::DocLogLikelihood() const {
  std::vector<int32_t> dense(params_.topics, 0);
  std::vector<int32_t> nonzero;
  double sum = 0;
  for (size_t d = 0; d + 1 < doc_offsets_.size(); ++d) {
    for (uint64_t i = doc_offsets_[d]; i < doc_offsets_[d + 1]; ++i) ++dense[topics_[i]];
    nonzero.clear();
    for (uint64_t i = doc_offsets_[d]; i < doc_offsets_[d + 1]; ++i) {
      if (dense[topics_[i]] > 0) {
        nonzero.push_back(dense[topics_[i]]);
        dense[topics_[i]] = 0;  // once per topic; also leaves dense zeroed
      }
    }
    const uint64_t length = doc_offsets_[d + 1] - doc_offsets_[d];
    sum += lda::DocLogLikelihood(nonzero, static_cast<uint32_t>(length), params_);
  }
  return sum;
}

absl::Status CudaSampler::DeviceCounts(std::span<int32_t> word_topic, std::span<int32_t> totals) {
  assert(word_topic.size() == change_.size() && totals.size() == params_.topics);
  return FromCore(core_->DownloadCounts(word_topic.data(), totals.data()));
}

absl::Status CudaSampler::RecountedCounts(std::span<int32_t> word_topic,
                                          std::span<int32_t> totals) {
  assert(word_topic.size() == change_.size() && totals.size() == params_.topics);
  return FromCore(core_->RecountCounts(word_topic.data(), totals.data()));
}

absl::StatusOr<double> CudaSampler::DeviceLogLikelihood() {
  double ll = 0;
  if (absl::Status s = FromCore(core_->LogLikelihood(&ll)); !s.ok()) return s;
  return ll;
}

}  // namespace gaia::lda::gpu
