#include "apps/lda/serial_train.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <span>

#include "apps/common/convergence.h"

namespace gaia::lda {
namespace {

double LogLikelihood(const TopicSampler& sampler, std::span<const int32_t> counts,
                     std::span<const int64_t> totals) {
  const LdaParams& p = sampler.params();
  return sampler.DocLogLikelihood() + WordRowsLogLikelihood(counts, p) +
         TotalsLogLikelihood(totals, p);
}

// Counts the changed elements of `counts` (after the sweep; `delta` is the
// sweep's change) and those that changed by less than `threshold` of their
// value before it.
template <typename C>
void CountNetSignificance(std::span<const C> counts, std::span<const C> delta, double threshold,
                          IterationReport* report) {
  for (size_t i = 0; i < delta.size(); ++i) {
    if (delta[i] == 0) continue;
    ++report->net_updates;
    const double before = static_cast<double>(counts[i]) - static_cast<double>(delta[i]);
    report->net_insignificant +=
        std::abs(static_cast<double>(delta[i])) < threshold * std::abs(before);
  }
}

// The four unit updates of every token whose topic went from before[i] to
// after[i], against the counts before the sweep (counts - delta).
void CountUnitSignificance(std::span<const uint32_t> before, std::span<const uint32_t> after,
                           std::span<const uint32_t> token_rows, uint32_t k,
                           std::span<const int32_t> counts, std::span<const int32_t> delta,
                           std::span<const int64_t> totals, std::span<const int64_t> totals_delta,
                           double threshold, IterationReport* report) {
  auto significant_unit = [threshold](double count_before) {
    return 1.0 >= threshold * std::abs(count_before);
  };
  for (size_t i = 0; i < before.size(); ++i) {
    if (before[i] == after[i]) continue;
    report->updates += 4;
    for (uint32_t topic : {before[i], after[i]}) {
      const size_t cell = size_t{token_rows[i]} * k + topic;
      report->insignificant += !significant_unit(counts[cell] - delta[cell]);
      report->insignificant += !significant_unit(static_cast<double>(totals[topic]) -
                                                 static_cast<double>(totals_delta[topic]));
    }
  }
}

}  // namespace

absl::StatusOr<SerialResult> SerialTrain(const Corpus& corpus, LdaParams params,
                                         const SamplerOptions& sampler_options,
                                         const SerialOptions& options) {
  if (corpus.num_tokens() == 0) {
    return absl::InvalidArgumentError("the corpus has no tokens");
  }
  params.vocab_size = corpus.vocab_size();
  absl::StatusOr<std::unique_ptr<TopicSampler>> made =
      MakeTopicSampler(corpus, params, sampler_options, options.device);
  if (!made.ok()) return made.status();
  TopicSampler* sampler = made->get();
  const uint32_t k = params.topics;
  const std::span<const uint32_t> words = sampler->words();
  // The sampler's rows are its words; scatter them into the full table at
  // the end.
  std::vector<int32_t> counts(words.size() * k, 0), delta(words.size() * k, 0);
  std::vector<int64_t> totals(k, 0), totals_delta(k, 0);
  if (absl::Status s = sampler->Initialize({counts, totals}); !s.ok()) return s;
  SerialResult result;
  result.tokens = sampler->num_tokens();
  // Each token's row among the sampler's words (words() is ascending).
  std::vector<uint32_t> token_rows;
  token_rows.reserve(corpus.num_tokens());
  for (uint32_t w : corpus.words) {
    token_rows.push_back(
        static_cast<uint32_t>(std::lower_bound(words.begin(), words.end(), w) - words.begin()));
  }
  for (int64_t t = 0; t < options.iterations; ++t) {
    IterationReport report;
    report.iteration = t;
    report.objective = -LogLikelihood(*sampler, counts, totals);
    const std::vector<uint32_t> before(sampler->topics().begin(), sampler->topics().end());
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<SweepStats> sweep = sampler->Sweep({counts, totals}, {delta, totals_delta});
    if (!sweep.ok()) return sweep.status();
    report.sweep = *sweep;
    report.sweep_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.sweep_seconds += report.sweep_seconds;
    CountUnitSignificance(before, sampler->topics(), token_rows, k, counts, delta, totals,
                          totals_delta, options.significance, &report);
    CountNetSignificance<int32_t>(counts, delta, options.significance, &report);
    CountNetSignificance<int64_t>(totals, totals_delta, options.significance, &report);
    result.updates += report.updates;
    result.insignificant += report.insignificant;
    result.net_updates += report.net_updates;
    result.net_insignificant += report.net_insignificant;
    std::fill(delta.begin(), delta.end(), 0);
    std::fill(totals_delta.begin(), totals_delta.end(), 0);
    result.objectives.push_back(report.objective);
    if (options.on_iteration) options.on_iteration(report);
  }
  result.final_objective = -LogLikelihood(*sampler, counts, totals);
  if (std::optional<size_t> t = apps::ConvergedAt(
          result.objectives, static_cast<size_t>(options.window), options.tolerance)) {
    result.converged_iteration = static_cast<int64_t>(*t);
  }
  result.converged_objective = result.converged_iteration
                                   ? result.objectives[*result.converged_iteration]
                                   : result.final_objective;
  result.word_topic.assign(size_t{params.vocab_size} * k, 0);
  for (size_t i = 0; i < words.size(); ++i) {
    std::copy_n(counts.begin() + i * k, k, result.word_topic.begin() + size_t{words[i]} * k);
  }
  result.totals = std::move(totals);
  return result;
}

}  // namespace gaia::lda
