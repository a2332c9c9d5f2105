// The single-process reference: the same sampler and objective as gaia_lda,
// with every count in this process (no staleness), one sweep per iteration.
//
//   SerialOptions o; o.iterations = 100;
//   absl::StatusOr<SerialResult> r = SerialTrain(corpus, params, sampler_options, o);
//   r->objectives[t]     // minus log p(w, z) before sweep t (as gaia_lda reports)
//   r->word_topic        // vocab x topics counts after the last sweep
#ifndef GAIA_APPS_LDA_SERIAL_TRAIN_H_
#define GAIA_APPS_LDA_SERIAL_TRAIN_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "apps/lda/corpus.h"
#include "apps/lda/lda_model.h"
#include "apps/lda/sampler.h"
#include "apps/lda/topic_sampler.h"

namespace gaia::lda {

struct IterationReport {
  int64_t iteration = 0;     // 0-based
  double objective = 0;      // minus log p(w, z) before this iteration's sweep
  SweepStats sweep;
  double sweep_seconds = 0;
  // Significance as thesis Fig. 5.4 measures it: every token that moved
  // from topic s to t made four unit updates (n_ws - 1, n_wt + 1, n_s - 1,
  // n_t + 1); `updates` counts them, `insignificant` those below
  // SerialOptions::significance of the count's value before the sweep.
  uint64_t updates = 0;
  uint64_t insignificant = 0;
  // The same for the sweep's net change of each count (what a gaia_lda
  // worker pushes per clock): changed elements, and those that changed by
  // less than the threshold (a count that was 0 always changes significantly).
  uint64_t net_updates = 0;
  uint64_t net_insignificant = 0;
};

struct SerialOptions {
  int64_t iterations = 100;
  // Convergence (DESIGN.md §8, the job spec's `convergence`): the first
  // iteration t >= window whose objective changed by less than tolerance
  // (relative) since t - window.
  int window = 10;
  double tolerance = 0.02;
  double significance = 0.01;  // IterationReport::insignificant's threshold
  // Where the sweeps run (topic_sampler.h); kCuda without a GPU is an error.
  SamplerDevice device = SamplerDevice::kCpu;
  std::function<void(const IterationReport&)> on_iteration;  // optional
};

struct SerialResult {
  std::vector<double> objectives;        // one per iteration
  std::optional<int64_t> converged_iteration;
  double converged_objective = 0;        // at converged_iteration, else the last
  double final_objective = 0;            // after the last sweep
  uint64_t tokens = 0;
  double sweep_seconds = 0;              // all sweeps
  uint64_t updates = 0;                  // IterationReport's, over all iterations
  uint64_t insignificant = 0;
  uint64_t net_updates = 0;
  uint64_t net_insignificant = 0;
  std::vector<int32_t> word_topic;       // vocab_size x topics (every word, used or not)
  std::vector<int64_t> totals;           // topics
};

// params.vocab_size is taken from the corpus. Errors: the sampler's (bad
// word ids, topics < 2, no GPU for kCuda, a failed device call), an empty
// corpus.
absl::StatusOr<SerialResult> SerialTrain(const Corpus& corpus, LdaParams params,
                                         const SamplerOptions& sampler_options,
                                         const SerialOptions& options);

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_SERIAL_TRAIN_H_
