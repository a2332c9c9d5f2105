// SGD matrix factorization over one worker's ratings (thesis §5.4.2).
//
// X ≈ L·Rᵀ: L (one row per user) lives only on the worker that owns the
// user's ratings; R (one row per item, width = rank) lives in the parameter
// server. Each clock a worker reads the R rows of its items, runs one SGD
// pass over its ratings, and pushes the change of those rows:
//
//   LocalSgd sgd = *LocalSgd::Create(my_ratings, options);
//   std::vector<float> r(sgd.items().size() * sgd.rank()), delta(r.size());
//   for (int64_t t = 0; t < clocks; ++t) {
//     table.GetMany(sgd.items(), r);                 // R at the start of t
//     LocalSgd::ClockResult res = sgd.RunClock(t, r, delta);
//     for each i: table.Inc(sgd.items()[i], delta row i);
//   }
//
// Per rating (u, i, x), with e = x - l_u·r_i and eta the clock's rate:
//   l_u += eta (e r_i - lambda l_u);   r_i += eta (e l_u - lambda r_i)
// where r_i is the worker's local copy, so later ratings of i in the same
// pass see the change. Objective (per-rating L2, so it is a sum over workers):
//   sum over ratings of (x - l_u·r_i)^2 + lambda (|l_u|^2 + |r_i|^2).
//
// Not thread-safe: one LocalSgd per worker; it runs options.threads threads
// inside RunClock().
#ifndef GAIA_APPS_MF_SGD_H_
#define GAIA_APPS_MF_SGD_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "apps/mf/rating.h"
#include "apps/mf/step_rule.h"

namespace gaia::mf {

// How a worker turns its local pass into the change it pushes for an R row
// (--step-rule). Many workers move a popular item's row in the same clock,
// from the same starting value, and the shards sum their changes.
enum class StepRule {
  // Push the local change as is (the thesis's rule). Exact when the workers'
  // passes move a row little per clock; when each pass moves a popular row
  // most of the way to what its local ratings want, W workers' sum moves it
  // ~W times too far and the objective oscillates.
  kSum,
  // Divide row i's change by overlap_i, this worker's estimate of how many
  // workers' changes are summed into the row (below): model averaging for
  // rows many workers touch, a plain sum for rows only this worker touches.
  kAverage,
  // Scale row i's change by min(1, 1 / (overlap_i * s_i)), where s_i =
  // 1 - exp(-eta * sum over the clock's local ratings of i of |l_u|^2)
  // bounds how far the local pass moved row i towards its local optimum (0:
  // a tiny step, 1: all the way; |l_u|^2 bounds the pass's curvature in the
  // steepest direction, which is what overshoots): the summed step is cut
  // only where the workers together would overshoot, and left as is where
  // they would not. With --threads, s_i is summed over the threads.
  kDamped,
};
// The overlap of row i: each clock, with c_i = the change this worker pushed
// for row i last clock and d_i = how row i changed between this worker's two
// reads (every worker's pushes, and other DCs' updates that arrived),
//   rho_i = <d_i, c_i> / |c_i|^2
// W when W workers pushed the same change, 1 when only this worker moved the
// row. overlap_i is the ratio of the running averages (weight 1/2 on the
// newest clock) of <d_i, c_i> and |c_i|^2, clamped to [1, 10^6]; it starts at
// 1. Local to the worker (no communication), the same rule in every worker;
// a worker alone (gaia_mf_serial) always measures 1.

// "sum", "average" or "damped".
absl::StatusOr<StepRule> ParseStepRule(std::string_view name);
std::string_view StepRuleName(StepRule rule);

struct SgdOptions {
  uint32_t rank = 16;               // factor width; must equal R's row width
  double learning_rate = 0.007;     // eta0, > 0
  double lr_decay = 0.05;           // eta_t = eta0 / (1 + lr_decay * t), >= 0
  double lambda = 0.01;             // L2 weight per rating, >= 0
  double minibatch_fraction = 1.0;  // share of local ratings per clock, (0, 1]
  double init_stddev = 0.1;         // L rows start ~ N(init_mean, init_stddev^2),
  double init_mean = 0;             // from (seed, user): the same in every process
  uint64_t seed = 1;                // L init and per-clock shuffles
  // Threads in RunClock(). > 1 splits the users over threads, each with its
  // own copy of R whose changes are summed (like that many more workers).
  uint32_t threads = 1;
  StepRule step_rule = StepRule::kDamped;  // see StepRule
};

absl::Status ValidateSgdOptions(const SgdOptions& options);

// eta at clock (epoch) t.
double LearningRateAt(const SgdOptions& options, int64_t clock);

struct Objective {
  double squared_error = 0;    // sum of (x - l·r)^2
  double regularization = 0;   // sum of lambda (|l_u|^2 + |r_i|^2)
  uint64_t ratings = 0;
  double total() const { return squared_error + regularization; }
};

class LocalSgd {
 public:
  // Indexes `ratings` (any users) and initializes their L rows.
  static absl::StatusOr<LocalSgd> Create(const std::vector<Rating>& ratings,
                                         const SgdOptions& options);

