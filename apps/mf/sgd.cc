#include "apps/mf/sgd.h"

#include <algorithm>
#include <cmath>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "apps/common/convergence.h"
#include "apps/mf/held_out.h"
#include "apps/mf/random.h"
#include "apps/mf/sgd_engine.h"
#include "apps/mf/sgd_update.h"

namespace gaia::mf {
namespace {

constexpr uint64_t kLSalt = 0x4C726F77;        // "Lrow"
constexpr uint64_t kRSalt = 0x52726F77;        // "Rrow"
constexpr uint64_t kShuffleSalt = 0x73687566;  // "shuf"
constexpr uint64_t kThreadSalt = 0x74687264;   // "thrd"

}  // namespace

absl::StatusOr<StepRule> ParseStepRule(std::string_view name) {
  if (name == "sum") return StepRule::kSum;
  if (name == "average") return StepRule::kAverage;
  if (name == "damped") return StepRule::kDamped;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown step rule '", absl::string_view(name.data(), name.size()),
                   "' (known: sum, average, damped)"));
}

std::string_view StepRuleName(StepRule rule) {
  switch (rule) {
    case StepRule::kSum: return "sum";
    case StepRule::kAverage: return "average";
    case StepRule::kDamped: return "damped";
  }
  return "?";
}

absl::Status ValidateSgdOptions(const SgdOptions& o) {
  auto fail = [](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("sgd: ", what));
  };
  if (o.rank == 0 || o.rank > 4096) return fail("rank must be in [1, 4096]");
  if (!(o.learning_rate > 0 && std::isfinite(o.learning_rate))) {
    return fail("learning rate must be > 0");
  }
  if (!(o.lr_decay >= 0 && std::isfinite(o.lr_decay))) {
    return fail("learning-rate decay must be >= 0");
  }
  if (!(o.lambda >= 0 && std::isfinite(o.lambda))) return fail("lambda must be >= 0");
  if (!(o.minibatch_fraction > 0 && o.minibatch_fraction <= 1)) {
    return fail("minibatch fraction must be in (0, 1]");
  }
  if (!(o.init_stddev >= 0 && std::isfinite(o.init_stddev))) {
    return fail("init stddev must be >= 0");
  }
  if (!std::isfinite(o.init_mean)) return fail("init mean must be a finite number");
  if (o.threads == 0 || o.threads > 256) return fail("threads must be in [1, 256]");
  return absl::OkStatus();
}

double LearningRateAt(const SgdOptions& options, int64_t clock) {
  return options.learning_rate /
         (1.0 + options.lr_decay * static_cast<double>(std::max<int64_t>(clock, 0)));
}

absl::StatusOr<LocalSgd> LocalSgd::Create(const std::vector<Rating>& ratings,
                                          const SgdOptions& options) {
  if (absl::Status s = ValidateSgdOptions(options); !s.ok()) return s;
  LocalSgd sgd;
  sgd.options_ = options;
  sgd.num_ratings_ = ratings.size();
  for (const Rating& r : ratings) {
    sgd.items_.push_back(r.item);
    sgd.users_.push_back(r.user);
  }
  std::sort(sgd.items_.begin(), sgd.items_.end());
  sgd.items_.erase(std::unique(sgd.items_.begin(), sgd.items_.end()), sgd.items_.end());
  std::sort(sgd.users_.begin(), sgd.users_.end());
  sgd.users_.erase(std::unique(sgd.users_.begin(), sgd.users_.end()), sgd.users_.end());

  const uint32_t k = options.rank;
  sgd.l_.resize(sgd.users_.size() * k);
  for (size_t u = 0; u < sgd.users_.size(); ++u) {
    RandomStream rng(options.seed, kLSalt, sgd.users_[u]);
    for (uint32_t c = 0; c < k; ++c) {
      sgd.l_[u * k + c] =
          static_cast<float>(options.init_mean + rng.Normal() * options.init_stddev);
    }
  }

  sgd.groups_.resize(options.threads);
  for (const Rating& r : ratings) {
    const uint32_t user = static_cast<uint32_t>(
        std::lower_bound(sgd.users_.begin(), sgd.users_.end(), r.user) -
        sgd.users_.begin());
    const uint32_t item = static_cast<uint32_t>(
        std::lower_bound(sgd.items_.begin(), sgd.items_.end(), r.item) -
        sgd.items_.begin());
    // Thread groups are user-disjoint, so threads never share an L row.
    const uint32_t group =
        static_cast<uint32_t>(MixBits(kThreadSalt ^ r.user) % options.threads);
    sgd.groups_[group].push_back(Entry{user, item, r.value});
  }
  sgd.scaler_ = StepRuleScaler(options.step_rule, sgd.items_.size(), k);
  return sgd;
}

