// The per-row scaling of a worker's pushed change (StepRule in sgd.h): the
// overlap estimate learned from successive reads and the scaling applied after
// each pass. One instance per worker, shared by the CPU pass (LocalSgd) and
// the GPU pass (apps/mf/cuda/device_sgd.h) so both push by the same rule.
//
//   StepRuleScaler scaler(rule, items.size(), rank);
//   each clock: scaler.Observe(r);            // r as read, before the pass
//               ...pass, delta = r - before, curvature per row if Damped()...
//               scaler.Scale(eta, curvature, before, r, delta);
//
// Not thread-safe.
#ifndef GAIA_APPS_MF_STEP_RULE_H_
#define GAIA_APPS_MF_STEP_RULE_H_

#include <cstdint>
#include <span>
#include <vector>

namespace gaia::mf {

enum class StepRule;  // sgd.h, which holds a StepRuleScaler in LocalSgd

class StepRuleScaler {
 public:
  StepRuleScaler();  // StepRule::kSum over no rows
  StepRuleScaler(StepRule rule, size_t rows, uint32_t rank);

  // True when Scale() needs, per row, the sum of |l_u|^2 over the pass.
  bool Damped() const;

  // Learns the overlap from `r`, the rows as read at the start of this clock
  // (a no-op with kSum and on the first clock).
  void Observe(std::span<const float> r);

  // Scales `delta` (r - before on entry) per row by the rule, sets r = before
  // + delta for the rows it scaled, and remembers what was read and pushed.
  // `curvature` holds one vector per independent pass (thread or device),
  // each with one sum per row; empty unless Damped(). No-op with kSum.
  void Scale(double eta, std::span<const std::vector<float>> curvature,
             std::span<const float> before, std::span<float> r, std::span<float> delta);

  // Overlap per row (empty with kSum).
  const std::vector<float>& overlap() const { return overlap_; }

 private:
  StepRule rule_;
  uint32_t rank_ = 0;
  std::vector<float> overlap_;    // per row, see StepRule
  std::vector<double> moved_;     // average of <d_i, c_i> over clocks
  std::vector<double> sent_;      // average of |c_i|^2 over clocks
  std::vector<float> last_read_;  // r as read last clock (rows x rank)
  std::vector<float> last_sent_;  // the change pushed last clock
};

}  // namespace gaia::mf

#endif  // GAIA_APPS_MF_STEP_RULE_H_
