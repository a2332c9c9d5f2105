// lda_kernel_bench: the GPU LDA sampler (apps/lda/cuda/gpu_lda_core.h) on a
// synthetic corpus shaped like NYTimes (100M tokens, 100k words, Zipf word
// frequencies, ~330 tokens per document), 1,000 topics. Prints per sweep:
// seconds, tokens/s, the share of tokens that moved, log p(w, z) per token,
// and the achieved memory bandwidth (a lower-bound byte model,
// docs/APP_LDA_GPU.md) against --copy-gbps, the card's measured copy rate.
// Needs only the CUDA runtime and the C++ standard library.
//
//   lda_kernel_bench --tokens=100000000 --words=100000 --topics=1000 --sweeps=20
//       --copy-gbps=2900   (one command line)
//
// Exit codes: 0 ok, 2 bad arguments, 1 a CUDA error (no device included).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "apps/lda/cuda/gpu_lda_core.h"
#include "apps/lda/random.h"

namespace {

using gaia::lda::FastRandom;
using gaia::lda::gpu::GpuLdaCore;

struct Options {
  uint64_t tokens = 100'000'000;
  uint32_t words = 100'000;
  uint32_t topics = 1000;
  uint32_t doc_length = 330;  // mean; lengths uniform in [length/2, 3 length/2]
  uint32_t themes = 200;      // planted themes (each a shifted Zipf over the words)
  double zipf = 1.0;          // word frequency ∝ 1 / rank^zipf
  int sweeps = 20;
  double copy_gbps = 0;       // the card's device-to-device copy rate; 0: not given
  double max_seconds = 150;   // stop sweeping after this much wall time
  double alpha = 0.1;
  double beta = 0.01;
  uint64_t seed = 1;
};

bool ParseArg(const char* arg, Options* o) {
  auto value = [arg](const char* name, std::string* out) {
    const size_t n = std::strlen(name);
    if (std::strncmp(arg, name, n) != 0 || arg[n] != '=') return false;
    *out = arg + n + 1;
    return true;
  };
  std::string v;
  if (value("--tokens", &v)) return (o->tokens = std::strtoull(v.c_str(), nullptr, 10)) > 0;
  if (value("--words", &v)) return (o->words = std::strtoul(v.c_str(), nullptr, 10)) > 0;
  if (value("--topics", &v)) return (o->topics = std::strtoul(v.c_str(), nullptr, 10)) >= 2;
  if (value("--doc-length", &v)) {
    return (o->doc_length = std::strtoul(v.c_str(), nullptr, 10)) >= 2;
  }
  if (value("--themes", &v)) return (o->themes = std::strtoul(v.c_str(), nullptr, 10)) > 0;
  if (value("--zipf", &v)) return (o->zipf = std::strtod(v.c_str(), nullptr)) > 0;
  if (value("--sweeps", &v)) return (o->sweeps = std::atoi(v.c_str())) > 0;
  if (value("--copy-gbps", &v)) return (o->copy_gbps = std::strtod(v.c_str(), nullptr)) >= 0;
  if (value("--max-seconds", &v)) return (o->max_seconds = std::strtod(v.c_str(), nullptr)) > 0;
  if (value("--alpha", &v)) return (o->alpha = std::strtod(v.c_str(), nullptr)) > 0;
  if (value("--beta", &v)) return (o->beta = std::strtod(v.c_str(), nullptr)) > 0;
  if (value("--seed", &v)) return (o->seed = std::strtoull(v.c_str(), nullptr, 10)), true;
  return false;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

struct Corpus {
  std::vector<uint64_t> offsets;  // doc d: [offsets[d], offsets[d + 1])
  std::vector<uint32_t> words;
};

// Documents of about doc_length tokens; each mixes two themes, and a theme
// draws a Zipf rank and shifts it by the theme's offset, so every word's
// overall frequency stays close to Zipf while documents share topics.
Corpus MakeCorpus(const Options& o) {
  std::vector<double> cdf(o.words);
  double sum = 0;
  for (uint32_t r = 0; r < o.words; ++r) cdf[r] = sum += std::pow(r + 1.0, -o.zipf);
  for (double& c : cdf) c /= sum;
  std::vector<uint32_t> lengths;
  FastRandom rng(o.seed, 1);
  for (uint64_t total = 0; total < o.tokens;) {
    uint32_t n = o.doc_length / 2 + rng.Below(o.doc_length + 1);
    n = static_cast<uint32_t>(std::min<uint64_t>(n, o.tokens - total));
    lengths.push_back(n);
    total += n;
  }
  Corpus c;
  c.offsets.assign(lengths.size() + 1, 0);
  for (size_t d = 0; d < lengths.size(); ++d) c.offsets[d + 1] = c.offsets[d] + lengths[d];
  c.words.resize(o.tokens);
  const uint32_t threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (uint32_t p = 0; p < threads; ++p) {
    pool.emplace_back([&, p] {
      FastRandom r(o.seed, 100 + p);
      for (size_t d = p; d < lengths.size(); d += threads) {
        const uint32_t themes[2] = {r.Below(o.themes), r.Below(o.themes)};
        for (uint64_t i = c.offsets[d]; i < c.offsets[d + 1]; ++i) {
          const uint32_t rank = static_cast<uint32_t>(
              std::upper_bound(cdf.begin(), cdf.end() - 1, r.Uniform()) - cdf.begin());
          const uint64_t shift = uint64_t{themes[r.Below(2)]} * o.words / o.themes;
          c.words[i] = static_cast<uint32_t>((rank + shift) % o.words);
        }
      }
    });
  }
  for (std::thread& t : pool) t.join();
  return c;
}

int Fail(const gaia::gpu::CudaResult& r) {
  std::fprintf(stderr, "lda_kernel_bench: %s\n", r.message().c_str());
  return 1;
}

// Bytes a sweep must move at the least (docs/APP_LDA_GPU.md): the word x
// topic streams (counts read, CDF written, delta zeroed and summed), each
// token's word and topic (4 + 2 + 2 + 2), and one 32-byte sector each of
// its word's counts and CDF.
double ModelBytes(const Options& o, uint64_t tokens) {
  return 16.0 * o.words * o.topics + tokens * (10.0 + 64.0);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    if (!ParseArg(argv[i], &o)) {
      std::fprintf(stderr, "lda_kernel_bench: bad argument %s (see the file's header)\n",
                   argv[i]);
      return 2;
    }
  }
  auto start = std::chrono::steady_clock::now();
  const Corpus corpus = MakeCorpus(o);
  std::printf("corpus: %llu tokens, %zu documents, %u words, %u topics (%.1f s to generate)\n",
              static_cast<unsigned long long>(corpus.words.size()), corpus.offsets.size() - 1,
              o.words, o.topics, Seconds(start));

  gaia::lda::gpu::GpuLdaShape shape;
  shape.topics = o.topics;
  shape.words = o.words;
  shape.vocab_size = o.words;
  shape.alpha = o.alpha;
  shape.beta = o.beta;
  std::unique_ptr<GpuLdaCore> core;
  if (gaia::gpu::CudaResult r = GpuLdaCore::Create(shape, corpus.offsets, corpus.words, &core);
      !r.ok()) {
    return Fail(r);
  }
  std::printf("device memory: %.2f GB\n", core->device_bytes() / 1e9);
  // The initial state: uniform topics and their counts.
  std::vector<uint32_t> topics(corpus.words.size());
  std::vector<int32_t> counts(size_t{o.words} * o.topics, 0), totals(o.topics, 0);
  FastRandom rng(o.seed, 2);
  for (size_t i = 0; i < topics.size(); ++i) {
    topics[i] = rng.Below(o.topics);
    ++counts[size_t{corpus.words[i]} * o.topics + topics[i]];
    ++totals[topics[i]];
  }
  start = std::chrono::steady_clock::now();
  gaia::gpu::CudaResult e = core->UploadTopics(topics.data());
  if (e.ok()) e = core->UploadCounts(counts.data(), totals.data());
  if (!e.ok()) return Fail(e);
  const double upload_s = Seconds(start);
  double ll = 0;
  if (e = core->LogLikelihood(&ll); !e.ok()) return Fail(e);
  const double n = static_cast<double>(corpus.words.size());
  std::printf("sweep 0: loglik_per_token %.5f (initial)\n", ll / n);

  const auto run = std::chrono::steady_clock::now();
  std::vector<double> rates;
  for (int s = 1; s <= o.sweeps && Seconds(run) < o.max_seconds; ++s) {
    gaia::lda::gpu::GpuSweepResult r;
    if (e = core->Sweep(o.seed, static_cast<uint64_t>(s), &r); !e.ok()) return Fail(e);
    if (e = core->ApplyDelta(); !e.ok()) return Fail(e);
    if (e = core->LogLikelihood(&ll); !e.ok()) return Fail(e);
    const double rate = n / r.kernel_seconds;
    const double gbps = ModelBytes(o, r.tokens) / r.kernel_seconds / 1e9;
    rates.push_back(rate);
    std::printf("sweep %d: %.4f s, %.1f M tokens/s, changed %.3f, loglik_per_token %.5f, "
                "%.0f GB/s",
                s, r.kernel_seconds, rate / 1e6, r.changed / n, ll / n, gbps);
    if (o.copy_gbps > 0) std::printf(" (%.0f%% of copy)", 100 * gbps / o.copy_gbps);
    std::printf("\n");
    std::fflush(stdout);
  }
  // The worker's copies around a sweep (UploadCounts, DownloadDelta).
  start = std::chrono::steady_clock::now();
  std::vector<int32_t> totals_delta(o.topics);
  if (e = core->DownloadDelta(counts.data(), totals_delta.data()); !e.ok()) return Fail(e);
  const double download_s = Seconds(start);
  std::vector<double> sorted = rates;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted.empty() ? 0 : sorted[sorted.size() / 2];
  std::printf("summary: %zu sweeps, median %.1f M tokens/s (target 500 M at K=1000 on an H100), "
              "final loglik_per_token %.5f; host copies per sweep: counts up %.3f s (with topics), "
              "delta down %.3f s\n",
              rates.size(), median / 1e6, ll / n, upload_s, download_s);
  return 0;
}
