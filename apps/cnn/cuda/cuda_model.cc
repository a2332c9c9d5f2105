#include "apps/cnn/cuda/cuda_model.h"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "apps/cnn/cuda/cuda_layers.h"
#include "apps/cnn/cuda/cuda_status.h"
#include "apps/cnn/cuda/device_memory.h"
#include "apps/cnn/cuda/gpu_net.h"
#include "apps/cnn/cuda/kernels.h"

namespace gaia::cnn {

using gpu::CublasStatus;
using gpu::CudartStatus;
using gpu::CudnnStatus;
using gpu::DeviceArray;
using gpu::DeviceTensor;
using gpu::GpuContext;
using gpu::Handle;
using gpu::PinnedArray;

absl::StatusOr<int> CudaDeviceCount() {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();  // clear it, so later calls do not see it
    return absl::FailedPreconditionError(absl::StrCat(
        "--device=cuda: no CUDA device visible (cudaGetDeviceCount: ", cudaGetErrorName(e), ": ",
        cudaGetErrorString(e), ")"));
  }
  if (count < 1) {
    return absl::FailedPreconditionError(
        "--device=cuda: no CUDA device visible (cudaGetDeviceCount: 0 devices)");
  }
  return count;
}

struct CudaModel::Impl {
  Impl(const ModelSpec& s, int d) : spec(s), device(d) {}
  // Members free device memory: make their device current first.
  ~Impl() { cudaSetDevice(device); }

  absl::Status Init(const Model& cpu);
  absl::Status CheckBatch(std::span<const float> images, size_t labels, int64_t n, int batch) const;
  absl::Status CheckLabels(std::span<const int32_t> labels, int64_t first, int64_t count) const;
  // Returns a deferred error, selects the device, uploads params.
  absl::Status Begin();
  // Uploads samples [first, first + count) and their labels.
  absl::Status Load(std::span<const float> images, std::span<const int32_t> labels, int64_t first,
                    int count);
  // Forward (and the loss) on the loaded batch; with dlogits, backward too.
  absl::Status Run(int count, bool training, bool update_stats, bool backward);
  // Waits for the stream; the loaded batch's summed loss and correct count.
  absl::StatusOr<StepResult> Finish(int count);
  absl::StatusOr<StepResult> Gradients(std::span<const float> images,
                                       std::span<const int32_t> labels, int batch, const Sgd* sgd);
  absl::Status ApplySgd(const Sgd& sgd);
  absl::StatusOr<EvalResult> EvaluateBatches(std::span<const float> images,
                                             std::span<const int32_t> labels, int64_t n, int batch);
  absl::StatusOr<double> BatchLoss(std::span<const float> images, std::span<const int32_t> labels,
                                   int batch, bool training);
  // After a failed call: waits for what it queued (copies from or into
  // host memory the caller may touch next), ignoring further errors.
  template <typename T>
  T Settle(T result) {
    if (!result.ok()) cudaStreamSynchronize(stream.get());
    return result;
  }
  GpuContext Context(bool training, bool update_stats) {
    return {.stream = stream.get(),
            .cudnn = cudnn.get(),
            .cublas = cublas.get(),
            .workspace = &workspace,
            .training = training,
            .update_stats = update_stats};
  }

  // Constant after Create.
  const ModelSpec spec;
  const int device;
  std::vector<ParamBlock> layout;
  size_t num_trainable = 0;
  size_t sample_size = 0;

  // CUDA objects; declared first so they are destroyed last.
  Handle<cudaStream_t, cudaStreamDestroy> stream;
  Handle<cudnnHandle_t, cudnnDestroy> cudnn;
  Handle<cublasHandle_t, cublasDestroy> cublas;

  PinnedArray<float> host_params;         // the truth between calls
  mutable PinnedArray<float> host_grads;  // valid unless grads_stale
  mutable bool grads_stale = false;
  mutable absl::Status deferred;  // a failed lazy download, for the next call

