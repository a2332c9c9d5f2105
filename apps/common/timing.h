// Timing for apps: a stopwatch and an RAII timer that adds a scope's duration
// to a running total (instead of macros or start/stop pairs).
//
//   gaia::apps::Stopwatch run;                 // started at construction
//   double compute_ms = 0;
//   {
//     gaia::apps::ScopedTimer timer(&compute_ms);
//     ... work ...
//   }                                          // compute_ms += the scope's time
//   double rate = gaia::apps::PerSecond(updates, run.ElapsedSeconds());
//
// Both use the steady clock. Not thread-safe (one per thread).
#ifndef GAIA_APPS_COMMON_TIMING_H_
#define GAIA_APPS_COMMON_TIMING_H_

#include <chrono>

namespace gaia::apps {

class Stopwatch {
 public:
  using Clock = std::chrono::steady_clock;

  Stopwatch() : start_(Clock::now()) {}

  // Starts over from now.
  void Restart() { start_ = Clock::now(); }

  double ElapsedSeconds() const {
    return std::chrono::duration<double>(Clock::now() - start_).count();
  }
  double ElapsedMs() const { return 1e3 * ElapsedSeconds(); }

  // The milliseconds since the last Lap() (or construction/Restart()), and
  // starts the next lap: consecutive laps partition the time.
  double LapMs() {
    const Clock::time_point now = Clock::now();
    const double ms = std::chrono::duration<double, std::milli>(now - start_).count();
    start_ = now;
    return ms;
  }

 private:
  Clock::time_point start_;
};

// Adds the milliseconds between construction and destruction to *total_ms.
class ScopedTimer {
 public:
  explicit ScopedTimer(double* total_ms) : total_ms_(total_ms) {}
  ~ScopedTimer() { *total_ms_ += watch_.ElapsedMs(); }
  ScopedTimer(const ScopedTimer&) = delete;
  ScopedTimer& operator=(const ScopedTimer&) = delete;

 private:
  double* total_ms_;
  Stopwatch watch_;
};

// count / seconds, or 0 when no time has passed (a rate is never inf/NaN).
inline double PerSecond(double count, double seconds) {
  return seconds > 0 ? count / seconds : 0.0;
}

}  // namespace gaia::apps

#endif  // GAIA_APPS_COMMON_TIMING_H_
