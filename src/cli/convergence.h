// Convergence and time-to-target (DESIGN.md §8): an objective series has
// converged at the first clock where it changed by less than `tolerance`
// (relative) over the last `window` clocks; time-to-target is the first time
// a run's objective reached a target (the LAN run's converged objective).
#ifndef GAIA_SRC_CLI_CONVERGENCE_H_
#define GAIA_SRC_CLI_CONVERGENCE_H_

#include <cstdint>
#include <optional>
#include <vector>

namespace gaia::cli {

struct ObjectivePoint {
  int64_t clock = 0;
  double time_s = 0;     // since the run started
  double objective = 0;
};

struct ConvergencePoint {
  int64_t clock = 0;
  double time_s = 0;
  double objective = 0;
};

// First point i with i >= window and |obj[i] - obj[i-window]| <=
// tolerance * |obj[i-window]|; nullopt if never. Points must be in clock order
// without gaps.
std::optional<ConvergencePoint> FindConvergence(const std::vector<ObjectivePoint>& series,
                                                int window, double tolerance);

// How far above the target an objective may be and still count as reaching
// it, relative to |target|: float rounding, so that a run computing what the
// target run computed (baseline against lan under BSP) reaches its final
// objective even when the sums were added in another order.
inline constexpr double kTargetRoundingTolerance = 1e-5;

// First point whose objective <= target + kTargetRoundingTolerance * |target|;
// nullopt if never reached.
std::optional<ObjectivePoint> FirstReaching(const std::vector<ObjectivePoint>& series,
                                            double target);

}  // namespace gaia::cli

#endif  // GAIA_SRC_CLI_CONVERGENCE_H_
