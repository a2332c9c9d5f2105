// Appends one JSON line per clock to the worker's metrics file (the launcher
// tails it for progress and merges it into metrics.jsonl). Format, one object
// per line, flushed after each line:
//
//   {"worker":0,"dc":"dc0","clock":3,"time_s":1.25,"unix_time_s":1795000000.5,
//    "objective":0.41,
//    "learning_rate":null,"rows_pushed":120,"bytes_pushed":3840,
//    "reads":64,"read_wait_s":0.002}
//
// `clock` is the clock that just ended; `time_s` is seconds since Connect
// (steady clock); objective/learning_rate are null when not reported during
// that clock. When the app reported a held-out measure during the clock
// (Worker::ReportHeldOut), the line carries it after learning_rate as
//
//   "held_out":{"name":"test_rmse","sum":12.5,"count":400,"root":true}
//
// (this worker's share: the job's value is the sum of every worker's `sum`
// over the sum of their `count`, square-rooted when `root`); otherwise the
// key is absent. Non-finite sum/count are written as null.
// Counters are per clock, not cumulative. Once the app reported
// its raw data size (Worker::ReportInputBytes), every line ends with
// ,"input_bytes":N; before that the field is absent.
//
// Not thread-safe (WorkerImpl calls it from Clock(), which is serialized).
#ifndef GAIA_SRC_WORKER_METRICS_WRITER_H_
#define GAIA_SRC_WORKER_METRICS_WRITER_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace gaia::internal {

// One clock's held-out measure over this worker's share of the held-out data.
struct HeldOutMetric {
  std::string name;   // e.g. "test_rmse"
  double sum = 0;     // e.g. sum of squared errors
  double count = 0;   // e.g. test ratings
  bool root = false;  // the job's value is sqrt(sum / count)
};

struct ClockMetrics {
  uint32_t worker = 0;
  std::string dc;
  int64_t clock = 0;
  double time_s = 0;
  double unix_time_s = 0;  // wall clock, so the launcher can line workers up
  std::optional<double> objective;
  std::optional<double> learning_rate;
  std::optional<HeldOutMetric> held_out;  // absent when not reported this clock
  uint64_t rows_pushed = 0;
  uint64_t bytes_pushed = 0;
  uint64_t reads = 0;
  double read_wait_s = 0;
  std::optional<uint64_t> input_bytes;  // the worker's raw data size, once reported
};

// Formats one line (without the trailing newline). Non-finite numbers are
// written as null (JSON has no NaN).
std::string FormatMetricsLine(const ClockMetrics& metrics);

class MetricsWriter {
 public:
  // Opens `path` for appending; the file is created if missing.
  static absl::StatusOr<std::unique_ptr<MetricsWriter>> Open(const std::string& path);
  ~MetricsWriter();
  MetricsWriter(const MetricsWriter&) = delete;
  MetricsWriter& operator=(const MetricsWriter&) = delete;

  absl::Status Append(const ClockMetrics& metrics);

 private:
  MetricsWriter(std::string path, std::FILE* file) : path_(std::move(path)), file_(file) {}
  const std::string path_;
  std::FILE* file_;
};

}  // namespace gaia::internal

#endif  // GAIA_SRC_WORKER_METRICS_WRITER_H_
