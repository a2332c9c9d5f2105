// Held-out (test) ratings scored against one worker's model: its L rows and
// the R rows it read, so users judge the model by error on ratings it never
// trained on (docs/APP_MF.md "Held-out error").
//
//   HeldOutSet test = HeldOutSet::Create(my_test_ratings, sgd);
//   rows = sgd.items() followed by test.extra_items();     // one GetMany
//   ... sgd.RunClock(t, first sgd.items().size() rows, delta) ...
//   HeldOutSet::Error e = test.Evaluate(sgd, rows);
//   worker->ReportHeldOut("test_rmse", e.squared_error, e.count, true);
//
// A test rating counts only where its user has an L row on this worker (the
// user has training ratings here): L rows never leave their worker, so a user
// without training ratings has no model to score (cold start); such ratings
// are counted in skipped(). Users are split over workers by the same
// PartOf() as the training data, so every test rating of a trained user is
// scored by exactly one worker and the sums add up over workers.
//
// Thread-safe after Create() (const methods only).
#ifndef GAIA_APPS_MF_HELD_OUT_H_
#define GAIA_APPS_MF_HELD_OUT_H_

#include <cstdint>
#include <span>
#include <vector>

#include "apps/mf/rating.h"
#include "apps/mf/sgd.h"

namespace gaia::mf {

class HeldOutSet {
 public:
  // Keeps the ratings of `test` whose user has an L row in `sgd`.
  static HeldOutSet Create(const std::vector<Rating>& test, const LocalSgd& sgd);

  // Items of kept test ratings that are not in sgd.items(), ascending: R rows
  // the worker reads only to score the test ratings.
  const std::vector<uint64_t>& extra_items() const { return extra_items_; }
  size_t num_ratings() const { return entries_.size(); }
  size_t skipped() const { return skipped_; }

  struct Error {
    double squared_error = 0;  // sum of (x - l_u·r_i)^2
    uint64_t count = 0;        // test ratings scored
  };
  // Scores every kept rating with sgd's current L and `rows`: the rows of
  // sgd.items() followed by those of extra_items(), rank floats each.
  // REQUIRES: rows.size() == (sgd.items().size() + extra_items().size()) *
  // sgd.rank(), and `sgd` is the one given to Create().
  Error Evaluate(const LocalSgd& sgd, std::span<const float> rows) const;

 private:
  struct Entry {
    uint32_t user;  // local user index in the LocalSgd
    uint32_t row;   // row of `rows` in Evaluate()
    float value;
  };
  std::vector<Entry> entries_;
  std::vector<uint64_t> extra_items_;
  size_t skipped_ = 0;
};

// sqrt(squared_error / count), or 0 without test ratings.
double Rmse(const HeldOutSet::Error& error);

}  // namespace gaia::mf

#endif  // GAIA_APPS_MF_HELD_OUT_H_