  // The distinct items of the ratings, ascending: the R rows to read, and the
  // row order of every `r` / `delta` buffer (row j = items()[j]).
  const std::vector<uint64_t>& items() const { return items_; }
  uint32_t rank() const { return options_.rank; }
  size_t num_ratings() const { return num_ratings_; }
  size_t num_users() const { return users_.size(); }

  // The objective over all local ratings for the current L and `r`.
  // REQUIRES: r.size() == items().size() * rank().
  Objective ComputeObjective(std::span<const float> r) const;

  struct ClockResult {
    Objective objective;       // before the pass, with r as given
    double learning_rate = 0;  // eta used
    uint64_t updates = 0;      // ratings visited
  };
  // Objective, then one SGD pass over a shuffled (minibatch of the) local
  // ratings. On return `r` holds the locally updated rows and `delta` the
  // change r_after - r_before (what to Inc). REQUIRES: both sized as above.
  ClockResult RunClock(int64_t clock, std::span<float> r, std::span<float> delta);

  // This worker's L row of `user` (rank floats), or empty if not local.
  std::span<const float> UserRow(uint32_t user) const;

  // The local index of `user` (row of L), if the user has local ratings.
  std::optional<uint32_t> LocalUser(uint32_t user) const;
  // L row of local user `local` (rank floats). REQUIRES: local < num_users().
  std::span<const float> UserRowAt(uint32_t local) const {
    return std::span<const float>(l_).subspan(size_t{local} * options_.rank, options_.rank);
  }

  // The step rule's overlap estimate per row of items() (all 1 until the
  // second clock; empty with StepRule::kSum).
  const std::vector<float>& overlap() const;

  // All L rows (num_users() x rank), for a pass that trains them elsewhere
  // (the GPU path, apps/mf/cuda) and copies them back here before they are
  // read (UserRowAt, ComputeObjective, HeldOutSet).
  std::span<float> mutable_user_factors() { return l_; }
  // The options as given to Create().
  const SgdOptions& options() const { return options_; }

 private:
  struct Entry {
    uint32_t user;  // local user index
    uint32_t item;  // local item index (row of r)
    float value;
  };
  LocalSgd() = default;
  // One pass over (a shuffled prefix of) `entries`, updating L and `r`. With
  // `curvature` set, adds |l_u|^2 of each visited rating to its item's slot.
  void Pass(std::vector<Entry>& entries, int64_t clock, uint32_t group, double eta,
            float* r, float* curvature);

  SgdOptions options_;
  size_t num_ratings_ = 0;
  std::vector<uint64_t> items_;
  std::vector<uint32_t> users_;              // local index -> user id
  std::vector<float> l_;                     // users_.size() x rank
  std::vector<std::vector<Entry>> groups_;   // user-disjoint, one per thread
  StepRuleScaler scaler_;  // step-rule state per row of items_
};

struct EpochReport {
  int64_t epoch = 0;
  Objective objective;             // before the epoch's pass
  std::optional<double> test_rmse; // after it, with test ratings
  uint64_t updates = 0;            // ratings visited
};

class SgdEngine;  // sgd_engine.h
// Makes the engine that runs the clocks over `ratings` (CreateCpuEngine, or
// the GPU's apps/mf/cuda/device_sgd.h).
using SgdEngineFactory = std::function<absl::StatusOr<std::unique_ptr<SgdEngine>>(
    const std::vector<Rating>& ratings, const SgdOptions& options)>;

struct SerialOptions {
  SgdOptions sgd;
  // Where the passes run; empty: the CPU (CreateCpuEngine).
  SgdEngineFactory engine;
  int64_t epochs = 100;
  double r_init_stddev = 0.1;   // R rows start ~ N(r_init_mean, r_init_stddev^2)
  double r_init_mean = 0;
  uint64_t r_init_seed = 1;
  // If set, called after every epoch (e.g. to print progress as it happens).
  std::function<void(const EpochReport&)> on_epoch;
};

struct SerialResult {
  std::vector<double> objectives;         // before each epoch's pass
  std::vector<double> squared_errors;     // the data-fit part of each
  std::vector<double> test_rmse;          // after each epoch's pass, if test ratings
  uint64_t test_ratings = 0;              // test ratings evaluated (users with L rows)
  std::optional<size_t> converged_epoch;  // apps::ConvergedAt(objectives, 10, 0.02)
  double converged_objective = 0;         // at converged_epoch, else last
  double final_objective = 0;             // after the last epoch's pass
  uint64_t ratings = 0;
};

// The single-process reference: the same SGD and objective on all ratings;
// with `test` ratings, also the test RMSE after every epoch (HeldOutSet).
absl::StatusOr<SerialResult> SerialTrain(const std::vector<Rating>& ratings,
                                         const SerialOptions& options,
                                         const std::vector<Rating>& test = {});

}  // namespace gaia::mf

#endif  // GAIA_APPS_MF_SGD_H_
