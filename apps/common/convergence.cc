#include "apps/common/convergence.h"

#include <algorithm>
#include <cmath>

namespace gaia::apps {

std::optional<size_t> ConvergedAt(std::span<const double> objectives, size_t window,
                                  double tolerance) {
  window = std::max<size_t>(window, 1);
  for (size_t t = window; t < objectives.size(); ++t) {
    const double before = objectives[t - window];
    if (std::abs(objectives[t] - before) < tolerance * std::abs(before)) return t;
  }
  return std::nullopt;
}

}  // namespace gaia::apps
