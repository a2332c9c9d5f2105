#include "src/cli/convergence.h"

#include <cmath>

namespace gaia::cli {

std::optional<ConvergencePoint> FindConvergence(const std::vector<ObjectivePoint>& series,
                                                int window, double tolerance) {
  if (window < 1) window = 1;
  for (size_t i = static_cast<size_t>(window); i < series.size(); ++i) {
    const double before = series[i - window].objective;
    const double now = series[i].objective;
    if (std::isfinite(now) && std::abs(now - before) <= tolerance * std::abs(before)) {
      return ConvergencePoint{series[i].clock, series[i].time_s, now};
    }
  }
  return std::nullopt;
}

std::optional<ObjectivePoint> FirstReaching(const std::vector<ObjectivePoint>& series,
                                            double target) {
  const double bar = target + kTargetRoundingTolerance * std::abs(target);
  for (const ObjectivePoint& p : series) {
    if (p.objective <= bar) return p;
  }
  return std::nullopt;
}

}  // namespace gaia::cli
