#include "apps/cnn/model.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "apps/cnn/layers/loss.h"
#include "apps/cnn/thread_pool.h"

namespace gaia::cnn {

struct Model::Impl {
  Impl(const ModelSpec& s, int threads) : spec(s), pool(threads) {}

  absl::Status CheckBatch(std::span<const float> images, size_t labels, int64_t n,
                          int batch) const;
  // Copies the samples [first, first + count) into input.
  void Load(std::span<const float> images, int64_t first, int count);
  absl::Status CheckLabels(std::span<const int32_t> labels, int64_t first, int count) const;
  absl::StatusOr<StepResult> Gradients(std::span<const float> images,
                                       std::span<const int32_t> labels, int batch);

  const ModelSpec spec;
  ThreadPool pool;
  Graph graph;
  Tensor input;
  Tensor dlogits;
  std::vector<int32_t> label_copy;  // for the uint8_t overloads
};

absl::Status Model::Impl::CheckBatch(std::span<const float> images, size_t labels, int64_t n,
                                     int batch) const {
  if (batch < 1) return absl::InvalidArgumentError(absl::StrCat("batch must be >= 1, got ", batch));
  if (n < 0) return absl::InvalidArgumentError(absl::StrCat("n must be >= 0, got ", n));
  const size_t per = static_cast<size_t>(spec.in_channels) * spec.in_height * spec.in_width;
  if (images.size() / per < static_cast<size_t>(n)) {
    return absl::InvalidArgumentError(absl::StrCat("images: ", images.size(), " floats hold ",
                                                   images.size() / per, " samples of ", per,
                                                   ", need ", n));
  }
  if (labels < static_cast<size_t>(n)) {
    return absl::InvalidArgumentError(absl::StrCat("labels: ", labels, " given, need ", n));
  }
  return absl::OkStatus();
}

absl::Status Model::Impl::CheckLabels(std::span<const int32_t> labels, int64_t first,
                                      int count) const {
  for (int64_t i = first; i < first + count; ++i) {
    if (labels[i] < 0 || labels[i] >= spec.classes) {
      return absl::InvalidArgumentError(absl::StrCat("labels[", i, "] = ", labels[i],
                                                     " is outside [0, ", spec.classes, ")"));
    }
  }
  return absl::OkStatus();
}

void Model::Impl::Load(std::span<const float> images, int64_t first, int count) {
  input.Resize({count, spec.in_channels, spec.in_height, spec.in_width});
  const size_t per = input.shape().sample_size();
  std::copy_n(images.data() + first * per, count * per, input.data());
}

absl::StatusOr<StepResult> Model::Impl::Gradients(std::span<const float> images,
                                                  std::span<const int32_t> labels, int batch) {
  if (absl::Status s = CheckBatch(images, labels.size(), batch, batch); !s.ok()) return s;
  if (absl::Status s = CheckLabels(labels, 0, batch); !s.ok()) return s;
  Load(images, 0, batch);
  const RunContext ctx{.pool = &pool, .training = true, .update_stats = true};
  const Tensor& logits = graph.Forward(input, ctx);
  const LossResult loss = SoftmaxCrossEntropy(logits, labels.first(batch), &dlogits);
  graph.Backward(dlogits, ctx);
  return StepResult{.loss = loss.loss, .correct = loss.correct};
}

absl::StatusOr<Model> Model::Create(const ModelSpec& spec) {
  if (absl::Status s = ValidateModelSpec(spec); !s.ok()) return s;
  int threads = spec.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  auto impl = std::make_unique<Impl>(spec, threads);
  if (absl::Status s = BuildModelGraph(spec, &impl->graph); !s.ok()) return s;
  if (absl::Status s = impl->graph.Finalize(
          {1, spec.in_channels, spec.in_height, spec.in_width}, spec.seed);
      !s.ok()) {
    return s;
  }
  return Model(std::move(impl));
}

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

const ModelSpec& Model::spec() const { return impl_->spec; }
int Model::threads() const { return impl_->pool.size(); }
size_t Model::sample_size() const {
  return static_cast<size_t>(impl_->spec.in_channels) * impl_->spec.in_height *
         impl_->spec.in_width;
}
std::span<float> Model::params() { return impl_->graph.params(); }
std::span<const float> Model::params() const { return impl_->graph.params(); }
size_t Model::num_trainable() const { return impl_->graph.num_trainable(); }
std::span<const float> Model::grads() const { return impl_->graph.grads(); }
const std::vector<ParamBlock>& Model::layout() const { return impl_->graph.layout(); }

absl::StatusOr<StepResult> Model::ComputeGradients(std::span<const float> images,
                                                   std::span<const int32_t> labels,
                                                   int batch) {
  return impl_->Gradients(images, labels, batch);
}

absl::StatusOr<StepResult> Model::TrainStep(std::span<const float> images,
                                            std::span<const int32_t> labels, int batch,
                                            Sgd& sgd) {
  absl::StatusOr<StepResult> result = impl_->Gradients(images, labels, batch);
  if (!result.ok()) return result;
  if (absl::Status s = sgd.Step(params().first(num_trainable()), grads()); !s.ok()) return s;
  return result;
}

absl::StatusOr<StepResult> Model::TrainStep(std::span<const float> images,
                                            std::span<const uint8_t> labels, int batch,
                                            Sgd& sgd) {
  impl_->label_copy.assign(labels.begin(), labels.end());
  return TrainStep(images, std::span<const int32_t>(impl_->label_copy), batch, sgd);
}

absl::StatusOr<EvalResult> Model::Evaluate(std::span<const float> images,
                                           std::span<const int32_t> labels, int64_t n,
                                           int batch) {
  Impl& m = *impl_;
  if (absl::Status s = m.CheckBatch(images, labels.size(), n, batch); !s.ok()) return s;
  if (n == 0) return EvalResult{};
  const RunContext ctx{.pool = &m.pool, .training = false, .update_stats = false};
  double loss_sum = 0;
  int64_t correct = 0;
  for (int64_t first = 0; first < n; first += batch) {
    const int count = static_cast<int>(std::min<int64_t>(batch, n - first));
    if (absl::Status s = m.CheckLabels(labels, first, count); !s.ok()) return s;
    m.Load(images, first, count);
    const LossResult r =
        SoftmaxCrossEntropy(m.graph.Forward(m.input, ctx), labels.subspan(first, count), nullptr);
    loss_sum += r.loss * count;
    correct += r.correct;
  }
  return EvalResult{.loss = loss_sum / n, .accuracy = static_cast<double>(correct) / n};
}

absl::StatusOr<EvalResult> Model::Evaluate(std::span<const float> images,
                                           std::span<const uint8_t> labels, int64_t n,
                                           int batch) {
  std::vector<int32_t> copy(labels.begin(), labels.end());
  return Evaluate(images, std::span<const int32_t>(copy), n, batch);
}

absl::StatusOr<double> Model::Loss(std::span<const float> images,
                                   std::span<const int32_t> labels, int batch, bool training) {
  Impl& m = *impl_;
  if (absl::Status s = m.CheckBatch(images, labels.size(), batch, batch); !s.ok()) return s;
  if (absl::Status s = m.CheckLabels(labels, 0, batch); !s.ok()) return s;
  m.Load(images, 0, batch);
  const RunContext ctx{.pool = &m.pool, .training = training, .update_stats = false};
  return SoftmaxCrossEntropy(m.graph.Forward(m.input, ctx), labels.first(batch), nullptr).loss;
}

}  // namespace gaia::cnn