  DeviceArray<float> params;    // layout order
  DeviceArray<float> grads;     // num_trainable
  DeviceArray<float> velocity;  // num_trainable; meaningful once velocity_started
  bool velocity_started = false;
  gpu::Workspace workspace;
  std::unique_ptr<gpu::GpuNet> net;  // binds into params/grads
  DeviceTensor input;
  DeviceTensor dlogits;
  DeviceArray<int32_t> labels;
  DeviceArray<double> loss;      // per sample
  DeviceArray<int32_t> correct;  // per sample
  std::vector<double> host_loss;
  std::vector<int32_t> host_correct;
  std::vector<int32_t> label_copy;  // for the uint8_t overloads
};

absl::Status CudaModel::Impl::Init(const Model& cpu) {
  layout = cpu.layout();
  num_trainable = cpu.num_trainable();
  sample_size = cpu.sample_size();
  const size_t total = cpu.params().size();
  GAIA_CUDA_RETURN_IF_ERROR(CudartStatus(cudaSetDevice(device), "cudaSetDevice"));
  GAIA_CUDA_RETURN_IF_ERROR(CudartStatus(
      cudaStreamCreateWithFlags(stream.out(), cudaStreamNonBlocking), "cudaStreamCreate"));
  GAIA_CUDA_RETURN_IF_ERROR(CudnnStatus(cudnnCreate(cudnn.out()), "cudnnCreate"));
  GAIA_CUDA_RETURN_IF_ERROR(
      CudnnStatus(cudnnSetStream(cudnn.get(), stream.get()), "cudnnSetStream"));
  GAIA_CUDA_RETURN_IF_ERROR(CublasStatus(cublasCreate(cublas.out()), "cublasCreate"));
  GAIA_CUDA_RETURN_IF_ERROR(
      CublasStatus(cublasSetStream(cublas.get(), stream.get()), "cublasSetStream"));
  // Full float32 GEMMs (no TF32), like cuDNN's FMA math in the convolutions.
  GAIA_CUDA_RETURN_IF_ERROR(
      CublasStatus(cublasSetMathMode(cublas.get(), CUBLAS_DEFAULT_MATH), "cublasSetMathMode"));
  GAIA_CUDA_RETURN_IF_ERROR(host_params.Allocate(total));
  GAIA_CUDA_RETURN_IF_ERROR(host_grads.Allocate(num_trainable));
  std::copy(cpu.params().begin(), cpu.params().end(), host_params.data());
  GAIA_CUDA_RETURN_IF_ERROR(params.Reserve(total));
  GAIA_CUDA_RETURN_IF_ERROR(grads.Reserve(num_trainable));
  GAIA_CUDA_RETURN_IF_ERROR(velocity.Reserve(num_trainable));
  GAIA_CUDA_RETURN_IF_ERROR(
      CudartStatus(cudaMemsetAsync(grads.data(), 0, num_trainable * sizeof(float), stream.get()),
                   "cudaMemsetAsync(grads)"));
  absl::StatusOr<std::unique_ptr<gpu::GpuNet>> n =
      gpu::GpuNet::Create(spec, layout, params.data(), grads.data());
  if (!n.ok()) return n.status();
  net = std::move(*n);
  return CudartStatus(cudaStreamSynchronize(stream.get()), "cudaStreamSynchronize");
}

// As Model::Impl::CheckBatch and CheckLabels, so both paths refuse the same
// inputs with the same messages.
absl::Status CudaModel::Impl::CheckBatch(std::span<const float> images, size_t labels, int64_t n,
                                         int batch) const {
  if (batch < 1) return absl::InvalidArgumentError(absl::StrCat("batch must be >= 1, got ", batch));
  if (n < 0) return absl::InvalidArgumentError(absl::StrCat("n must be >= 0, got ", n));
  if (images.size() / sample_size < static_cast<size_t>(n)) {
    return absl::InvalidArgumentError(absl::StrCat("images: ", images.size(), " floats hold ",
                                                   images.size() / sample_size, " samples of ",
                                                   sample_size, ", need ", n));
  }
  if (labels < static_cast<size_t>(n)) {
    return absl::InvalidArgumentError(absl::StrCat("labels: ", labels, " given, need ", n));
  }
  return absl::OkStatus();
}