Objective LocalSgd::ComputeObjective(std::span<const float> r) const {
  const uint32_t k = options_.rank;
  const float lambda = static_cast<float>(options_.lambda);
  Objective obj;
  for (const std::vector<Entry>& entries : groups_) {
    for (const Entry& e : entries) {
      const float* lu = &l_[size_t{e.user} * k];
      const float* ri = &r[size_t{e.item} * k];
      float dot = 0, nl = 0, nr = 0;
      for (uint32_t c = 0; c < k; ++c) {
        dot += lu[c] * ri[c];
        nl += lu[c] * lu[c];
        nr += ri[c] * ri[c];
      }
      const double err = static_cast<double>(e.value) - dot;
      obj.squared_error += err * err;
      obj.regularization += static_cast<double>(lambda) * (nl + nr);
    }
    obj.ratings += entries.size();
  }
  return obj;
}

void LocalSgd::Pass(std::vector<Entry>& entries, int64_t clock, uint32_t group,
                    double eta, float* r, float* curvature) {
  const uint32_t k = options_.rank;
  // A fresh seeded order each clock; a minibatch is a prefix of it.
  RandomStream rng(options_.seed ^ MixBits(static_cast<uint64_t>(clock)),
                   kShuffleSalt, group);
  for (size_t i = entries.size(); i > 1; --i) {
    std::swap(entries[i - 1], entries[rng.Below(i)]);
  }
  const size_t count = std::min(
      entries.size(),
      static_cast<size_t>(std::ceil(options_.minibatch_fraction *
                                    static_cast<double>(entries.size()))));
  const float step = static_cast<float>(eta);
  const float lambda = static_cast<float>(options_.lambda);
  for (size_t n = 0; n < count; ++n) {
    const Entry& e = entries[n];
    float* lu = &l_[size_t{e.user} * k];
    float* ri = &r[size_t{e.item} * k];
    if (curvature != nullptr) {
      float nl = 0;
      for (uint32_t c = 0; c < k; ++c) nl += lu[c] * lu[c];
      curvature[e.item] += nl;
    }
    SgdUpdateRows(lu, ri, k, e.value, step, lambda);
  }
}

const std::vector<float>& LocalSgd::overlap() const { return scaler_.overlap(); }

LocalSgd::ClockResult LocalSgd::RunClock(int64_t clock, std::span<float> r,
                                         std::span<float> delta) {
  ClockResult result;
  result.learning_rate = LearningRateAt(options_, clock);
  result.objective = ComputeObjective(r);
  const bool damped = scaler_.Damped();
  scaler_.Observe(r);
  const std::vector<float> before(r.begin(), r.end());
  // Per thread group and row: sum of |l_u|^2 over the pass (kDamped only).
  std::vector<std::vector<float>> curvature(
      damped ? groups_.size() : 0, std::vector<float>(items_.size(), 0.0f));
  auto curvature_of = [&](uint32_t g) { return damped ? curvature[g].data() : nullptr; };
  if (groups_.size() == 1) {
    Pass(groups_[0], clock, 0, result.learning_rate, r.data(), curvature_of(0));
  } else {
    // Each thread works on its own copy of R; their changes are summed.
    std::vector<std::vector<float>> copies(groups_.size(), before);
    std::vector<std::thread> threads;
    threads.reserve(groups_.size());
    for (uint32_t g = 0; g < groups_.size(); ++g) {
      threads.emplace_back([this, g, clock, &result, &copies, &curvature_of] {
        Pass(groups_[g], clock, g, result.learning_rate, copies[g].data(),
             curvature_of(g));
      });
    }
    for (std::thread& t : threads) t.join();
    for (size_t j = 0; j < r.size(); ++j) {
      float sum = before[j];
      for (const std::vector<float>& copy : copies) sum += copy[j] - before[j];
      r[j] = sum;
    }
  }
  for (size_t j = 0; j < r.size(); ++j) delta[j] = r[j] - before[j];
  scaler_.Scale(result.learning_rate, curvature, before, r, delta);
  for (const std::vector<Entry>& entries : groups_) {
    result.updates += std::min(
        entries.size(),
        static_cast<size_t>(std::ceil(options_.minibatch_fraction *
                                      static_cast<double>(entries.size()))));
  }
  return result;
}

