// The per-clock progress line every app prints on stdout, so a person (and
// the launcher's logs) read every app's progress the same way:
//
//   clock 3/60 objective 210345 test_rmse 0.5312 elapsed_s 1.25 ratings_per_s 4.1e+06 lr 0.0061
//
// `clock N/M objective X` always comes first (tools parse it); then the
// held-out measure (Worker::ReportHeldOut) when there is one, the elapsed
// time, the rate, and the app's own fields in the order given.
//
//   gaia::apps::ProgressLine line;
//   line.clock = t + 1; line.clocks = clocks; line.objective = obj;
//   line.held_out_name = "test_rmse"; line.held_out = rmse;
//   line.elapsed_s = run.ElapsedSeconds();
//   line.rate_name = "ratings_per_s"; line.rate = PerSecond(n, clock_s);
//   line.extra = {{"lr", eta}};
//   gaia::apps::PrintProgressLine(line);
//
// Pure formatting; thread-safe.
#ifndef GAIA_APPS_COMMON_PROGRESS_H_
#define GAIA_APPS_COMMON_PROGRESS_H_

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gaia::apps {

struct ProgressLine {
  int64_t clock = 0;   // clocks done (1 after the first)
  int64_t clocks = 0;  // clocks the app will run
  double objective = 0;
  std::string held_out_name;      // e.g. "test_rmse"; the key printed
  std::optional<double> held_out; // printed only when set (and named)
  double elapsed_s = 0;           // since training started
  std::string rate_name = "updates_per_s";
  std::optional<double> rate;     // printed only when set
  // The app's own fields, printed as "key value" (%.4g) in this order.
  std::vector<std::pair<std::string, double>> extra;
};

// The line without a trailing newline. Objective %.6g, held-out %.5g,
// elapsed %.2f, rate %.3g; non-finite numbers print as nan/inf.
std::string FormatProgressLine(const ProgressLine& line);

// Writes the line and a newline to `out` and flushes it (the launcher's logs
// and a watching person see each clock as it ends).
void PrintProgressLine(const ProgressLine& line, std::FILE* out = stdout);

}  // namespace gaia::apps

#endif  // GAIA_APPS_COMMON_PROGRESS_H_
