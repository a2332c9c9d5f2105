#include "apps/mf/sgd.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "apps/mf/random.h"
#include "apps/mf/synthetic.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gaia::mf {
namespace {

// A small planted problem that trains in well under a second.
SyntheticOptions Problem() {
  SyntheticOptions o;
  o.users = 800;
  o.items = 200;
  o.ratings = 60000;
  o.rank = 4;
  o.noise = 0.2;
  o.zipf = 0.3;
  o.seed = 5;
  return o;
}

SgdOptions Sgd() {
  SgdOptions o;
  o.rank = 4;
  o.learning_rate = 0.01;
  o.lr_decay = 0.05;
  o.lambda = 0.005;
  return o;
}

TEST(Sgd, OptionsValidated) {
  SgdOptions o = Sgd();
  EXPECT_TRUE(ValidateSgdOptions(o).ok());
  o.learning_rate = 0;
  EXPECT_FALSE(ValidateSgdOptions(o).ok());
  o = Sgd();
  o.minibatch_fraction = 1.5;
  EXPECT_FALSE(ValidateSgdOptions(o).ok());
  o = Sgd();
  o.rank = 0;
  EXPECT_FALSE(LocalSgd::Create({}, o).ok());
  EXPECT_DOUBLE_EQ(LearningRateAt(Sgd(), 0), 0.01);
  EXPECT_DOUBLE_EQ(LearningRateAt(Sgd(), 20), 0.01 / 2.0);
}

TEST(Sgd, OneStepMatchesTheFormula) {
  SgdOptions o = Sgd();
  o.rank = 2;
  o.lambda = 0.1;
  o.lr_decay = 0;
  absl::StatusOr<LocalSgd> sgd = LocalSgd::Create({Rating{3, 9, 2.0f}}, o);
  ASSERT_TRUE(sgd.ok());
  ASSERT_EQ(sgd->items(), std::vector<uint64_t>{9});
  const std::vector<float> l(sgd->UserRow(3).begin(), sgd->UserRow(3).end());
  std::vector<float> r = {0.5f, -0.25f}, delta(2);
  const double e = 2.0 - (l[0] * 0.5 + l[1] * -0.25);
  LocalSgd::ClockResult res = sgd->RunClock(0, r, delta);
  EXPECT_NEAR(res.objective.squared_error, e * e, 1e-5);
  EXPECT_NEAR(res.objective.regularization,
              0.1 * (l[0] * l[0] + l[1] * l[1] + 0.25 + 0.0625), 1e-6);
  EXPECT_EQ(res.updates, 1u);
  const float r0[2] = {0.5f, -0.25f};
  for (int c = 0; c < 2; ++c) {
    const double want_l = l[c] + 0.01 * (e * r0[c] - 0.1 * l[c]);
    const double want_r = r0[c] + 0.01 * (e * l[c] - 0.1 * r0[c]);
    EXPECT_NEAR(sgd->UserRow(3)[c], want_l, 1e-6);
    EXPECT_NEAR(r[c], want_r, 1e-6);
    EXPECT_NEAR(delta[c], want_r - r0[c], 1e-6);
  }
}

TEST(Sgd, ObjectiveIsASumOverParts) {
  const std::vector<Rating> all = SyntheticGenerator::Create(Problem())->Generate();
  LocalSgd whole = *LocalSgd::Create(all, Sgd());
  std::vector<float> r(whole.items().size() * 4);
  RandomStream rng(3);
  for (float& v : r) v = static_cast<float>(0.3 * rng.Normal());
  const double total = whole.ComputeObjective(r).total();
  double sum = 0;
  for (uint32_t p = 0; p < 3; ++p) {
    std::vector<Rating> mine;
    for (const Rating& x : all) {
      if (PartOf(x.user, 3) == p) mine.push_back(x);
    }
    LocalSgd part = *LocalSgd::Create(mine, Sgd());
    std::vector<float> rp;
    for (uint64_t item : part.items()) {
      const size_t j = std::lower_bound(whole.items().begin(), whole.items().end(), item) -
                       whole.items().begin();
      rp.insert(rp.end(), r.begin() + j * 4, r.begin() + j * 4 + 4);
    }
    sum += part.ComputeObjective(rp).total();
  }
  EXPECT_NEAR(sum, total, 1e-6 * total);
}

TEST(Sgd, SerialConvergesToTheNoiseFloor) {
  const SyntheticOptions problem = Problem();
  const std::vector<Rating> all = SyntheticGenerator::Create(problem)->Generate();
  SerialOptions options;
  options.sgd = Sgd();
  options.epochs = 60;
  absl::StatusOr<SerialResult> result = SerialTrain(all, options);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->objectives.size(), 60u);
  EXPECT_LT(result->objectives.back(), 0.25 * result->objectives.front());
  for (size_t e = 10; e < 60; e += 10) {
    EXPECT_LT(result->objectives[e], result->objectives[e - 10]) << "epoch " << e;
  }
  ASSERT_TRUE(result->converged_epoch.has_value());
  // Data fit reaches the noise: MSE within [0.6, 1.5] x noise^2.
  const double mse = result->squared_errors.back() / static_cast<double>(all.size());
  const double floor = problem.noise * problem.noise;
  EXPECT_GT(mse, 0.6 * floor);
  EXPECT_LT(mse, 1.5 * floor);
  // Same inputs, same run.
  absl::StatusOr<SerialResult> again = SerialTrain(all, options);
  EXPECT_EQ(again->objectives, result->objectives);
}

