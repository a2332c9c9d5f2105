// Significance thresholds (DESIGN.md §4.2, thesis §5.3.4).
//
// Hard threshold: every update above it is guaranteed to reach the other DCs.
// It starts at v0 and decays so that ASP converges:
//   kNone          v0
//   kInverseSqrt   v0 / sqrt(t), t = max(clock, 1)
//   kLearningRate  v0 * lr(t) / lr(first report); v0 until the app reports
//                  its learning rate (gaia::Worker::ReportLearningRate)
//   kAuto          kLearningRate once the app has reported its learning
//                  rate, kInverseSqrt until then (the default): the thesis's
//                  "the threshold decreases whenever the learning rate
//                  decreases" for apps that say, v0/sqrt(t) for the others
//
// Soft threshold (goal = speed): a lower bar used while the WAN links are
// under-used, so idle bandwidth carries less significant updates too. It is
// soft_ratio * hard, where soft_ratio halves after each clock in which every
// link was under-used (down to min_soft_ratio) and doubles back (up to 1)
// after a clock in which one was not. Off (always equal to hard) for goal =
// cost.
//
//   ThresholdSchedule schedule({.initial = 0.01});
//   double hard = schedule.Hard(clock);
//   schedule.OnClock(/*links_underused=*/true);
//   double bar = schedule.Soft(clock);   // <= hard
//
// Not thread-safe.
#ifndef GAIA_SRC_SIGNIFICANCE_THRESHOLD_H_
#define GAIA_SRC_SIGNIFICANCE_THRESHOLD_H_

#include <cstdint>

namespace gaia::significance {

enum class Decay { kNone, kInverseSqrt, kLearningRate, kAuto };

struct ThresholdOptions {
  double initial = 0.01;        // v0, > 0
  Decay decay = Decay::kAuto;
  bool soft_enabled = true;     // goal = speed
  double min_soft_ratio = 0.1;  // soft >= min_soft_ratio * hard, in (0, 1]
};

class ThresholdSchedule {
 public:
  explicit ThresholdSchedule(ThresholdOptions options) : options_(options) {}

  // The hard threshold in force at shard clock `clock` (>= 0).
  double Hard(int64_t clock) const;

  // The soft threshold in force at `clock`: soft_ratio() * Hard(clock).
  double Soft(int64_t clock) const { return soft_ratio_ * Hard(clock); }
  double soft_ratio() const { return soft_ratio_; }

  // End of a clock: were all links under-used during it?
  void OnClock(bool links_underused);

  // The app's current learning rate (> 0; others are ignored).
  void ReportLearningRate(double learning_rate);

 private:
  const ThresholdOptions options_;
  double soft_ratio_ = 1.0;
  double first_lr_ = 0;    // 0 until the first report
  double current_lr_ = 0;
};

}  // namespace gaia::significance

#endif  // GAIA_SRC_SIGNIFICANCE_THRESHOLD_H_
