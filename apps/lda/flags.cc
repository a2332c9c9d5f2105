#include "apps/lda/flags.h"

#include <map>
#include <string>

namespace gaia::lda {

void AddModelFlags(CLI::App& app, LdaParams* params, SamplerOptions* options) {
  app.add_option("--topics", params->topics, "number of topics K (>= 2)")
      ->check(CLI::Range(2u, 1u << 20))
      ->capture_default_str();
  app.add_option("--alpha", params->alpha, "symmetric document-topic prior (> 0)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--beta", params->beta, "symmetric topic-word prior (> 0)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  const std::map<std::string, SamplerKind> kinds = {{"alias-mh", SamplerKind::kAliasMh},
                                                   {"exact", SamplerKind::kExact}};
  app.add_option("--sampler", options->kind,
                 "alias-mh (Metropolis-Hastings with alias tables, O(1) per token) or "
                 "exact (the plain O(K) Gibbs sampler)")
      ->transform(CLI::CheckedTransformer(kinds, CLI::ignore_case))
      ->default_str("alias-mh");
  app.add_option("--mh-steps", options->mh_steps,
                 "alias-mh: word and document proposal pairs per token")
      ->check(CLI::Range(1u, 64u))
      ->capture_default_str();
  app.add_option("--threads", options->threads, "sampling threads (0: one per core)")
      ->capture_default_str();
  app.add_option("--seed", options->seed, "seed of the topic draws")->capture_default_str();
}

}  // namespace gaia::lda
