// The worker API: what an ML program uses to read and update shared
// parameter tables.
//
//   auto options = gaia::WorkerOptions::FromCommandLine(argc, argv);
//   auto worker = gaia::Worker::Connect(*options);          // StatusOr
//   gaia::Table w = *(*worker)->GetTable("weights");
//   std::vector<float> row(w.width());
//   for (int it = 0; it < iterations; ++it) {
//     w.Get(7, row);                                         // SSP-consistent
//     ... compute delta ...
//     w.Inc(7, delta);                                       // additive
//     (*worker)->ReportObjective(loss);
//     (*worker)->ReportHeldOut("test_rmse", sq_err, n, /*root_of_mean=*/true);
//     (*worker)->Clock();                                    // one per iteration
//   }
//   (*worker)->Finish();
//
// Consistency (DESIGN.md §4.1): a read issued at clock c sees every update
// that every worker of the clock group made at clocks <= c - s - 1, where s is
// the job's staleness (0 = BSP). With BSP a read at clock c sees exactly the
// updates of clocks < c from the other workers; their updates made at clock c
// become visible only after every worker has called Clock() to leave clock c.
// A worker always sees its own updates (read-my-writes): a Get after an Inc
// on the same Worker includes the Inc, before and after the Clock() that
// sends it, counted once.
//
// Updates are coalesced per row until Clock() and sent in batches; Inc never
// blocks on the network.
//
// Thread safety: a Worker and its Tables may be used from several threads at
// once. Clock() ends the iteration for the whole Worker: call it once per
// iteration, after every thread's Inc for that iteration has returned. To run
// independent workers in one process, Connect() one Worker per thread.
#ifndef GAIA_INCLUDE_GAIA_WORKER_H_
#define GAIA_INCLUDE_GAIA_WORKER_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gaia/options.h"

namespace gaia {

namespace internal {
class WorkerImpl;
}  // namespace internal

// A handle to one parameter table. Cheap to copy; valid while its Worker lives.
class Table {
 public:
  Table() = default;

  const std::string& name() const;
  uint32_t id() const { return id_; }
  uint32_t width() const { return width_; }     // floats per row
  uint64_t num_rows() const { return num_rows_; }

  // Reads one row into `out` (out.size() == width()). Blocks until the row is
  // consistent for the current clock.
  absl::Status Get(uint64_t row, std::span<float> out) const;

  // Reads rows[i] into out[i*width() .. (i+1)*width()). One round trip per
  // shard touched, in parallel.
  absl::Status GetMany(std::span<const uint64_t> rows, std::span<float> out) const;

  // Adds `delta` (delta.size() == width()) to `row`.
  absl::Status Inc(uint64_t row, std::span<const float> delta) const;

  // Adds deltas[i*width() .. (i+1)*width()) to rows[i] for every i: the same
  // as an Inc per row, validated whole first (a bad row adds nothing), and
  // cheaper for many rows (one lock per shard per call instead of per row).
  absl::Status IncMany(std::span<const uint64_t> rows, std::span<const float> deltas) const;

  // Adds vals[i] to column cols[i] of `row`.
  absl::Status IncSparse(uint64_t row, std::span<const uint32_t> cols,
                         std::span<const float> vals) const;

 private:
  friend class internal::WorkerImpl;
  Table(internal::WorkerImpl* impl, uint32_t id, uint32_t width, uint64_t num_rows)
      : impl_(impl), id_(id), width_(width), num_rows_(num_rows) {}

  internal::WorkerImpl* impl_ = nullptr;
  uint32_t id_ = 0;
  uint32_t width_ = 0;
  uint64_t num_rows_ = 0;
};

class Worker {
 public:
  // Connects to every shard in options.shard_addresses and learns the tables.
  static absl::StatusOr<std::unique_ptr<Worker>> Connect(const WorkerOptions& options);

  ~Worker();  // Finish()es if not done, then disconnects.
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Looks a table up by name; NOT_FOUND if the job has no such table.
  absl::StatusOr<Table> GetTable(std::string_view name) const;

  // Ends the current iteration: sends this clock's coalesced updates, then
  // advances the clock. Does not wait for other workers (reads do).
  absl::Status Clock();

  // Number of Clock() calls so far.
  int64_t clock() const;

  // Staleness of the clock group (0 = BSP), as the shards report it.
  int32_t staleness() const;

  // Records this clock's objective (e.g. training loss over this worker's
  // data); written to the metrics file on the next Clock().
  void ReportObjective(double objective);

  // If the app uses a learning-rate schedule, report it each clock; ASP can
  // scale its significance threshold with it (DESIGN.md §4.2).
  void ReportLearningRate(double learning_rate);

  // Records this clock's held-out measure (e.g. test RMSE) over this worker's
  // share of the held-out data, as a sum and a count so that it aggregates
  // exactly over workers: the job's value is
  //   sum of every worker's `sum` / sum of every worker's `count`,
  // and the square root of that when `root_of_mean` (an RMSE). Examples: MF
  // test RMSE is ("test_rmse", sum of squared errors, test ratings, true); a
  // per-token log-likelihood is ("test_loglik_per_token", sum of log p,
  // tokens, false); an accuracy is ("test_accuracy", correct, examples,
  // false). Every worker of a job should report the same name each clock (a
  // worker with no held-out data reports sum 0, count 0). Written to the
  // metrics file on the next Clock(), like ReportObjective.
  void ReportHeldOut(std::string_view name, double sum, double count,
                     bool root_of_mean = false);

  // The size of the raw training data this worker holds, in bytes (e.g.
  // ratings x bytes per rating). Report once, after loading; every later
  // metrics line carries it as "input_bytes". `gaia cost` prices moving it
  // to one DC (the CENTRALIZED alternative, docs/COST.md).
  void ReportInputBytes(uint64_t bytes);

  // Sends what is pending and says goodbye to every shard. Idempotent.
  absl::Status Finish();

  const WorkerOptions& options() const;

 private:
  explicit Worker(std::unique_ptr<internal::WorkerImpl> impl);
  std::unique_ptr<internal::WorkerImpl> impl_;
};

}  // namespace gaia

#endif  // GAIA_INCLUDE_GAIA_WORKER_H_
