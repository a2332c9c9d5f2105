#include "apps/mf/step_rule.h"

#include <algorithm>
#include <cmath>

#include "apps/mf/sgd.h"

namespace gaia::mf {
namespace {

// Bounds of the per-clock overlap measurement rho (StepRule).
constexpr float kMinOverlap = 1.0f;
constexpr float kMaxOverlap = 1e6f;
constexpr float kAloneOverlap = 1.01f;  // rho below this counts as 1
// A row whose pushed change had a squared norm below this gives no rho.
constexpr double kMinSentNorm2 = 1e-24;

}  // namespace

StepRuleScaler::StepRuleScaler() : rule_(StepRule::kSum) {}

bool StepRuleScaler::Damped() const { return rule_ == StepRule::kDamped; }

StepRuleScaler::StepRuleScaler(StepRule rule, size_t rows, uint32_t rank)
    : rule_(rule), rank_(rank) {
  if (rule_ == StepRule::kSum) return;
  overlap_.assign(rows, kMinOverlap);
  moved_.assign(rows, 0.0);
  sent_.assign(rows, 0.0);
}

void StepRuleScaler::Observe(std::span<const float> r) {
  if (rule_ == StepRule::kSum) return;
  const uint32_t k = rank_;
  if (last_sent_.size() != r.size()) return;  // the first clock
  for (size_t j = 0; j < overlap_.size(); ++j) {
    double dot = 0, norm2 = 0;
    for (uint32_t c = 0; c < k; ++c) {
      const size_t x = j * k + c;
      const double sent = last_sent_[x];
      dot += (static_cast<double>(r[x]) - last_read_[x]) * sent;
      norm2 += sent * sent;
    }
    if (norm2 < kMinSentNorm2) continue;  // pushed nothing: nothing learned
    // Averages of <d, c> and |c|^2 separately, so the clocks with large
    // changes (the ones that can overshoot) weigh most and a tiny, noisy
    // change does not swing the estimate.
    moved_[j] = 0.5 * moved_[j] + 0.5 * dot;
    sent_[j] = 0.5 * sent_[j] + 0.5 * norm2;
    float rho = std::clamp(static_cast<float>(moved_[j] / sent_[j]), kMinOverlap,
                           kMaxOverlap);
    // A worker alone reads back its own change, up to float rounding.
    if (rho < kAloneOverlap) rho = kMinOverlap;
    overlap_[j] = rho;
  }
}

void StepRuleScaler::Scale(double eta, std::span<const std::vector<float>> curvature,
                           std::span<const float> before, std::span<float> r,
                           std::span<float> delta) {
  if (rule_ == StepRule::kSum) return;
  const uint32_t k = rank_;
  const size_t rows = overlap_.size();
  // s_i: how far each pass moved row i towards its local optimum, summed over
  // the passes (their changes are summed like workers').
  std::vector<float> saturation(Damped() ? rows : 0, 0.0f);
  for (const std::vector<float>& c : curvature) {
    for (size_t j = 0; j < saturation.size(); ++j) {
      saturation[j] += static_cast<float>(1.0 - std::exp(-eta * c[j]));
    }
  }
  for (size_t j = 0; j < rows; ++j) {
    float scale = 1.0f / overlap_[j];
    if (Damped()) scale = std::min(1.0f, 1.0f / (overlap_[j] * saturation[j]));
    if (!(scale < 1.0f)) continue;  // rows left as they are stay bit-identical
    for (uint32_t c = 0; c < k; ++c) {
      const size_t x = j * k + c;
      delta[x] *= scale;
      r[x] = before[x] + delta[x];
    }
  }
  last_read_.assign(before.begin(), before.end());
  last_sent_.assign(delta.begin(), delta.end());
}

}  // namespace gaia::mf
