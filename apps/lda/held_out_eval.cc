#include "apps/lda/held_out_eval.h"

#include <algorithm>
#include <cmath>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"

namespace gaia::lda {
namespace {

uint64_t Mix(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// SplitMix64: fixed by its seed on every platform (unlike std distributions).
class Stream {
 public:
  Stream(uint64_t seed, uint64_t salt, uint64_t id) : state_(Mix(Mix(seed ^ Mix(salt)) ^ id)) {}
  uint64_t Next() { return Mix(state_++); }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  uint64_t Below(uint64_t n) { return Next() % n; }  // bias < n / 2^64: negligible

 private:
  uint64_t state_;
};

constexpr uint64_t kSplitSalt = 0x5350;    // the split's stream
constexpr uint64_t kSampleSalt = 0x4753;   // the sampler's stream

// phi transposed (V x K) so one word's K probabilities are contiguous.
struct WordColumns {
  uint32_t topics = 0;
  uint32_t vocab = 0;
  std::vector<double> by_word;
  std::span<const double> word(uint32_t w) const {
    return std::span<const double>(by_word).subspan(size_t{w} * topics, topics);
  }
};

WordColumns Transpose(const TopicWordMatrix& m) {
  WordColumns c{m.topics, m.vocab_size(), {}};
  c.by_word.resize(m.phi.size());
  for (uint32_t k = 0; k < m.topics; ++k) {
    for (uint32_t w = 0; w < c.vocab; ++w) {
      c.by_word[size_t{w} * m.topics + k] = m.phi[size_t{k} * c.vocab + w];
    }
  }
  return c;
}

struct DocScore {
  HeldOutResult sums;  // this document's share
  absl::Status status;
};

// Draws k with probability proportional to its weight, given the running
// sums of the weights (cumulative[k] = weight 0 + ... + weight k).
uint32_t Draw(std::span<const double> cumulative, Stream& rng) {
  const double u = rng.Uniform() * cumulative.back();
  auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
  return static_cast<uint32_t>(std::min<size_t>(it - cumulative.begin(), cumulative.size() - 1));
}

// Gibbs sampling of the estimation half's topics with phi fixed; returns the
// averaged theta.
std::vector<double> EstimateTheta(const WordColumns& cols, std::span<const uint32_t> tokens,
                                  const HeldOutOptions& o, Stream& rng) {
  const uint32_t k_count = cols.topics;
  std::vector<int32_t> ndk(k_count, 0);
  std::vector<uint32_t> z(tokens.size(), 0);
  std::vector<double> cumulative(k_count);
  std::vector<double> theta(k_count, 0.0);
  auto sample = [&](size_t i) {
    std::span<const double> p = cols.word(tokens[i]);
    double run = 0;
    for (uint32_t k = 0; k < k_count; ++k) {
      run += (ndk[k] + o.alpha) * p[k];
      cumulative[k] = run;
    }
    z[i] = Draw(cumulative, rng);
    ++ndk[z[i]];
  };
  for (size_t i = 0; i < tokens.size(); ++i) sample(i);  // sequential initialization
  const double denom = static_cast<double>(tokens.size()) + k_count * o.alpha;
  for (uint32_t sweep = 0; sweep < o.burn_in + o.samples; ++sweep) {
    for (size_t i = 0; i < tokens.size(); ++i) {
      --ndk[z[i]];
      sample(i);
    }
    if (sweep < o.burn_in) continue;
    for (uint32_t k = 0; k < k_count; ++k) theta[k] += (ndk[k] + o.alpha) / denom;
  }
  for (double& t : theta) t /= o.samples;
  return theta;
}

DocScore ScoreDoc(const WordColumns& cols, std::span<const double> column_sums,
                  std::span<const uint32_t> doc, size_t d, const HeldOutOptions& o) {
  DocScore out;
  CompletionSplit split = SplitForCompletion(doc, cols.vocab, o.seed, d);
  const size_t known = split.estimate.size() + split.score.size();
  out.sums.tokens_unknown = doc.size() - known;
  if (known < 2) {
    out.sums.docs_skipped = 1;
    return out;
  }
  for (uint32_t w : doc) {
    if (w < cols.vocab && !(column_sums[w] > 0)) {
      out.status = absl::InvalidArgumentError(absl::StrCat(
          "held-out document ", d, ": word ", w,
          " has probability 0 under every topic; the model cannot score it"));
      return out;
    }
  }
  Stream rng(o.seed, kSampleSalt, d);
  const std::vector<double> theta = EstimateTheta(cols, split.estimate, o, rng);
  for (uint32_t w : split.score) {
    std::span<const double> p = cols.word(w);
    double pw = 0;
    for (uint32_t k = 0; k < cols.topics; ++k) pw += theta[k] * p[k];
    out.sums.loglik += std::log(pw);
  }
  out.sums.tokens_scored = split.score.size();
  out.sums.tokens_estimated = split.estimate.size();
  out.sums.docs_scored = 1;
  return out;
}

absl::Status CheckOptions(const HeldOutOptions& o) {
  if (!(o.alpha > 0) || !std::isfinite(o.alpha) || o.samples < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "held-out evaluation: need alpha > 0 and samples >= 1 (alpha ", o.alpha, ", samples ",
        o.samples, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

CompletionSplit SplitForCompletion(std::span<const uint32_t> doc, uint32_t vocab_size,
                                   uint64_t seed, uint64_t doc_index) {
  std::vector<uint32_t> known;
  known.reserve(doc.size());
  for (uint32_t w : doc) {
    if (w < vocab_size) known.push_back(w);
  }
  Stream rng(seed, kSplitSalt, doc_index);
  for (size_t i = known.size(); i > 1; --i) std::swap(known[i - 1], known[rng.Below(i)]);
  const size_t half = (known.size() + 1) / 2;
  CompletionSplit split;
  split.estimate.assign(known.begin(), known.begin() + static_cast<ptrdiff_t>(half));
  split.score.assign(known.begin() + static_cast<ptrdiff_t>(half), known.end());
  return split;
}

absl::StatusOr<HeldOutResult> DocumentCompletion(const TopicWordMatrix& phi,
                                                 const Corpus& test,
                                                 const HeldOutOptions& options) {
  if (absl::Status s = CheckOptions(options); !s.ok()) return s;
  if (absl::Status s = ValidateTopicMatrix(phi); !s.ok()) return s;
  const WordColumns cols = Transpose(phi);
  std::vector<double> column_sums(cols.vocab, 0.0);
  for (uint32_t w = 0; w < cols.vocab; ++w) {
    for (double p : cols.word(w)) column_sums[w] += p;
  }
  const size_t docs = test.num_docs();
  std::vector<DocScore> scores(docs);
  uint32_t threads = options.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<uint32_t>(std::clamp<size_t>(threads, 1, std::max<size_t>(docs, 1)));
  auto run = [&](uint32_t t) {
    for (size_t d = t; d < docs; d += threads) {
      scores[d] = ScoreDoc(cols, column_sums, test.doc(d), d, options);
    }
  };
  std::vector<std::thread> pool;
  for (uint32_t t = 1; t < threads; ++t) pool.emplace_back(run, t);
  run(0);
  for (std::thread& th : pool) th.join();
  HeldOutResult total;
  for (const DocScore& s : scores) {  // in document order: the same sum for any `threads`
    if (!s.status.ok()) return s.status;
    total.loglik += s.sums.loglik;
    total.tokens_scored += s.sums.tokens_scored;
    total.tokens_estimated += s.sums.tokens_estimated;
    total.docs_scored += s.sums.docs_scored;
    total.docs_skipped += s.sums.docs_skipped;
    total.tokens_unknown += s.sums.tokens_unknown;
  }
  return total;
}

}  // namespace gaia::lda
