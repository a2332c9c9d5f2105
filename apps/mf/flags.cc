#include "apps/mf/flags.h"

#include <iostream>

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
  app.add_option("--seed", o->seed, "seed for L init and per-clock shuffles")
      ->capture_default_str();
}

int ParseFlags(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --help-all
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message
    return 2;
  }
  return -1;
}

}  // namespace gaia::mf
