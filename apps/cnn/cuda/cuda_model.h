// apps/cnn's networks trained on one CUDA GPU (cuDNN convolutions, cuBLAS
// GEMMs, own kernels for the rest): the GPU twin of gaia::cnn::Model with the
// same API, parameter layout and initialization. docs/APP_CNN_GPU.md.
//
//   ASSIGN_OR_RETURN(int gpus, CudaDeviceCount());   // FailedPrecondition: none
//   ASSIGN_OR_RETURN(CudaModel model, CudaModel::Create({.name = "resnet20",
//       .norm = "group", .in_channels = 3, .in_height = 32, .in_width = 32}, /*device=*/0));
//   ASSIGN_OR_RETURN(Sgd sgd, Sgd::Create({.lr = 0.05}));
//   ASSIGN_OR_RETURN(StepResult r, model.TrainStep(images, labels, 128, sgd));
//   std::span<float> w = model.params();              // host copy, already updated
//
// Same network, same numbers. Create builds the CPU Model for the same spec
// and takes its layout() and initial params(), so CPU and GPU workers with
// one spec start from identical weights and exchange parameter vectors
// block for block. Results agree with the CPU Model within float32
// rounding (tolerances in docs/APP_CNN_GPU.md): cuDNN runs with FMA math
// (no TF32 tensor cores).
//
// Host/device contract. params() is a host vector (page-locked) and the
// truth between calls:
//   * every TrainStep, ComputeGradients, Evaluate and Loss first uploads all
//     of params() (trainable weights and BatchNorm running statistics), so
//     whatever was written into it before the call is what the call uses;
//     no "mark dirty" call is needed;
//   * TrainStep and ComputeGradients download all of params() before they
//     return (new weights, new running statistics), so a span taken from
//     params() earlier shows the updated values;
//   * grads() is downloaded on first access after a TrainStep or
//     ComputeGradients (a failure there is returned by the next call).
// Each costs one copy of the parameter vector over the bus per step
// (about 1 MB for lenet and resnet20).
//
// Optimizer. TrainStep applies sgd's rule (apps/cnn/sgd.h: lr, momentum,
// weight_decay, nesterov read from sgd.options() at every call) on the
// device, with a momentum buffer that lives on the device and belongs to
// this CudaModel: sgd's own buffer is neither used nor changed, so
// Sgd::Reset() does not reach it; call ResetMomentum() instead.
//
// Inputs are as for Model: normalized float pixels, C x H x W per sample;
// class ids in [0, classes), checked on the host.
//
// Thread safety: not thread-safe; one thread drives a model. Every call
// makes `device` the calling thread's current CUDA device.
#ifndef GAIA_APPS_CNN_CUDA_CUDA_MODEL_H_
#define GAIA_APPS_CNN_CUDA_CUDA_MODEL_H_

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "apps/cnn/graph.h"
#include "apps/cnn/model.h"
#include "apps/cnn/model_zoo.h"
#include "apps/cnn/sgd.h"

namespace gaia::cnn {

// The number of visible CUDA devices (>= 1), or FailedPrecondition
// "--device=cuda: no CUDA device visible (cudaGetDeviceCount: ...)".
absl::StatusOr<int> CudaDeviceCount();

class CudaModel {
 public:
  // InvalidArgument naming the ModelSpec field for a bad spec, or for a
  // device outside [0, CudaDeviceCount()); FailedPrecondition without a GPU;
  // Internal or ResourceExhausted naming the CUDA/cuDNN/cuBLAS call that
  // failed. spec.threads is validated but unused (the GPU runs the layers).
  static absl::StatusOr<CudaModel> Create(const ModelSpec& spec, int device = 0);

  CudaModel(CudaModel&&) noexcept;
  CudaModel& operator=(CudaModel&&) noexcept;
  ~CudaModel();

  const ModelSpec& spec() const;
  int device() const;
  int threads() const { return 1; }  // host threads per step, for code generic over Model
  size_t sample_size() const;        // floats per image: C * H * W

  // The host copy (see the contract above); num_trainable() trainable floats
  // first, then BatchNorm running statistics, as layout() says.
  std::span<float> params();
  std::span<const float> params() const;
  size_t num_trainable() const;
  // The last TrainStep/ComputeGradients' gradients (num_trainable() floats).
  std::span<const float> grads() const;
  const std::vector<ParamBlock>& layout() const;

  // As Model::TrainStep: training-mode forward, loss, backward, SGD update
  // of the trainable parameters, BatchNorm running statistics updated.
  absl::StatusOr<StepResult> TrainStep(std::span<const float> images,
                                       std::span<const int32_t> labels, int batch, Sgd& sgd);
  absl::StatusOr<StepResult> TrainStep(std::span<const float> images,
                                       std::span<const uint8_t> labels, int batch, Sgd& sgd);

  // TrainStep without the update (BatchNorm running statistics do move).
  absl::StatusOr<StepResult> ComputeGradients(std::span<const float> images,
                                              std::span<const int32_t> labels, int batch);

  // Eval mode over the first n samples in batches of at most `batch`;
  // changes nothing.
  absl::StatusOr<EvalResult> Evaluate(std::span<const float> images,
                                      std::span<const int32_t> labels, int64_t n, int batch);
  absl::StatusOr<EvalResult> Evaluate(std::span<const float> images,
                                      std::span<const uint8_t> labels, int64_t n, int batch);

  // The mean loss of one batch, changing nothing; as Model::Loss.
  absl::StatusOr<double> Loss(std::span<const float> images, std::span<const int32_t> labels,
                              int batch, bool training);

  // Forgets the device momentum buffer: the next TrainStep starts it from
  // the gradient, as after Sgd::Reset() on the CPU.
  void ResetMomentum();

 private:
  struct Impl;
  explicit CudaModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_CUDA_CUDA_MODEL_H_