std::optional<uint32_t> LocalSgd::LocalUser(uint32_t user) const {
  auto it = std::lower_bound(users_.begin(), users_.end(), user);
  if (it == users_.end() || *it != user) return std::nullopt;
  return static_cast<uint32_t>(it - users_.begin());
}

std::span<const float> LocalSgd::UserRow(uint32_t user) const {
  auto it = std::lower_bound(users_.begin(), users_.end(), user);
  if (it == users_.end() || *it != user) return {};
  return std::span<const float>(l_).subspan(
      static_cast<size_t>(it - users_.begin()) * options_.rank, options_.rank);
}

absl::StatusOr<SerialResult> SerialTrain(const std::vector<Rating>& ratings,
                                         const SerialOptions& options,
                                         const std::vector<Rating>& test) {
  if (options.epochs < 1) return absl::InvalidArgumentError("epochs must be >= 1");
  if (ratings.empty()) return absl::InvalidArgumentError("no ratings to train on");
  SgdOptions sgd_options = options.sgd;
  sgd_options.threads = 1;  // the reference is strictly sequential
  absl::StatusOr<std::unique_ptr<SgdEngine>> engine =
      options.engine ? options.engine(ratings, sgd_options)
                     : CreateCpuEngine(ratings, sgd_options);
  if (!engine.ok()) return engine.status();
  const LocalSgd* sgd = &(*engine)->model();
  const HeldOutSet held_out = HeldOutSet::Create(test, *sgd);
  const uint32_t k = sgd->rank();
  // R rows: the trained items, then items only the test ratings name.
  std::vector<uint64_t> rows = sgd->items();
  rows.insert(rows.end(), held_out.extra_items().begin(), held_out.extra_items().end());
  std::vector<float> r(rows.size() * k);
  std::vector<float> delta(sgd->items().size() * k);
  for (size_t j = 0; j < rows.size(); ++j) {
    RandomStream rng(options.r_init_seed, kRSalt, rows[j]);
    for (uint32_t c = 0; c < k; ++c) {
      r[j * k + c] =
          static_cast<float>(options.r_init_mean + rng.Normal() * options.r_init_stddev);
    }
  }
  const std::span<float> trained(r.data(), delta.size());
  SerialResult result;
  result.ratings = ratings.size();
  result.test_ratings = held_out.num_ratings();
  for (int64_t epoch = 0; epoch < options.epochs; ++epoch) {
    absl::StatusOr<LocalSgd::ClockResult> step = (*engine)->RunClock(epoch, trained, delta);
    if (!step.ok()) return step.status();
    result.objectives.push_back(step->objective.total());
    result.squared_errors.push_back(step->objective.squared_error);
    if (held_out.num_ratings() > 0) {
      if (absl::Status s = (*engine)->SyncModel(); !s.ok()) return s;
      result.test_rmse.push_back(Rmse(held_out.Evaluate(*sgd, r)));
    }
    if (options.on_epoch) {
      EpochReport report;
      report.epoch = epoch;
      report.objective = step->objective;
      if (!result.test_rmse.empty()) report.test_rmse = result.test_rmse.back();
      report.updates = step->updates;
      options.on_epoch(report);
    }
  }
  if (absl::Status s = (*engine)->SyncModel(); !s.ok()) return s;
  result.final_objective = sgd->ComputeObjective(trained).total();
  result.converged_epoch = apps::ConvergedAt(result.objectives, 10, 0.02);
  result.converged_objective = result.converged_epoch
                                   ? result.objectives[*result.converged_epoch]
                                   : result.objectives.back();
  return result;
}

}  // namespace gaia::mf
