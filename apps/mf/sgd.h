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
#include <optional>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "apps/mf/rating.h"

namespace gaia::mf {

struct SgdOptions {
  uint32_t rank = 16;               // factor width; must equal R's row width
  double learning_rate = 0.007;     // eta0, > 0
  double lr_decay = 0.05;           // eta_t = eta0 / (1 + lr_decay * t), >= 0
  double lambda = 0.01;             // L2 weight per rating, >= 0
  double minibatch_fraction = 1.0;  // share of local ratings per clock, (0, 1]
  double init_stddev = 0.1;         // L rows start ~ N(0, init_stddev^2), from
                                    // (seed, user): the same in every process
  uint64_t seed = 1;                // L init and per-clock shuffles
  // Threads in RunClock(). > 1 splits the users over threads, each with its
  // own copy of R whose changes are summed (like that many more workers).
  uint32_t threads = 1;
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

 private:
  struct Entry {
    uint32_t user;  // local user index
    uint32_t item;  // local item index (row of r)
    float value;
  };
  LocalSgd() = default;
  void Pass(std::vector<Entry>& entries, int64_t clock, uint32_t group, double eta,
            float* r);

  SgdOptions options_;
  size_t num_ratings_ = 0;
  std::vector<uint64_t> items_;
  std::vector<uint32_t> users_;              // local index -> user id
  std::vector<float> l_;                     // users_.size() x rank
  std::vector<std::vector<Entry>> groups_;   // user-disjoint, one per thread
};

// Convergence (DESIGN.md §8): the first index t >= window with
// |obj[t] - obj[t - window]| < tolerance * |obj[t - window]|, if any.
std::optional<size_t> ConvergedAt(std::span<const double> objectives,
                                  size_t window = 10, double tolerance = 0.02);

struct SerialOptions {
  SgdOptions sgd;
  int64_t epochs = 100;
  double r_init_stddev = 0.1;   // R rows start ~ N(0, r_init_stddev^2)
  uint64_t r_init_seed = 1;
};

struct SerialResult {
  std::vector<double> objectives;         // before each epoch's pass
  std::vector<double> squared_errors;     // the data-fit part of each
  std::optional<size_t> converged_epoch;  // ConvergedAt(objectives)
  double converged_objective = 0;         // at converged_epoch, else last
  double final_objective = 0;             // after the last epoch's pass
  uint64_t ratings = 0;
};

// The single-process reference: the same SGD and objective on all ratings.
absl::StatusOr<SerialResult> SerialTrain(const std::vector<Rating>& ratings,
                                         const SerialOptions& options);

}  // namespace gaia::mf

#endif  // GAIA_APPS_MF_SGD_H_
