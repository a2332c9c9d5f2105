// The training flags gaia_cnn and gaia_cnn_serial share (only their mains
// include this: flags stay at the edge), and what they build from them.
//
//   gaia::cnn::TrainFlags flags;
//   gaia::cnn::AddTrainFlags(app, &flags);
//   ... parse ...
//   absl::StatusOr<gaia::cnn::Trainer> t = gaia::cnn::Trainer::Create(flags, steps_per_epoch);
//   t->model.TrainStep(images, labels, flags.batch, t->sgd);
#ifndef GAIA_APPS_CNN_TRAIN_FLAGS_H_
#define GAIA_APPS_CNN_TRAIN_FLAGS_H_

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/status/statusor.h"
#include "apps/cnn/image_set.h"
#include "apps/cnn/model.h"
#include "apps/cnn/sgd.h"
#ifdef GAIA_HAVE_CUDA_MODEL
#include "apps/cnn/cuda/cuda_model.h"
#endif

namespace gaia::cnn {

struct TrainFlags {
  ModelSpec model;
  SgdOptions sgd;
  std::string schedule = "constant";  // LrSchedule kind
  double lr_gamma = 0.1;              // step schedule
  int64_t lr_step_epochs = 30;        // step schedule
  uint32_t batch = 32;                // images per mini-batch
  uint64_t shuffle_seed = 1;          // the batch order (each worker adds its index)
  std::string device = "cpu";         // "cpu" | "cuda"
  int cuda_device = 0;                // --device=cuda: which GPU
};

void AddTrainFlags(CLI::App& app, TrainFlags* flags);

// The model a Trainer drives: a CPU Model or, for --device=cuda in a build
// with the GPU path (GAIA_HAVE_CUDA_MODEL), a CudaModel, which has the same
// API (docs/APP_CNN_GPU.md): the calls the programs make, forwarded.
class TrainerModel {
 public:
  explicit TrainerModel(Model m) : m_(std::move(m)) {}
#ifdef GAIA_HAVE_CUDA_MODEL
  explicit TrainerModel(CudaModel m) : m_(std::move(m)) {}
#endif
  std::span<float> params() {
    return std::visit([](auto& m) { return m.params(); }, m_);
  }
  std::span<const float> params() const {
    return std::visit([](const auto& m) { return m.params(); }, m_);
  }
  size_t num_trainable() const {
    return std::visit([](const auto& m) { return m.num_trainable(); }, m_);
  }
  const std::vector<ParamBlock>& layout() const {
    return std::visit(
        [](const auto& m) -> const std::vector<ParamBlock>& { return m.layout(); }, m_);
  }
  int threads() const { return std::visit([](const auto& m) { return m.threads(); }, m_); }
  absl::StatusOr<StepResult> TrainStep(std::span<const float> images,
                                       std::span<const int32_t> labels, int batch, Sgd& sgd) {
    return std::visit([&](auto& m) { return m.TrainStep(images, labels, batch, sgd); }, m_);
  }
  absl::StatusOr<EvalResult> Evaluate(std::span<const float> images,
                                      std::span<const int32_t> labels, int64_t n, int batch) {
    return std::visit([&](auto& m) { return m.Evaluate(images, labels, n, batch); }, m_);
  }

 private:
#ifdef GAIA_HAVE_CUDA_MODEL
  std::variant<Model, CudaModel> m_;
#else
  std::variant<Model> m_;
#endif
};

// The model, its optimizer and the learning-rate schedule.
struct Trainer {
  TrainerModel model;
  Sgd sgd;
  LrSchedule schedule;
};

// InvalidArgument naming the flag for a bad value; FailedPrecondition for
// --device=cuda on a build or a machine without a GPU. The model's input
// (channels, height, width) and classes are the data's. `total_steps` is
// what the cosine schedule anneals over.
absl::StatusOr<Trainer> CreateTrainer(const TrainFlags& flags, const ImageSet& data,
                                      int64_t total_steps);

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_TRAIN_FLAGS_H_
