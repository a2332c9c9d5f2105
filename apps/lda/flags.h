// LDA's own command-line flags, shared by gaia_lda and gaia_lda_serial (only
// `main`s include this). The flags every app takes live in apps/common/flags.h.
#ifndef GAIA_APPS_LDA_FLAGS_H_
#define GAIA_APPS_LDA_FLAGS_H_

#include <CLI/CLI.hpp>

#include "apps/lda/lda_model.h"
#include "apps/lda/sampler.h"

namespace gaia::lda {

// --topics, --alpha, --beta bound to `params` (vocab_size comes from the
// data); --sampler, --mh-steps, --threads, --seed bound to `options`. The
// current values are the defaults shown.
void AddModelFlags(CLI::App& app, LdaParams* params, SamplerOptions* options);

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_FLAGS_H_
