// MF's own command-line flags, shared by gaia_mf and gaia_mf_serial (only
// `main`s include this: flags stay at the edge, options structs go inward).
// The flags every app takes (--gaia-config, --clocks) and the parsing live in
// apps/common/flags.h.
#ifndef GAIA_APPS_MF_FLAGS_H_
#define GAIA_APPS_MF_FLAGS_H_

#include <CLI/CLI.hpp>

#include "apps/mf/sgd.h"

namespace gaia::mf {

// --rank, --lr, --lr-decay, --lambda, --minibatch, --init-stddev, --seed,
// --step-rule, bound to `options` (whose current values are the defaults
// shown).
void AddSgdFlags(CLI::App& app, SgdOptions* options);

}  // namespace gaia::mf

#endif  // GAIA_APPS_MF_FLAGS_H_
