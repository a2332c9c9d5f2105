// Command-line flags shared by gaia_mf and gaia_mf_serial (only `main`s
// include this: flags stay at the edge, options structs go inward).
#ifndef GAIA_APPS_MF_FLAGS_H_
#define GAIA_APPS_MF_FLAGS_H_

#include <CLI/CLI.hpp>

#include "apps/mf/sgd.h"

namespace gaia::mf {

// --rank, --lr, --lr-decay, --lambda, --minibatch, --init-stddev, --seed,
// bound to `options` (whose current values are the defaults shown).
void AddSgdFlags(CLI::App& app, SgdOptions* options);

// Parses argv; on --help prints usage and returns 0, on a bad flag prints the
// error and returns 2; returns -1 when the program should go on.
// Exceptions from CLI11 never escape.
int ParseFlags(CLI::App& app, int argc, char** argv);

}  // namespace gaia::mf

#endif  // GAIA_APPS_MF_FLAGS_H_
