#include "apps/lda/sampler.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "apps/lda/exact_sampler.h"
#include "apps/lda/mh_sampler.h"
#include "apps/lda/parallel.h"
#include "apps/lda/random.h"
#include "apps/lda/sweep_context.h"
#include "apps/lda/word_proposal.h"

namespace gaia::lda {
namespace {

constexpr uint64_t kInitSalt = 0x696E6974;  // "init"
constexpr uint32_t kMaxThreads = 256;

absl::Status ValidateParams(const LdaParams& p, const SamplerOptions& o) {
  auto fail = [](auto... what) {
    return absl::InvalidArgumentError(absl::StrCat("lda sampler: ", what...));
  };
  if (p.topics < 2) return fail("topics must be >= 2, got ", p.topics);
  if (p.vocab_size == 0) return fail("vocab_size must be > 0");
  if (!(p.alpha > 0 && std::isfinite(p.alpha))) return fail("alpha must be > 0");
  if (!(p.beta > 0 && std::isfinite(p.beta))) return fail("beta must be > 0");
  if (o.kind == SamplerKind::kAliasMh && o.mh_steps == 0) return fail("mh_steps must be >= 1");
  if (o.threads > kMaxThreads) return fail("threads must be <= ", kMaxThreads);
  return absl::OkStatus();
}

// The first bad word of `docs`, if any.
absl::Status ValidateDocs(const Corpus& docs, uint32_t vocab_size) {
  if (docs.offsets.empty() || docs.offsets.front() != 0 ||
      docs.offsets.back() != docs.words.size()) {
    return absl::InvalidArgumentError("lda sampler: corpus offsets do not match its words");
  }
  for (size_t d = 0; d < docs.num_docs(); ++d) {
    if (docs.offsets[d + 1] < docs.offsets[d]) {
      return absl::InvalidArgumentError(
          absl::StrCat("lda sampler: document ", d, " has a negative length"));
    }
    for (uint32_t w : docs.doc(d)) {
      if (w >= vocab_size) {
        return absl::InvalidArgumentError(absl::StrCat("lda sampler: document ", d, " has word id ",
                                                       w, " >= vocab_size ", vocab_size));
      }
    }
  }
  return absl::OkStatus();
}

// Thread p sweeps documents [bounds[p], bounds[p + 1]), about as many tokens each.
std::vector<size_t> SplitDocs(const std::vector<uint64_t>& offsets, uint32_t parts) {
  const size_t docs = offsets.size() - 1;
  std::vector<size_t> bounds(parts + 1, docs);
  bounds[0] = 0;
  for (uint32_t p = 1; p < parts; ++p) {
    const uint64_t target = offsets.back() * p / parts;
    bounds[p] = static_cast<size_t>(
        std::lower_bound(offsets.begin(), offsets.end() - 1, target) - offsets.begin());
    bounds[p] = std::max(bounds[p], bounds[p - 1]);
  }
  return bounds;
}

// One thread's documents [doc_begin, doc_end), with the options' kernel.
void SweepDocs(const SamplerOptions& o, const WordProposal& proposal,
               const internal::Priors& priors, internal::Tokens& tokens, size_t doc_begin,
               size_t doc_end, bool shared, internal::ThreadSweep& sweep) {
  using internal::SweepAliasMh;
  using internal::SweepExact;
  if (o.kind == SamplerKind::kExact) {
    if (shared) {
      SweepExact<true>(priors, tokens, doc_begin, doc_end, sweep);
    } else {
      SweepExact<false>(priors, tokens, doc_begin, doc_end, sweep);
    }
  } else if (shared) {
    SweepAliasMh<true>(priors, proposal, o.mh_steps, tokens, doc_begin, doc_end, sweep);
  } else {
    SweepAliasMh<false>(priors, proposal, o.mh_steps, tokens, doc_begin, doc_end, sweep);
  }
}

}  // namespace

std::string_view SamplerKindName(SamplerKind kind) {
  switch (kind) {
    case SamplerKind::kExact: return "exact";
    case SamplerKind::kAliasMh: return "alias-mh";
  }
  return "?";
}

struct Sampler::State {
  LdaParams params;
  SamplerOptions options;          // threads resolved to >= 1
  std::vector<uint32_t> words;     // local word index -> word id, ascending
  internal::Tokens tokens;
  std::vector<size_t> thread_docs; // SplitDocs
  WordProposal proposal;           // kAliasMh: rebuilt each sweep
  uint64_t sweeps = 0;             // sweeps done: seeds the next one's streams
};

absl::StatusOr<Sampler> Sampler::Create(const Corpus& docs, const LdaParams& params,
                                        const SamplerOptions& options) {
  if (absl::Status s = ValidateParams(params, options); !s.ok()) return s;
  if (absl::Status s = ValidateDocs(docs, params.vocab_size); !s.ok()) return s;
  auto state = std::make_unique<State>();
  state->params = params;
  state->options = options;
  if (state->options.threads == 0) {
    state->options.threads = std::clamp(std::thread::hardware_concurrency(), 1u, kMaxThreads);
  }
  // Local word indexes: the rank of each word id among the distinct ones.
  std::vector<uint32_t> local(params.vocab_size, UINT32_MAX);
  for (uint32_t w : docs.words) local[w] = 0;
  for (uint32_t w = 0; w < params.vocab_size; ++w) {
    if (local[w] == 0) {
      local[w] = static_cast<uint32_t>(state->words.size());
      state->words.push_back(w);
    }
  }
  internal::Tokens& t = state->tokens;
  t.doc_offsets = docs.offsets;
  t.word.resize(docs.words.size());
  for (size_t i = 0; i < docs.words.size(); ++i) t.word[i] = local[docs.words[i]];
  t.topic.assign(docs.words.size(), 0);
  state->thread_docs = SplitDocs(t.doc_offsets, state->options.threads);
  return Sampler(std::move(state));
}

Sampler::Sampler(std::unique_ptr<State> state) : state_(std::move(state)) {}
Sampler::Sampler(Sampler&&) noexcept = default;
Sampler& Sampler::operator=(Sampler&&) noexcept = default;
Sampler::~Sampler() = default;

std::span<const uint32_t> Sampler::words() const { return state_->words; }
uint64_t Sampler::num_tokens() const { return state_->tokens.word.size(); }
size_t Sampler::num_docs() const { return state_->tokens.doc_offsets.size() - 1; }
const LdaParams& Sampler::params() const { return state_->params; }
std::span<const uint32_t> Sampler::topics() const { return state_->tokens.topic; }

void Sampler::Initialize(CountsView delta) {
  const uint32_t k = state_->params.topics;
  assert(delta.word_topic.size() == state_->words.size() * k && delta.totals.size() == k);
  internal::Tokens& t = state_->tokens;
  FastRandom rng(state_->options.seed, kInitSalt);
  for (size_t i = 0; i < t.word.size(); ++i) {
    t.topic[i] = rng.Below(k);
    ++delta.word_topic[static_cast<size_t>(t.word[i]) * k + t.topic[i]];
    ++delta.totals[t.topic[i]];
  }
}

SweepStats Sampler::Sweep(CountsView counts, CountsView delta) {
  State& s = *state_;
  const uint32_t k = s.params.topics;
  assert(counts.word_topic.size() == s.words.size() * k && counts.totals.size() == k);
  assert(delta.word_topic.size() == counts.word_topic.size() && delta.totals.size() == k);
  SweepStats stats;
  if (s.options.kind == SamplerKind::kAliasMh) {
    const auto start = std::chrono::steady_clock::now();
    s.proposal.Build(counts.word_topic, counts.totals, s.params, s.options.threads);
    stats.build_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  const uint32_t parts = static_cast<uint32_t>(s.thread_docs.size() - 1);
  std::vector<internal::ThreadSweep> sweeps;
  sweeps.reserve(parts);
  for (uint32_t p = 0; p < parts; ++p) {
    sweeps.emplace_back(counts, delta, k, FastRandom(s.options.seed, s.sweeps).NextU64() + p);
  }
  ++s.sweeps;
  const internal::Priors priors(s.params);
  ParallelRanges(s.thread_docs, [&](size_t begin, size_t end, uint32_t p) {
    SweepDocs(s.options, s.proposal, priors, s.tokens, begin, end, parts > 1, sweeps[p]);
  });
  for (const internal::ThreadSweep& t : sweeps) {
    for (uint32_t j = 0; j < k; ++j) delta.totals[j] += t.delta_totals[j];
    stats.tokens += t.stats.tokens;
    stats.changed += t.stats.changed;
  }
  return stats;
}

double Sampler::DocLogLikelihood() const {
  const State& s = *state_;
  std::vector<int32_t> dense(s.params.topics);
  std::vector<int32_t> nonzero;
  double sum = 0;
  for (size_t d = 0; d < num_docs(); ++d) {
    DocTopicCounts(d, dense);
    nonzero.clear();
    for (int32_t n : dense) {
      if (n > 0) nonzero.push_back(n);
    }
    const uint64_t length = s.tokens.doc_offsets[d + 1] - s.tokens.doc_offsets[d];
    sum += lda::DocLogLikelihood(nonzero, static_cast<uint32_t>(length), s.params);
  }
  return sum;
}

void Sampler::DocTopicCounts(size_t d, std::span<int32_t> out) const {
  const internal::Tokens& t = state_->tokens;
  assert(d < num_docs() && out.size() == state_->params.topics);
  std::fill(out.begin(), out.end(), 0);
  for (uint64_t i = t.doc_offsets[d]; i < t.doc_offsets[d + 1]; ++i) ++out[t.topic[i]];
}

}  // namespace gaia::lda
