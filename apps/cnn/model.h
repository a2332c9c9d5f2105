// A trainable image classifier: one of the networks of model_zoo.h, its
// parameters in one contiguous vector, and the training step.
//
//   absl::StatusOr<Model> model = Model::Create({.name = "lenet", .norm = "group"});
//   absl::StatusOr<Sgd> sgd = Sgd::Create({.lr = 0.05});
//   absl::StatusOr<StepResult> r = model->TrainStep(images, labels, 64, *sgd);
//   absl::StatusOr<EvalResult> e = model->Evaluate(test_images, test_labels, 10000, 256);
//
//   // A parameter-server worker: write the merged weights, train, push the change.
//   std::copy(server_weights.begin(), server_weights.end(), model->params().begin());
//
// Parameters. params() holds every float of the model: the num_trainable()
// trainable ones first, then non-trainable state (BatchNorm running
// mean/var); layout() names each block ("conv1.weight" at offset, size). The
// layers read params() directly on every call, so values written into it
// from outside (a parameter server's merged weights) are what the next step
// uses. grads() has num_trainable() floats, in the same order.
//
// Inputs. images are float pixels, already normalized, sample after sample in
// C x H x W order (the spec's sizes); labels are class ids in [0, classes).
// A call uses the first `batch` (or `n`) samples of the spans it is given.
//
// Thread safety: not thread-safe; one thread drives a model, which splits
// each layer's work over spec.threads threads of its own.
#ifndef GAIA_APPS_CNN_MODEL_H_
#define GAIA_APPS_CNN_MODEL_H_

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "apps/cnn/graph.h"
#include "apps/cnn/model_zoo.h"
#include "apps/cnn/sgd.h"

namespace gaia::cnn {

struct StepResult {
  double loss = 0;      // mean softmax cross-entropy over the batch
  int64_t correct = 0;  // samples whose top class is the label
};

struct EvalResult {
  double loss = 0;      // mean over all n samples
  double accuracy = 0;  // correct / n
};

class Model {
 public:
  // InvalidArgument naming the ModelSpec field for a bad spec.
  static absl::StatusOr<Model> Create(const ModelSpec& spec);

  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

  const ModelSpec& spec() const;
  int threads() const;             // the resolved thread count
  size_t sample_size() const;      // floats per image: C * H * W

  std::span<float> params();
  std::span<const float> params() const;
  size_t num_trainable() const;
  std::span<const float> grads() const;
  const std::vector<ParamBlock>& layout() const;

  // Training-mode forward, loss, backward (fills grads()) and sgd.Step on
  // the trainable parameters. BatchNorm running statistics are updated.
  absl::StatusOr<StepResult> TrainStep(std::span<const float> images,
                                       std::span<const int32_t> labels, int batch, Sgd& sgd);
  absl::StatusOr<StepResult> TrainStep(std::span<const float> images,
                                       std::span<const uint8_t> labels, int batch, Sgd& sgd);

  // TrainStep without the update: fills grads(), updates BatchNorm running
  // statistics, leaves the trainable parameters alone.
  absl::StatusOr<StepResult> ComputeGradients(std::span<const float> images,
                                              std::span<const int32_t> labels, int batch);

  // Eval mode (BatchNorm uses running statistics) over the first n samples
  // in batches of at most `batch`; changes nothing.
  absl::StatusOr<EvalResult> Evaluate(std::span<const float> images,
                                      std::span<const int32_t> labels, int64_t n, int batch);
  absl::StatusOr<EvalResult> Evaluate(std::span<const float> images,
                                      std::span<const uint8_t> labels, int64_t n, int batch);

  // The mean loss of one batch without changing anything; `training` picks
  // batch statistics (as TrainStep sees them) or running ones. For checks.
  absl::StatusOr<double> Loss(std::span<const float> images, std::span<const int32_t> labels,
                              int batch, bool training);

 private:
  struct Impl;
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_MODEL_H_
