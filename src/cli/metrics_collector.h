// Tails the per-worker metrics files (one JSON line per worker clock, written
// by the worker library) and aggregates them into per-clock job metrics.
//
// A clock is complete once every worker reported it; its objective is the sum
// of the workers' objectives (apps report objectives that decompose over
// data, e.g. MF's per-rating loss), its time the latest worker's time. Its
// held-out measure (Worker::ReportHeldOut, a sum and a count per worker) is
// sum of sums / sum of counts over the workers, square-rooted when the
// workers say "root" (e.g. test RMSE).
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

#include <nlohmann/json_fwd.hpp>

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
  // Set only if every worker reported a held-out measure with the same name
  // and root flag, and their counts sum to > 0: sum(sums) / sum(counts), or
  // its square root when the workers report root_of_mean.
  std::optional<double> held_out;
  std::string held_out_name;        // e.g. "test_rmse"; empty when unset
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

  // Held-out series of every completed clock with a held-out value (the
  // point's `objective` field holds the held-out value), and its name (from
  // the latest such clock; empty before any).
  const std::vector<ObjectivePoint>& held_out_series() const { return held_out_series_; }
  const std::string& held_out_name() const { return held_out_name_; }

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
    uint32_t held_outs = 0;        // workers that reported one this clock
    bool held_out_agree = true;    // every report had the first one's name/root
    std::string held_out_name;
    bool held_out_root = false;
    double held_out_sum = 0;
    double held_out_count = 0;
  };
  void Consume(Reader& reader, const std::string& line);
  static void ConsumeHeldOut(const nlohmann::json& line, Partial& partial);

  std::vector<Reader> readers_;
  uint32_t num_host_dcs_;
  double start_unix_s_;
  std::map<int64_t, Partial> partial_;
  int64_t next_complete_ = 0;
  std::vector<ClockRecord> completed_;
  std::vector<ObjectivePoint> series_;
  std::vector<ObjectivePoint> held_out_series_;
  std::string held_out_name_;
  uint64_t total_rows_pushed_ = 0;
  uint64_t malformed_lines_ = 0;
};

}  // namespace gaia::cli

#endif  // GAIA_SRC_CLI_METRICS_COLLECTOR_H_
