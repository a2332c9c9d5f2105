// The convergence rule every app's serial reference applies to its
// objective series (DESIGN.md §8, the job spec's `convergence`; the
// launcher's own copy for runs is src/cli/convergence.h).
//
//   std::optional<size_t> t = gaia::apps::ConvergedAt(objectives, 10, 0.02);
#ifndef GAIA_APPS_COMMON_CONVERGENCE_H_
#define GAIA_APPS_COMMON_CONVERGENCE_H_

#include <cstddef>
#include <optional>
#include <span>

namespace gaia::apps {

// The first index t >= window (and >= 1) with
// |obj[t] - obj[t - window]| < tolerance * |obj[t - window]|, if any.
std::optional<size_t> ConvergedAt(std::span<const double> objectives, size_t window,
                                  double tolerance);

}  // namespace gaia::apps

#endif  // GAIA_APPS_COMMON_CONVERGENCE_H_
