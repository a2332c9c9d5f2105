#include "src/significance/threshold.h"

#include <algorithm>
#include <cmath>

namespace gaia::significance {

double ThresholdSchedule::Hard(int64_t clock) const {
  switch (options_.decay) {
    case Decay::kNone:
      return options_.initial;
    case Decay::kInverseSqrt:
      return options_.initial / std::sqrt(static_cast<double>(std::max<int64_t>(clock, 1)));
    case Decay::kLearningRate:
      if (first_lr_ <= 0) return options_.initial;
      return options_.initial * current_lr_ / first_lr_;
    case Decay::kAuto:
      if (first_lr_ > 0) return options_.initial * current_lr_ / first_lr_;
      return options_.initial / std::sqrt(static_cast<double>(std::max<int64_t>(clock, 1)));
  }
  return options_.initial;
}

void SoftRatio::OnClock(bool spare) {
  if (!enabled_) return;
  ratio_ = spare ? std::max(min_, ratio_ * 0.5) : std::min(1.0, ratio_ * 2.0);
}

void ThresholdSchedule::ReportLearningRate(double learning_rate) {
  if (!(learning_rate > 0) || !std::isfinite(learning_rate)) return;
  if (first_lr_ <= 0) first_lr_ = learning_rate;
  current_lr_ = learning_rate;
}

}  // namespace gaia::significance
