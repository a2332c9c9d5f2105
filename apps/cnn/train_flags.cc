#include "apps/cnn/train_flags.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "apps/cnn/model_zoo.h"

namespace gaia::cnn {

void AddTrainFlags(CLI::App& app, TrainFlags* flags) {
  app.add_option("--model", flags->model.name,
                 absl::StrCat("network: ", absl::StrJoin(ModelNames(), ", ")))
      ->capture_default_str();
  app.add_option("--norm", flags->model.norm, "normalization: group, batch or none")
      ->capture_default_str();
  app.add_option("--groups", flags->model.groups, "GroupNorm groups")->capture_default_str();
  app.add_option("--seed", flags->model.seed, "weight initialization seed (the same on "
                 "every worker)")->capture_default_str();
  app.add_option("--threads", flags->model.threads,
                 "CPU threads per training step (0 = every core)")->capture_default_str();
  app.add_option("--batch", flags->batch, "images per mini-batch")
      ->check(CLI::Range(1u, 1u << 16))->capture_default_str();
  app.add_option("--lr", flags->sgd.lr, "learning rate")->capture_default_str();
  app.add_option("--momentum", flags->sgd.momentum, "SGD momentum")->capture_default_str();
  app.add_option("--weight-decay", flags->sgd.weight_decay, "L2 weight decay")
      ->capture_default_str();
  app.add_option("--nesterov", flags->sgd.nesterov, "Nesterov momentum")->capture_default_str();
  app.add_option("--lr-schedule", flags->schedule, "constant, step or cosine")
      ->capture_default_str();
  app.add_option("--lr-gamma", flags->lr_gamma, "step schedule: factor per period")
      ->capture_default_str();
  app.add_option("--lr-step-epochs", flags->lr_step_epochs, "step schedule: period in epochs")
      ->capture_default_str();
  app.add_option("--shuffle-seed", flags->shuffle_seed, "mini-batch order seed")
      ->capture_default_str();
  app.add_option("--device", flags->device, "cpu or cuda")->capture_default_str();
  app.add_option("--cuda-device", flags->cuda_device, "--device=cuda: the GPU's index")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
}

namespace {

absl::StatusOr<TrainerModel> CreateModel(const TrainFlags& flags) {
  if (flags.device == "cuda") {
#ifdef GAIA_HAVE_CUDA_MODEL
    absl::StatusOr<CudaModel> model = CudaModel::Create(flags.model, flags.cuda_device);
    if (!model.ok()) return model.status();
    return TrainerModel(std::move(*model));
#else
    return absl::FailedPreconditionError(
        "--device=cuda: this build of apps/cnn has no GPU path (built without CUDA or "
        "cuDNN; see docs/APP_CNN_GPU.md)");
#endif
  }
  if (flags.device != "cpu") {
    return absl::InvalidArgumentError(
        absl::StrCat("--device=", flags.device, ": must be cpu or cuda"));
  }
  absl::StatusOr<Model> model = Model::Create(flags.model);
  if (!model.ok()) return model.status();
  return TrainerModel(std::move(*model));
}

}  // namespace

absl::StatusOr<Trainer> CreateTrainer(const TrainFlags& flags, const ImageSet& data,
                                      int64_t total_steps) {
  TrainFlags shaped = flags;
  shaped.model.in_channels = static_cast<int>(data.channels);
  shaped.model.in_height = static_cast<int>(data.height);
  shaped.model.in_width = static_cast<int>(data.width);
  shaped.model.classes = static_cast<int>(data.classes);
  absl::StatusOr<TrainerModel> model = CreateModel(shaped);
  if (!model.ok()) return model.status();
  absl::StatusOr<Sgd> sgd = Sgd::Create(flags.sgd);
  if (!sgd.ok()) return sgd.status();
  absl::StatusOr<LrSchedule::Kind> kind = LrSchedule::ParseKind(flags.schedule);
  if (!kind.ok()) return kind.status();
  LrSchedule::Options schedule;
  schedule.kind = *kind;
  schedule.base_lr = flags.sgd.lr;
  schedule.gamma = flags.lr_gamma;
  schedule.step_epochs = flags.lr_step_epochs;
  schedule.total_steps = std::max<int64_t>(total_steps, 1);
  absl::StatusOr<LrSchedule> lr = LrSchedule::Create(schedule);
  if (!lr.ok()) return lr.status();
  return Trainer{std::move(*model), std::move(*sgd), std::move(*lr)};
}

}  // namespace gaia::cnn
