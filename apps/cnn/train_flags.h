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
#include <string>

#include <CLI/CLI.hpp>

#include "absl/status/statusor.h"
#include "apps/cnn/model.h"
#include "apps/cnn/sgd.h"

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
};

void AddTrainFlags(CLI::App& app, TrainFlags* flags);

// The model, its optimizer and the learning-rate schedule.
struct Trainer {
  Model model;
  Sgd sgd;
  LrSchedule schedule;
};

// InvalidArgument naming the flag for a bad value; FailedPrecondition for
// --device=cuda on a build or a machine without a GPU. `total_steps` is what
// the cosine schedule anneals over.
absl::StatusOr<Trainer> CreateTrainer(const TrainFlags& flags, int64_t total_steps);

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_TRAIN_FLAGS_H_