// Two workers, each with half the users, BSP: read R, local pass, sum deltas.
TEST(Sgd, TwoHalvesWithMergedRMatchSerial) {
  const std::vector<Rating> all = SyntheticGenerator::Create(Problem())->Generate();
  SerialOptions serial_options;
  serial_options.sgd = Sgd();
  serial_options.epochs = 60;
  const SerialResult serial = *SerialTrain(all, serial_options);

  constexpr uint32_t kWorkers = 2;
  std::vector<LocalSgd> workers;
  for (uint32_t p = 0; p < kWorkers; ++p) {
    std::vector<Rating> mine;
    for (const Rating& x : all) {
      if (PartOf(x.user, kWorkers) == p) mine.push_back(x);
    }
    workers.push_back(*LocalSgd::Create(mine, Sgd()));
  }
  std::vector<float> global(Problem().items * 4);
  RandomStream rng(77);
  for (float& v : global) v = static_cast<float>(0.1 * rng.Normal());
  std::vector<double> objectives;
  for (int64_t t = 0; t < 60; ++t) {
    std::vector<float> merged = global;
    double objective = 0;
    for (LocalSgd& w : workers) {
      std::vector<float> r, delta(w.items().size() * 4);
      for (uint64_t item : w.items()) {
        r.insert(r.end(), global.begin() + item * 4, global.begin() + item * 4 + 4);
      }
      objective += w.RunClock(t, r, delta).objective.total();
      for (size_t j = 0; j < w.items().size(); ++j) {
        for (int c = 0; c < 4; ++c) merged[w.items()[j] * 4 + c] += delta[j * 4 + c];
      }
    }
    global = merged;
    objectives.push_back(objective);
  }
  EXPECT_LT(objectives.back(), 0.25 * objectives.front());
  EXPECT_NEAR(objectives.back(), serial.objectives.back(),
              0.02 * serial.objectives.back());
}

TEST(Sgd, ThreadsAndMinibatchStillConverge) {
  const std::vector<Rating> all = SyntheticGenerator::Create(Problem())->Generate();
  SgdOptions o = Sgd();
  o.threads = 3;
  o.minibatch_fraction = 0.5;
  LocalSgd sgd = *LocalSgd::Create(all, o);
  std::vector<float> r(sgd.items().size() * 4), delta(r.size());
  RandomStream rng(1);
  for (float& v : r) v = static_cast<float>(0.1 * rng.Normal());
  LocalSgd::ClockResult first = sgd.RunClock(0, r, delta);
  EXPECT_NEAR(static_cast<double>(first.updates), 0.5 * all.size(), 3.0);
  LocalSgd::ClockResult last;
  for (int64_t t = 1; t < 80; ++t) last = sgd.RunClock(t, r, delta);
  EXPECT_LT(last.objective.total(), 0.3 * first.objective.total());
}

// W BSP workers, each with part p of the users: every clock all read the
// same R, run their pass, and the deltas are summed into R (as the shards do).
struct Simulation {
  std::vector<double> objectives;  // summed over workers, per clock
  std::vector<LocalSgd> workers;
};
Simulation Simulate(const std::vector<Rating>& all, uint32_t num_workers, SgdOptions o,
                    int64_t clocks, uint32_t items) {
  const uint32_t k = o.rank;
  Simulation sim;
  for (uint32_t p = 0; p < num_workers; ++p) {
    std::vector<Rating> mine;
    for (const Rating& x : all) {
      if (PartOf(x.user, num_workers) == p) mine.push_back(x);
    }
    sim.workers.push_back(*LocalSgd::Create(mine, o));
  }
  std::vector<float> global(size_t{items} * k);
  RandomStream rng(77);
  for (float& v : global) v = static_cast<float>(0.1 * rng.Normal());
  for (int64_t t = 0; t < clocks; ++t) {
    std::vector<float> merged = global;
    double objective = 0;
    for (LocalSgd& w : sim.workers) {
      std::vector<float> r, delta(w.items().size() * k);
      for (uint64_t item : w.items()) {
        r.insert(r.end(), global.begin() + item * k, global.begin() + (item + 1) * k);
      }
      objective += w.RunClock(t, r, delta).objective.total();
      for (size_t j = 0; j < w.items().size(); ++j) {
        for (uint32_t c = 0; c < k; ++c) merged[w.items()[j] * k + c] += delta[j * k + c];
      }
    }
    global = merged;
    sim.objectives.push_back(objective);
  }
  return sim;
}

