#include "apps/cnn/sgd.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "absl/strings/str_cat.h"

namespace gaia::cnn {

absl::StatusOr<Sgd> Sgd::Create(const SgdOptions& o) {
  if (!(o.lr >= 0) || !std::isfinite(o.lr)) {
    return absl::InvalidArgumentError(absl::StrCat("SgdOptions.lr must be >= 0, got ", o.lr));
  }
  if (!(o.momentum >= 0 && o.momentum < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("SgdOptions.momentum must be in [0, 1), got ", o.momentum));
  }
  if (!(o.weight_decay >= 0) || !std::isfinite(o.weight_decay)) {
    return absl::InvalidArgumentError(
        absl::StrCat("SgdOptions.weight_decay must be >= 0, got ", o.weight_decay));
  }
  if (o.nesterov && o.momentum <= 0) {
    return absl::InvalidArgumentError("SgdOptions.nesterov needs momentum > 0");
  }
  return Sgd(o);
}

absl::Status Sgd::Step(std::span<float> params, std::span<const float> grads) {
  if (params.size() != grads.size()) {
    return absl::InvalidArgumentError(absl::StrCat("Sgd::Step: ", params.size(),
                                                   " params but ", grads.size(), " grads"));
  }
  const float lr = static_cast<float>(options_.lr);
  const float wd = static_cast<float>(options_.weight_decay);
  const float mu = static_cast<float>(options_.momentum);
  const size_t n = params.size();
  if (mu == 0) {
    for (size_t i = 0; i < n; ++i) params[i] -= lr * (grads[i] + wd * params[i]);
    return absl::OkStatus();
  }
  if (velocity_.empty()) {
    velocity_.resize(n);
    for (size_t i = 0; i < n; ++i) velocity_[i] = grads[i] + wd * params[i];
  } else if (velocity_.size() != n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Sgd::Step: ", n, " params but the momentum buffer has ", velocity_.size()));
  } else {
    for (size_t i = 0; i < n; ++i) velocity_[i] = mu * velocity_[i] + grads[i] + wd * params[i];
  }
  if (options_.nesterov) {
    for (size_t i = 0; i < n; ++i) {
      const float g = grads[i] + wd * params[i];
      params[i] -= lr * (g + mu * velocity_[i]);
    }
  } else {
    for (size_t i = 0; i < n; ++i) params[i] -= lr * velocity_[i];
  }
  return absl::OkStatus();
}

absl::StatusOr<LrSchedule> LrSchedule::Create(const Options& o) {
  if (!(o.base_lr > 0) || !std::isfinite(o.base_lr)) {
    return absl::InvalidArgumentError(
        absl::StrCat("LrSchedule.base_lr must be > 0, got ", o.base_lr));
  }
  switch (o.kind) {
    case Kind::kConstant:
      break;
    case Kind::kStep:
      if (!(o.gamma > 0 && o.gamma <= 1)) {
        return absl::InvalidArgumentError(
            absl::StrCat("LrSchedule.gamma must be in (0, 1], got ", o.gamma));
      }
      if (o.step_epochs < 1) {
        return absl::InvalidArgumentError(
            absl::StrCat("LrSchedule.step_epochs must be >= 1, got ", o.step_epochs));
      }
      break;
    case Kind::kCosine:
      if (o.total_steps < 1) {
        return absl::InvalidArgumentError(
            absl::StrCat("LrSchedule.total_steps must be >= 1, got ", o.total_steps));
      }
      if (!(o.min_lr >= 0 && o.min_lr <= o.base_lr)) {
        return absl::InvalidArgumentError(
            absl::StrCat("LrSchedule.min_lr must be in [0, base_lr], got ", o.min_lr));
      }
      break;
    default:
      return absl::InvalidArgumentError("LrSchedule.kind is not a known kind");
  }
  return LrSchedule(o);
}

absl::StatusOr<LrSchedule::Kind> LrSchedule::ParseKind(std::string_view name) {
  if (name == "constant") return Kind::kConstant;
  if (name == "step") return Kind::kStep;
  if (name == "cosine") return Kind::kCosine;
  return absl::InvalidArgumentError(absl::StrCat(
      "LrSchedule.kind: unknown schedule '", std::string(name), "' (constant, step, cosine)"));
}

double LrSchedule::At(int64_t step, int64_t epoch) const {
  const Options& o = options_;
  step = std::max<int64_t>(step, 0);
  epoch = std::max<int64_t>(epoch, 0);
  switch (o.kind) {
    case Kind::kConstant:
      return o.base_lr;
    case Kind::kStep:
      return o.base_lr * std::pow(o.gamma, static_cast<double>(epoch / o.step_epochs));
    case Kind::kCosine: {
      const double t = static_cast<double>(std::min(step, o.total_steps)) / o.total_steps;
      return o.min_lr + (o.base_lr - o.min_lr) * 0.5 * (1 + std::cos(std::numbers::pi * t));
    }
  }
  return o.base_lr;
}

}  // namespace gaia::cnn
