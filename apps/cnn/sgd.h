// Stochastic gradient descent with momentum and weight decay, PyTorch's
// torch.optim.SGD rule (dampening 0):
//
//   g = grad + weight_decay * w
//   v = momentum * v + g            (v = g on the first step)
//   w -= lr * (nesterov ? g + momentum * v : v)
//
// and a learning-rate schedule queried by step or epoch.
//
//   absl::StatusOr<Sgd> sgd = Sgd::Create({.lr = 0.05});
//   absl::StatusOr<LrSchedule> schedule = LrSchedule::Create(
//       {.kind = LrSchedule::Kind::kCosine, .base_lr = 0.05, .total_steps = 10000});
//   sgd->set_lr(schedule->At(step, epoch));
//   absl::Status s = sgd->Step(model.params().first(model.num_trainable()), model.grads());
//
// (Model::TrainStep calls Step itself.)
//
// The momentum buffer is this optimizer's own (in Gaia each worker keeps
// one; only weight changes travel). Not thread-safe.
#ifndef GAIA_APPS_CNN_SGD_H_
#define GAIA_APPS_CNN_SGD_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gaia::cnn {

struct SgdOptions {
  double lr = 0.05;             // step size; >= 0
  double momentum = 0.9;        // in [0, 1); 0 disables the buffer
  double weight_decay = 5e-4;   // L2 coefficient added to the gradient; >= 0
  bool nesterov = false;        // Nesterov momentum (needs momentum > 0)
};

class Sgd {
 public:
  // InvalidArgument naming the field for a value outside its range.
  static absl::StatusOr<Sgd> Create(const SgdOptions& options);

  // One update of params (the trainable ones) from grads. The momentum
  // buffer is sized by the first call; a later call with another size is
  // InvalidArgument. Parameters are updated in place.
  absl::Status Step(std::span<float> params, std::span<const float> grads);

  double lr() const { return options_.lr; }
  // REQUIRES: lr >= 0 (a negative value is clamped to 0).
  void set_lr(double lr) { options_.lr = lr < 0 ? 0 : lr; }
  const SgdOptions& options() const { return options_; }

  // Forgets the momentum buffer (the next step starts it from the gradient).
  void Reset() { velocity_.clear(); }

 private:
  explicit Sgd(const SgdOptions& options) : options_(options) {}

  SgdOptions options_;
  std::vector<float> velocity_;  // empty until the first step
};

// The learning rate as a function of training progress.
class LrSchedule {
 public:
  enum class Kind {
    kConstant,  // base_lr
    kStep,      // base_lr * gamma^(epoch / step_epochs)
    kCosine,    // min_lr + (base_lr - min_lr) (1 + cos(pi * min(step, total) / total)) / 2
  };
  struct Options {
    Kind kind = Kind::kConstant;
    double base_lr = 0.05;     // > 0
    double gamma = 0.1;        // kStep: factor per period; in (0, 1]
    int64_t step_epochs = 30;  // kStep: period in epochs; >= 1
    int64_t total_steps = 0;   // kCosine: steps to anneal over; >= 1
    double min_lr = 0;         // kCosine: the floor; in [0, base_lr]
  };

  static absl::StatusOr<LrSchedule> Create(const Options& options);
  // "constant", "step" or "cosine".
  static absl::StatusOr<Kind> ParseKind(std::string_view name);

  // The rate for global step `step` (kCosine) or epoch `epoch` (kStep),
  // both counted from 0; negative values count as 0.
  double At(int64_t step, int64_t epoch) const;

  const Options& options() const { return options_; }

 private:
  explicit LrSchedule(const Options& options) : options_(options) {}
  Options options_;
};

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_SGD_H_
