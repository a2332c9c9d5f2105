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
// Soft threshold (goal = speed, thesis §5.3.4): a lower bar toward one
// destination while the link to it has spare capacity, so idle bandwidth
// carries less significant updates too. It is SoftRatio::ratio() * hard,
// one SoftRatio per outgoing link: the ratio halves after each clock at
// whose end the link had spare capacity (down to min_soft_ratio) and doubles
// back (up to 1) after a clock at whose end it had not. Off (always 1) for
// goal = cost. What the mirror does with updates between the two bars
// (best effort, never a barrier) is in src/mirror/best_effort_queue.h.
//
//   ThresholdSchedule schedule({.initial = 0.01});
//   double hard = schedule.Hard(clock);
//   SoftRatio to_dc1(options);            // the same ThresholdOptions
//   to_dc1.OnClock(/*spare=*/true);
//   double bar = to_dc1.ratio() * hard;   // <= hard
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

  // The app's current learning rate (> 0; others are ignored).
  void ReportLearningRate(double learning_rate);

 private:
  const ThresholdOptions options_;
  double first_lr_ = 0;    // 0 until the first report
  double current_lr_ = 0;
};

// One outgoing link's soft threshold as a fraction of the hard one.
class SoftRatio {
 public:
  explicit SoftRatio(const ThresholdOptions& options)
      : enabled_(options.soft_enabled), min_(options.min_soft_ratio) {}

  // End of a clock: did the link have spare capacity?
  void OnClock(bool spare);
  double ratio() const { return ratio_; }

 private:
  bool enabled_;
  double min_;
  double ratio_ = 1.0;
};

}  // namespace gaia::significance

#endif  // GAIA_SRC_SIGNIFICANCE_THRESHOLD_H_
