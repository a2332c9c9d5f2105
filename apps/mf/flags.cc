#include "apps/mf/flags.h"

#include <map>
#include <string>

namespace gaia::mf {

void AddSgdFlags(CLI::App& app, SgdOptions* o) {
  app.add_option("--rank", o->rank, "factor rank; must equal the R table's width")
      ->capture_default_str();
  app.add_option("--lr", o->learning_rate, "initial SGD learning rate eta0")
      ->capture_default_str();
  app.add_option("--lr-decay", o->lr_decay,
                 "learning-rate decay: eta_t = eta0 / (1 + decay * t)")
      ->capture_default_str();
  app.add_option("--lambda", o->lambda, "L2 regularization weight per rating")
      ->capture_default_str();
  app.add_option("--minibatch", o->minibatch_fraction,
                 "share of the local ratings visited per clock, (0, 1]")
      ->capture_default_str();
  app.add_option("--init-stddev", o->init_stddev,
                 "stddev of the initial L rows (seeded per user)")
      ->capture_default_str();
  app.add_option("--init-mean", o->init_mean,
                 "mean of the initial L rows (with ratings of mean m and rank k, "
                 "sqrt(m / k) starts the factors where the ratings are)")
      ->capture_default_str();
  app.add_option("--seed", o->seed, "seed for L init and per-clock shuffles")
      ->capture_default_str();
  const std::map<std::string, StepRule> rules = {{"sum", StepRule::kSum},
                                                 {"average", StepRule::kAverage},
                                                 {"damped", StepRule::kDamped}};
  app.add_option("--step-rule", o->step_rule,
                 "how a row's local change is pushed: sum (as is), average (divided "
                 "by the workers that moved the row), damped (cut only where the "
                 "workers' summed steps would overshoot); docs/APP_MF.md")
      ->transform(CLI::CheckedTransformer(rules, CLI::ignore_case))
      ->default_str(std::string(StepRuleName(o->step_rule)));
}

}  // namespace gaia::mf
