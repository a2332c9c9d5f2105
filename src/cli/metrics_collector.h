// Tails the per-worker metrics files (one JSON line per worker clock, written
// by the worker library) and aggregates them into per-clock job metrics.
//
// A clock is complete once every worker reported it; its objective is the sum
// of the workers' objectives (apps report objectives that decompose over
// data, e.g. MF's per-rating loss), its time the latest worker's time.
//
// Not thread-safe; called from the launcher's supervision loop.
#ifndef GAIA_SRC_CLI_METRICS_COLLECTOR_H_
#define GAIA_SRC_CLI_METRICS_COLLECTOR_H_

#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "src/cli/convergence.h"

namespace gaia::cli {

struct WorkerSource {
  std::string metrics_path;
  uint32_t host_dc = 0;
};

struct ClockRecord {
  int64_t clock = 0;
  double time_s = 0;
  std::optional<double> objective;  // set only if every worker reported one
  uint64_t rows_pushed = 0;         // summed over workers, this clock
  uint64_t bytes_pushed = 0;
  double read_wait_s = 0;           // summed over workers, this clock
};

class MetricsCollector {
 public:
  // `start_unix_s`: the run's start (wall clock); worker lines carry
  // "unix_time_s" and times are reported relative to it.
  MetricsCollector(std::vector<WorkerSource> workers, uint32_t num_host_dcs,
                   double start_unix_s);

  // Reads whatever the files gained since the last call. Malformed lines are
  // counted and skipped (a worker killed mid-write leaves half a line).
  void Poll();

  // Clocks completed since the last call, in order.
  std::vector<ClockRecord> TakeCompleted();

  // Per host DC: the minimum clock its workers reported (-1 before any).
  std::vector<int64_t> DcClocks() const;

  // Objective series of every completed clock so far.
  const std::vector<ObjectivePoint>& objective_series() const { return series_; }

  uint64_t total_rows_pushed() const { return total_rows_pushed_; }
  uint64_t malformed_lines() const { return malformed_lines_; }

 private:
  struct Reader {
    WorkerSource source;
    std::ifstream in;
    std::string partial;      // an unterminated last line, kept for the next Poll
    int64_t last_clock = -1;
  };
  struct Partial {
    uint32_t reports = 0;
    ClockRecord record;
    uint32_t objectives = 0;
    double objective_sum = 0;
  };
  void Consume(Reader& reader, const std::string& line);

  std::vector<Reader> readers_;
  uint32_t num_host_dcs_;
  double start_unix_s_;
  std::map<int64_t, Partial> partial_;
  int64_t next_complete_ = 0;
  std::vector<ClockRecord> completed_;
  std::vector<ObjectivePoint> series_;
  uint64_t total_rows_pushed_ = 0;
  uint64_t malformed_lines_ = 0;
};

}  // namespace gaia::cli

#endif  // GAIA_SRC_CLI_METRICS_COLLECTOR_H_