// The largest objective ratio obj[t] / obj[t-1] after `from`: > 1 means the
// objective went up between clocks.
double WorstRise(const std::vector<double>& objectives, size_t from) {
  double worst = 0;
  for (size_t t = std::max<size_t>(from, 1); t < objectives.size(); ++t) {
    worst = std::max(worst, objectives[t] / objectives[t - 1]);
  }
  return worst;
}

TEST(StepRule, ParsesItsNames) {
  for (StepRule rule : {StepRule::kSum, StepRule::kAverage, StepRule::kDamped}) {
    EXPECT_EQ(*ParseStepRule(StepRuleName(rule)), rule);
  }
  EXPECT_FALSE(ParseStepRule("adagrad").ok());
}

TEST(StepRule, AWorkerAloneTrainsExactlyAsWithSum) {
  const std::vector<Rating> all = SyntheticGenerator::Create(Problem())->Generate();
  SerialOptions options;
  options.sgd = Sgd();
  options.epochs = 15;
  options.sgd.step_rule = StepRule::kSum;
  const SerialResult sum = *SerialTrain(all, options);
  for (StepRule rule : {StepRule::kAverage, StepRule::kDamped}) {
    options.sgd.step_rule = rule;
    const SerialResult other = *SerialTrain(all, options);
    EXPECT_EQ(other.objectives, sum.objectives) << StepRuleName(rule);
  }
}

TEST(StepRule, OverlapCountsTheWorkersThatPushedTheSameChange) {
  // Four identical workers (same users, same ratings, same seed): their
  // changes are equal, so each row moves 4x what each worker pushed.
  const std::vector<Rating> all = SyntheticGenerator::Create(Problem())->Generate();
  std::vector<Rating> mine;
  for (const Rating& x : all) {
    if (PartOf(x.user, 4) == 0) mine.push_back(x);
  }
  SgdOptions o = Sgd();
  o.step_rule = StepRule::kAverage;
  std::vector<LocalSgd> workers(4, *LocalSgd::Create(mine, o));
  const size_t n = workers[0].items().size() * 4;
  std::vector<float> global(n, 0.1f);
  for (int64_t t = 0; t < 12; ++t) {
    std::vector<float> merged = global;
    for (LocalSgd& w : workers) {
      std::vector<float> r = global, delta(n);
      w.RunClock(t, r, delta);
      for (size_t x = 0; x < n; ++x) merged[x] += delta[x];
    }
    global = merged;
  }
  for (float overlap : workers[0].overlap()) EXPECT_NEAR(overlap, 4.0f, 0.01f);
}

// Dense data (every user rates most items) and many workers: with the plain
// sum each worker moves every row most of the way to what its own ratings
// want, and the sum over workers overshoots; the objective oscillates. The
// damped rule cuts exactly those steps and trains smoothly to a lower
// objective; averaging too, more slowly at first.
TEST(StepRule, DampedStopsTheOscillationOfSummedPopularRows) {
  SyntheticOptions dense;
  dense.users = 800;
  dense.items = 60;
  dense.ratings = 800 * 30;
  dense.rank = 4;
  dense.noise = 0.1;
  dense.zipf = 0;
  dense.user_zipf = 0;
  const std::vector<Rating> all = SyntheticGenerator::Create(dense)->Generate();
  SgdOptions o = Sgd();
  o.learning_rate = 0.02;
  o.lr_decay = 0;
  constexpr int64_t kClocks = 40;
  o.step_rule = StepRule::kSum;
  const Simulation sum = Simulate(all, 8, o, kClocks, dense.items);
  o.step_rule = StepRule::kDamped;
  const Simulation damped = Simulate(all, 8, o, kClocks, dense.items);
  o.step_rule = StepRule::kAverage;
  const Simulation average = Simulate(all, 8, o, kClocks, dense.items);
  EXPECT_GT(WorstRise(sum.objectives, 5), 1.2) << "sum should oscillate here";
  EXPECT_LT(WorstRise(damped.objectives, 5), 1.02);
  EXPECT_LT(damped.objectives.back(), 0.5 * sum.objectives.back());
  EXPECT_LT(average.objectives.back(), 0.5 * sum.objectives.back());
}

}  // namespace
}  // namespace gaia::mf
