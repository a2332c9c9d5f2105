// Throughput of the LDA samplers (apps/lda/sampler.h) on a corpus shaped like
// NYTimes, scaled down: 30,000 words with Zipf (s = 1) frequencies, 10,000
// documents of 200-400 tokens (3 million tokens), each document mixing 1-3
// of 50 planted topics. Each benchmark warms the model up with a few sweeps
// (counts get sparse, as in a real run), then times whole sweeps.
//
//   build/bin/lda_sampler_bench --benchmark_counters_tabular=true
//
// Counters: tokens_per_s (tokens swept per second of wall time),
// ns_per_token, build_ms (kAliasMh: building the word proposals, per sweep,
// included in the sweep's time).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "apps/lda/corpus.h"
#include "apps/lda/random.h"
#include "apps/lda/sampler.h"
#include "benchmark/benchmark.h"

namespace gaia::lda {
namespace {

constexpr uint32_t kVocab = 30'000;
constexpr uint32_t kDocs = 10'000;
constexpr uint32_t kPlantedTopics = 50;

const Corpus& NyTimesLike() {
  static const Corpus corpus = [] {
    std::vector<double> cdf(kVocab);
    double sum = 0;
    for (uint32_t r = 0; r < kVocab; ++r) cdf[r] = (sum += 1.0 / (r + 1));
    FastRandom rng(2015);
    Corpus c;
    c.vocab.resize(kVocab);
    std::vector<uint32_t> doc;
    for (uint32_t d = 0; d < kDocs; ++d) {
      uint32_t topics[3];
      const uint32_t mix = 1 + rng.Below(3);
      for (uint32_t& t : topics) t = rng.Below(kPlantedTopics);
      doc.resize(200 + rng.Below(201));
      for (uint32_t& w : doc) {
        // A Zipf rank, shifted by the topic: every topic is Zipf over its own
        // rotation of the vocabulary.
        const uint32_t rank = static_cast<uint32_t>(
            std::lower_bound(cdf.begin(), cdf.end(), rng.Uniform() * sum) - cdf.begin());
        w = (rank + topics[rng.Below(mix)] * (kVocab / kPlantedTopics)) % kVocab;
      }
      c.AddDoc(doc);
    }
    return c;
  }();
  return corpus;
}

// Args: kind (0 exact, 1 alias-mh), topics, threads.
void BM_Sweep(benchmark::State& state) {
  const Corpus& corpus = NyTimesLike();
  LdaParams params;
  params.topics = static_cast<uint32_t>(state.range(1));
  params.vocab_size = kVocab;
  SamplerOptions options;
  options.kind = state.range(0) == 0 ? SamplerKind::kExact : SamplerKind::kAliasMh;
  options.threads = static_cast<uint32_t>(state.range(2));
  Sampler sampler = *Sampler::Create(corpus, params, options);
  const size_t cells = sampler.words().size() * params.topics;
  std::vector<int32_t> rows(cells, 0), delta_rows(cells, 0);
  std::vector<int64_t> totals(params.topics, 0), delta_totals(params.topics, 0);
  sampler.Initialize(CountsView{rows, totals});
  const CountsView counts{rows, totals}, delta{delta_rows, delta_totals};
  const int warmup = options.kind == SamplerKind::kExact ? 1 : 5;
  for (int i = 0; i < warmup; ++i) sampler.Sweep(counts, delta);
  uint64_t tokens = 0;
  double build_seconds = 0;
  for (auto _ : state) {
    const SweepStats stats = sampler.Sweep(counts, delta);
    tokens += stats.tokens;
    build_seconds += stats.build_seconds;
  }
  state.counters["tokens_per_s"] = benchmark::Counter(static_cast<double>(tokens),
                                                      benchmark::Counter::kIsRate);
  state.counters["ns_per_token"] = benchmark::Counter(
      1e-9 * static_cast<double>(tokens), benchmark::Counter::kIsRate |
                                             benchmark::Counter::kInvert);
  state.counters["build_ms"] = 1e3 * build_seconds / static_cast<double>(state.iterations());
  state.SetLabel(std::string(SamplerKindName(options.kind)));
}

BENCHMARK(BM_Sweep)
    ->ArgNames({"alias", "K", "threads"})
    ->ArgsProduct({{1}, {100, 1000}, {1, 2}})
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Sweep)
    ->ArgNames({"alias", "K", "threads"})
    ->ArgsProduct({{0}, {100, 1000}, {1, 2}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace gaia::lda

BENCHMARK_MAIN();