absl::Status CudaModel::Impl::CheckLabels(std::span<const int32_t> labels, int64_t first,
                                          int64_t count) const {
  for (int64_t i = first; i < first + count; ++i) {
    if (labels[i] < 0 || labels[i] >= spec.classes) {
      return absl::InvalidArgumentError(
          absl::StrCat("labels[", i, "] = ", labels[i], " is outside [0, ", spec.classes, ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status CudaModel::Impl::Begin() {
  if (!deferred.ok()) return std::exchange(deferred, absl::OkStatus());
  GAIA_CUDA_RETURN_IF_ERROR(CudartStatus(cudaSetDevice(device), "cudaSetDevice"));
  return CudartStatus(
      cudaMemcpyAsync(params.data(), host_params.data(), host_params.size() * sizeof(float),
                      cudaMemcpyHostToDevice, stream.get()),
      "cudaMemcpyAsync(upload params)");
}

absl::Status CudaModel::Impl::Load(std::span<const float> images,
                                   std::span<const int32_t> label_span, int64_t first, int count) {
  GAIA_CUDA_RETURN_IF_ERROR(input.Resize({count, spec.in_channels, spec.in_height, spec.in_width}));
  GAIA_CUDA_RETURN_IF_ERROR(labels.Reserve(count));
  GAIA_CUDA_RETURN_IF_ERROR(CudartStatus(
      cudaMemcpyAsync(input.data(), images.data() + first * sample_size,
                      count * sample_size * sizeof(float), cudaMemcpyHostToDevice, stream.get()),
      "cudaMemcpyAsync(upload images)"));
  return CudartStatus(
      cudaMemcpyAsync(labels.data(), label_span.data() + first, count * sizeof(int32_t),
                      cudaMemcpyHostToDevice, stream.get()),
      "cudaMemcpyAsync(upload labels)");
}

absl::Status CudaModel::Impl::Run(int count, bool training, bool update_stats, bool backward) {
  const GpuContext ctx = Context(training, update_stats);
  absl::StatusOr<const DeviceTensor*> logits = net->Forward(input, ctx);
  if (!logits.ok()) return logits.status();
  GAIA_CUDA_RETURN_IF_ERROR(loss.Reserve(count));
  GAIA_CUDA_RETURN_IF_ERROR(correct.Reserve(count));
  float* dl = nullptr;
  if (backward) {
    GAIA_CUDA_RETURN_IF_ERROR(dlogits.Resize((*logits)->shape()));
    dl = dlogits.data();
  }
  GAIA_CUDA_RETURN_IF_ERROR(
      CudartStatus(gpu::SoftmaxCrossEntropy((*logits)->data(), labels.data(), count, spec.classes,
                                            loss.data(), correct.data(), dl, stream.get()),
                   "SoftmaxCrossEntropy"));
  if (!backward) return absl::OkStatus();
  return net->Backward(dlogits, ctx);
}

absl::StatusOr<StepResult> CudaModel::Impl::Finish(int count) {
  host_loss.resize(count);
  host_correct.resize(count);
  GAIA_CUDA_RETURN_IF_ERROR(
      CudartStatus(cudaMemcpyAsync(host_loss.data(), loss.data(), count * sizeof(double),
                                   cudaMemcpyDeviceToHost, stream.get()),
                   "cudaMemcpyAsync(download loss)"));
  GAIA_CUDA_RETURN_IF_ERROR(
      CudartStatus(cudaMemcpyAsync(host_correct.data(), correct.data(), count * sizeof(int32_t),
                                   cudaMemcpyDeviceToHost, stream.get()),
                   "cudaMemcpyAsync(download correct)"));
  GAIA_CUDA_RETURN_IF_ERROR(
      CudartStatus(cudaStreamSynchronize(stream.get()), "cudaStreamSynchronize"));
  // Summed in sample order, as loss.cc does.
  double total = 0;
  StepResult r;
  for (int i = 0; i < count; ++i) {
    total += host_loss[i];
    r.correct += host_correct[i];
  }
  r.loss = count > 0 ? total / count : 0;
  return r;
}

absl::Status CudaModel::Impl::ApplySgd(const Sgd& sgd) {
  const SgdOptions& o = sgd.options();
  const gpu::SgdArgs args{.lr = static_cast<float>(sgd.lr()),
                          .momentum = static_cast<float>(o.momentum),
                          .weight_decay = static_cast<float>(o.weight_decay),
                          .nesterov = o.nesterov,
                          .first = !velocity_started};
  GAIA_CUDA_RETURN_IF_ERROR(CudartStatus(
      gpu::SgdStep(args, params.data(), grads.data(), velocity.data(), num_trainable, stream.get()),
      "SgdStep"));
  // As sgd.cc: without momentum the buffer is not started.
  if (args.momentum != 0) velocity_started = true;
  return absl::OkStatus();
}

absl::StatusOr<StepResult> CudaModel::Impl::Gradients(std::span<const float> images,
                                                      std::span<const int32_t> label_span,
                                                      int batch, const Sgd* sgd) {
  if (absl::Status s = CheckBatch(images, label_span.size(), batch, batch); !s.ok()) return s;
  if (absl::Status s = CheckLabels(label_span, 0, batch); !s.ok()) return s;
  GAIA_CUDA_RETURN_IF_ERROR(Begin());
  GAIA_CUDA_RETURN_IF_ERROR(Load(images, label_span, 0, batch));
  GAIA_CUDA_RETURN_IF_ERROR(Run(batch, /*training=*/true, /*update_stats=*/true,
                                /*backward=*/true));
  if (sgd != nullptr) GAIA_CUDA_RETURN_IF_ERROR(ApplySgd(*sgd));
  GAIA_CUDA_RETURN_IF_ERROR(CudartStatus(
      cudaMemcpyAsync(host_params.data(), params.data(), host_params.size() * sizeof(float),
                      cudaMemcpyDeviceToHost, stream.get()),
      "cudaMemcpyAsync(download params)"));
  grads_stale = true;
  return Finish(batch);
}

absl::StatusOr<CudaModel> CudaModel::Create(const ModelSpec& spec, int device) {
  if (absl::Status s = ValidateModelSpec(spec); !s.ok()) return s;
  absl::StatusOr<int> count = CudaDeviceCount();
  if (!count.ok()) return count.status();
  if (device < 0 || device >= *count) {
    return absl::InvalidArgumentError(
        absl::StrCat("--device=cuda: device ", device, " is outside [0, ", *count, ")"));
  }
  // The CPU model supplies the layout and the initial weights (one thread:
  // it never runs a step).
  ModelSpec cpu_spec = spec;
  cpu_spec.threads = 1;
  absl::StatusOr<Model> cpu = Model::Create(cpu_spec);
  if (!cpu.ok()) return cpu.status();
  auto impl = std::make_unique<Impl>(spec, device);
  if (absl::Status s = impl->Init(*cpu); !s.ok()) return s;
  return CudaModel(std::move(impl));
}

CudaModel::CudaModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CudaModel::CudaModel(CudaModel&&) noexcept = default;
CudaModel& CudaModel::operator=(CudaModel&&) noexcept = default;
CudaModel::~CudaModel() = default;

const ModelSpec& CudaModel::spec() const { return impl_->spec; }
int CudaModel::device() const { return impl_->device; }
size_t CudaModel::sample_size() const { return impl_->sample_size; }
std::span<float> CudaModel::params() {
  return {impl_->host_params.data(), impl_->host_params.size()};
}
std::span<const float> CudaModel::params() const {
  return {impl_->host_params.data(), impl_->host_params.size()};
}
size_t CudaModel::num_trainable() const { return impl_->num_trainable; }
const std::vector<ParamBlock>& CudaModel::layout() const { return impl_->layout; }
void CudaModel::ResetMomentum() { impl_->velocity_started = false; }

std::span<const float> CudaModel::grads() const {
  const Impl& m = *impl_;
  if (m.grads_stale) {
    m.grads_stale = false;
    absl::Status s = CudartStatus(cudaSetDevice(m.device), "cudaSetDevice");
    if (s.ok()) {
      s = CudartStatus(cudaMemcpy(m.host_grads.data(), m.grads.data(),
                                  m.num_trainable * sizeof(float), cudaMemcpyDeviceToHost),
                       "cudaMemcpy(download grads)");
    }
    if (!s.ok() && m.deferred.ok()) m.deferred = s;
  }
  return {m.host_grads.data(), m.host_grads.size()};
}

absl::StatusOr<EvalResult> CudaModel::Impl::EvaluateBatches(std::span<const float> images,
                                                            std::span<const int32_t> label_span,
                                                            int64_t n, int batch) {
  GAIA_CUDA_RETURN_IF_ERROR(Begin());
  double loss_sum = 0;
  int64_t right = 0;
  for (int64_t first = 0; first < n; first += batch) {
    const int count = static_cast<int>(std::min<int64_t>(batch, n - first));
    GAIA_CUDA_RETURN_IF_ERROR(Load(images, label_span, first, count));
    GAIA_CUDA_RETURN_IF_ERROR(Run(count, /*training=*/false, /*update_stats=*/false,
                                  /*backward=*/false));
    absl::StatusOr<StepResult> r = Finish(count);
    if (!r.ok()) return r.status();
    loss_sum += r->loss * count;
    right += r->correct;
  }
  return EvalResult{.loss = loss_sum / n, .accuracy = static_cast<double>(right) / n};
}

absl::StatusOr<double> CudaModel::Impl::BatchLoss(std::span<const float> images,
                                                  std::span<const int32_t> label_span, int batch,
                                                  bool training) {
  GAIA_CUDA_RETURN_IF_ERROR(Begin());
  GAIA_CUDA_RETURN_IF_ERROR(Load(images, label_span, 0, batch));
  GAIA_CUDA_RETURN_IF_ERROR(Run(batch, training, /*update_stats=*/false, /*backward=*/false));
  absl::StatusOr<StepResult> r = Finish(batch);
  if (!r.ok()) return r.status();
  return r->loss;
}

absl::StatusOr<StepResult> CudaModel::ComputeGradients(std::span<const float> images,
                                                       std::span<const int32_t> labels, int batch) {
  return impl_->Settle(impl_->Gradients(images, labels, batch, nullptr));
}

absl::StatusOr<StepResult> CudaModel::TrainStep(std::span<const float> images,
                                                std::span<const int32_t> labels, int batch,
                                                Sgd& sgd) {
  return impl_->Settle(impl_->Gradients(images, labels, batch, &sgd));
}

absl::StatusOr<StepResult> CudaModel::TrainStep(std::span<const float> images,
                                                std::span<const uint8_t> labels, int batch,
                                                Sgd& sgd) {
  impl_->label_copy.assign(labels.begin(), labels.end());
  return TrainStep(images, std::span<const int32_t>(impl_->label_copy), batch, sgd);
}

absl::StatusOr<EvalResult> CudaModel::Evaluate(std::span<const float> images,
                                               std::span<const int32_t> labels, int64_t n,
                                               int batch) {
  Impl& m = *impl_;
  if (absl::Status s = m.CheckBatch(images, labels.size(), n, batch); !s.ok()) return s;
  if (n == 0) return EvalResult{};
  if (absl::Status s = m.CheckLabels(labels, 0, n); !s.ok()) return s;
  return m.Settle(m.EvaluateBatches(images, labels, n, batch));
}

absl::StatusOr<EvalResult> CudaModel::Evaluate(std::span<const float> images,
                                               std::span<const uint8_t> labels, int64_t n,
                                               int batch) {
  std::vector<int32_t> copy(labels.begin(), labels.end());
  return Evaluate(images, std::span<const int32_t>(copy), n, batch);
}

absl::StatusOr<double> CudaModel::Loss(std::span<const float> images,
                                       std::span<const int32_t> labels, int batch, bool training) {
  Impl& m = *impl_;
  if (absl::Status s = m.CheckBatch(images, labels.size(), batch, batch); !s.ok()) return s;
  if (absl::Status s = m.CheckLabels(labels, 0, batch); !s.ok()) return s;
  return m.Settle(m.BatchLoss(images, labels, batch, training));
}

}  // namespace gaia::cnn
