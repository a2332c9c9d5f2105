#include "apps/lda/sampler.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "apps/lda/lda_model.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/lda/planted_corpus.h"

namespace gaia::lda {
namespace {

using ::testing::HasSubstr;

// A worker's loop without a server: counts start as what Initialize pushed,
// and `pushed` sums every delta.
class WorkerLoop {
 public:
  WorkerLoop(const Corpus& corpus, const LdaParams& params, const SamplerOptions& options)
      : sampler_(*Sampler::Create(corpus, params, options)), k_(params.topics) {
    const size_t cells = sampler_.words().size() * k_;
    rows_.assign(cells, 0);
    delta_rows_.assign(cells, 0);
    pushed_rows_.assign(cells, 0);
    totals_.assign(k_, 0);
    delta_totals_.assign(k_, 0);
    pushed_totals_.assign(k_, 0);
    sampler_.Initialize(Delta());
    Push();
  }

  SweepStats Sweep() {
    const SweepStats stats = sampler_.Sweep(CountsView{rows_, totals_}, Delta());
    Push();
    return stats;
  }

  double LogLikelihood() const {
    const LdaParams& p = sampler_.params();
    return TotalsLogLikelihood(totals_, p) + WordRowsLogLikelihood(rows_, p) +
           sampler_.DocLogLikelihood();
  }

  const Sampler& sampler() const { return sampler_; }
  const std::vector<int32_t>& rows() const { return rows_; }
  const std::vector<int64_t>& totals() const { return totals_; }
  const std::vector<int32_t>& pushed_rows() const { return pushed_rows_; }
  const std::vector<int64_t>& pushed_totals() const { return pushed_totals_; }

 private:
  CountsView Delta() { return CountsView{delta_rows_, delta_totals_}; }
  // Adds the delta to what was pushed (and, the first time, to the counts:
  // a read after Initialize sees its delta), then zeroes it.
  void Push() {
    for (size_t i = 0; i < rows_.size(); ++i) {
      if (first_push_) rows_[i] += delta_rows_[i];
      pushed_rows_[i] += std::exchange(delta_rows_[i], 0);
    }
    for (uint32_t k = 0; k < k_; ++k) {
      if (first_push_) totals_[k] += delta_totals_[k];
      pushed_totals_[k] += std::exchange(delta_totals_[k], 0);
    }
    first_push_ = false;
  }

  Sampler sampler_;
  uint32_t k_;
  bool first_push_ = true;
  std::vector<int32_t> rows_, delta_rows_, pushed_rows_;
  std::vector<int64_t> totals_, delta_totals_, pushed_totals_;
};

LdaParams ParamsFor(const Corpus& c, uint32_t topics) {
  LdaParams p;
  p.topics = topics;
  p.vocab_size = c.vocab_size();
  p.alpha = 0.1;
  p.beta = 0.01;
  return p;
}

SamplerOptions Options(SamplerKind kind, uint32_t threads, uint32_t mh_steps = 2) {
  SamplerOptions o;
  o.kind = kind;
  o.threads = threads;
  o.mh_steps = mh_steps;
  o.seed = 11;
  return o;
}

// The counts the assignment implies must be the counts swept and the sum of
// every delta pushed.
void ExpectCountsMatchAssignment(const Corpus& corpus, const WorkerLoop& run) {
  const Sampler& s = run.sampler();
  const uint32_t k = s.params().topics;
  std::vector<uint32_t> local(s.params().vocab_size, 0);
  for (size_t i = 0; i < s.words().size(); ++i) local[s.words()[i]] = static_cast<uint32_t>(i);
  std::vector<int32_t> rows(s.words().size() * k, 0);
  std::vector<int64_t> totals(k, 0);
  for (size_t i = 0; i < corpus.words.size(); ++i) {
    ++rows[size_t{local[corpus.words[i]]} * k + s.topics()[i]];
    ++totals[s.topics()[i]];
  }
  EXPECT_EQ(run.rows(), rows);
  EXPECT_EQ(run.totals(), totals);
  EXPECT_EQ(run.pushed_rows(), rows);
  EXPECT_EQ(run.pushed_totals(), totals);
  std::vector<int32_t> doc(k);
  for (size_t d = 0; d < corpus.num_docs(); ++d) {
    s.DocTopicCounts(d, doc);
    int64_t sum = 0;
    for (int32_t n : doc) sum += n;
    ASSERT_EQ(sum, static_cast<int64_t>(corpus.doc(d).size())) << "document " << d;
  }
}

class SamplerInvariants
    : public ::testing::TestWithParam<std::tuple<SamplerKind, uint32_t /*threads*/>> {};

TEST_P(SamplerInvariants, CountsMatchTheAssignmentAndTheSumOfDeltasAfterEverySweep) {
  const auto [kind, threads] = GetParam();
  const Corpus corpus = testing::PlantedCorpus({.topics = 10, .vocab = 500, .docs = 300});
  WorkerLoop run(corpus, ParamsFor(corpus, 10), Options(kind, threads));
  ExpectCountsMatchAssignment(corpus, run);
  for (int sweep = 0; sweep < 5; ++sweep) {
    const SweepStats stats = run.Sweep();
    EXPECT_EQ(stats.tokens, corpus.num_tokens());
    EXPECT_GT(stats.changed, 0u);
    ExpectCountsMatchAssignment(corpus, run);
  }
}

INSTANTIATE_TEST_SUITE_P(
    KindsAndThreads, SamplerInvariants,
    ::testing::Combine(::testing::Values(SamplerKind::kExact, SamplerKind::kAliasMh),
                       ::testing::Values(1u, 2u)),
    [](const auto& info) {
      return std::string(std::get<0>(info.param) == SamplerKind::kExact ? "Exact" : "AliasMh") +
             "Threads" + std::to_string(std::get<1>(info.param));
    });

// The log-likelihood after each of `sweeps` sweeps.
std::vector<double> Trajectory(const Corpus& corpus, const LdaParams& params,
                               const SamplerOptions& options, int sweeps) {
  WorkerLoop run(corpus, params, options);
  std::vector<double> ll;
  for (int i = 0; i < sweeps; ++i) {
    run.Sweep();
    ll.push_back(run.LogLikelihood());
  }
  return ll;
}

// The mean log-likelihood trajectory over seeds 1..`seeds`.
std::vector<double> MeanTrajectory(const Corpus& corpus, const LdaParams& params,
                                   SamplerOptions options, int sweeps, int seeds) {
  std::vector<double> mean(sweeps, 0);
  for (int seed = 1; seed <= seeds; ++seed) {
    options.seed = seed;
    const std::vector<double> t = Trajectory(corpus, params, options, sweeps);
    for (int i = 0; i < sweeps; ++i) mean[i] += t[i] / seeds;
  }
  return mean;
}

// Planted corpus: 20 topics, 2000 words, 2000 documents of ~100 tokens. One
// run lands in a local mode now and then, which moves its log-likelihood by
// ~1% for tens of sweeps, and the exact sampler's own trajectories from two
// seed sets differ by up to ~2% in the steep first ~8 sweeps (the
// experiment behind docs/APP_LDA_SAMPLER.md's mh_steps table, commit
// afdded8). So: means over 3 seeds, within 1% of exact's from sweep 10 on
// and within 2.5% before (+1% with 2 threads).
TEST(Sampler, AliasMhLogLikelihoodTracksExactWithinOnePercentPerIteration) {
  const Corpus corpus = testing::PlantedCorpus({});
  const LdaParams params = ParamsFor(corpus, 20);
  constexpr int kSweeps = 40;
  constexpr int kSteepSweeps = 10;
  constexpr int kSeeds = 3;
  const std::vector<double> exact =
      MeanTrajectory(corpus, params, Options(SamplerKind::kExact, 1), kSweeps, kSeeds);
  const uint32_t steps = SamplerOptions{}.mh_steps;
  for (uint32_t threads : {1u, 2u}) {
    const std::vector<double> mh =
        MeanTrajectory(corpus, params, Options(SamplerKind::kAliasMh, threads, steps), kSweeps,
                       kSeeds);
    std::printf("alias-mh mh_steps=%u threads=%u, 100 (LL/LL_exact - 1) per sweep:", steps,
                threads);
    for (int i = 0; i < kSweeps; ++i) {
      const double gap = std::abs(mh[i] / exact[i] - 1);
      std::printf(" %.2f", 100 * (mh[i] / exact[i] - 1));
      // 2 threads: not deterministic (thread interleaving) and AD-LDA-stale
      // inside a sweep, so a looser bound keeps the test from flaking.
      const double bound = (i < kSteepSweeps ? 0.025 : 0.01) + (threads > 1 ? 0.01 : 0);
      EXPECT_LT(gap, bound) << "sweep " << i + 1 << " threads " << threads;
    }
    std::printf("\n");
  }
}

// The tiny model of the distribution test: one document of 3 tokens (words
// 0, 1, 2), K = 3, V = 5, with fixed counts from other documents.
constexpr uint32_t kTinyK = 3;
const int32_t kOtherRows[3][3] = {{5, 1, 0}, {0, 4, 2}, {1, 1, 6}};
const int64_t kOtherTotals[3] = {6 + 3, 6 + 2, 8 + 1};  // rows' sums + words 3, 4

LdaParams TinyParams() {
  LdaParams p;
  p.topics = kTinyK;
  p.vocab_size = 5;
  p.alpha = 0.5;
  p.beta = 0.1;
  return p;
}

// p(z1, z2, z3 | w, other counts) by enumeration, state = z1 + 3 z2 + 9 z3.
std::vector<double> TinyExactJoint() {
  const LdaParams p = TinyParams();
  std::vector<double> logp(27);
  for (int state = 0; state < 27; ++state) {
    const int z[3] = {state % 3, state / 3 % 3, state / 9};
    double lp = 0;
    for (uint32_t k = 0; k < kTinyK; ++k) {
      int nd = 0;
      for (int w = 0; w < 3; ++w) {
        const int n = z[w] == static_cast<int>(k);
        nd += n;
        lp += std::lgamma(kOtherRows[w][k] + n + p.beta);
      }
      // n_k gains the document's nd tokens of topic k.
      lp += std::lgamma(nd + p.alpha) - std::lgamma(kOtherTotals[k] + nd + p.vocab_size * p.beta);
    }
    logp[state] = lp;
  }
  const double top = *std::max_element(logp.begin(), logp.end());
  double sum = 0;
  for (double& l : logp) sum += (l = std::exp(l - top));
  for (double& l : logp) l /= sum;
  return logp;
}

// The empirical distribution of the document's state over `sweeps` sweeps.
std::vector<double> TinySampled(const SamplerOptions& options, int sweeps) {
  Corpus corpus;
  corpus.vocab.resize(5);
  corpus.AddDoc(std::vector<uint32_t>{0, 1, 2});
  Sampler s = *Sampler::Create(corpus, TinyParams(), options);
  std::vector<int32_t> rows(9), delta_rows(9);
  std::vector<int64_t> totals(3), delta_totals(3);
  s.Initialize(CountsView{rows, totals});
  for (int w = 0; w < 3; ++w) {
    for (uint32_t k = 0; k < kTinyK; ++k) rows[w * 3 + k] += kOtherRows[w][k];
  }
  for (uint32_t k = 0; k < kTinyK; ++k) totals[k] += kOtherTotals[k];
  std::vector<double> freq(27, 0);
  for (int i = 0; i < sweeps; ++i) {
    s.Sweep(CountsView{rows, totals}, CountsView{delta_rows, delta_totals});
    const auto z = s.topics();
    freq[z[0] + 3 * z[1] + 9 * z[2]] += 1.0 / sweeps;
  }
  return freq;
}

TEST(Sampler, StationaryDistributionOfATinyModelIsTheExactPosterior) {
  const std::vector<double> exact = TinyExactJoint();
  // 2e5 sweeps: a cell's standard error is below 1.2e-3 for independent
  // draws; 0.008 leaves room for the chain's autocorrelation.
  constexpr int kSweeps = 200'000;
  constexpr double kMaxError = 0.008;
  for (const SamplerOptions& o :
       {Options(SamplerKind::kExact, 1), Options(SamplerKind::kAliasMh, 1, 1),
        Options(SamplerKind::kAliasMh, 1, 2)}) {
    const std::vector<double> sampled = TinySampled(o, kSweeps);
    double worst = 0;
    for (int state = 0; state < 27; ++state) {
      worst = std::max(worst, std::abs(sampled[state] - exact[state]));
    }
    std::printf("%s mh_steps=%u: max |p_sampled - p_exact| over 27 states = %.4f\n",
                SamplerKindName(o.kind).data(), o.mh_steps, worst);
    EXPECT_LT(worst, kMaxError) << SamplerKindName(o.kind) << " mh_steps " << o.mh_steps;
  }
}

TEST(Sampler, SameSeedSameTopicsWithOneThread) {
  const Corpus corpus = testing::PlantedCorpus({.topics = 5, .vocab = 100, .docs = 50});
  WorkerLoop a(corpus, ParamsFor(corpus, 5), Options(SamplerKind::kAliasMh, 1));
  WorkerLoop b(corpus, ParamsFor(corpus, 5), Options(SamplerKind::kAliasMh, 1));
  for (int i = 0; i < 3; ++i) {
    a.Sweep();
    b.Sweep();
  }
  EXPECT_TRUE(std::ranges::equal(a.sampler().topics(), b.sampler().topics()));
}

TEST(Sampler, WordsAreTheDistinctWordIdsAscending) {
  Corpus corpus;
  corpus.vocab.resize(10);
  corpus.AddDoc(std::vector<uint32_t>{7, 2, 7});
  corpus.AddDoc(std::vector<uint32_t>{});
  corpus.AddDoc(std::vector<uint32_t>{4});
  LdaParams p = ParamsFor(corpus, 4);
  Sampler s = *Sampler::Create(corpus, p, SamplerOptions{});
  EXPECT_THAT(s.words(), ::testing::ElementsAre(2, 4, 7));
  EXPECT_EQ(s.num_tokens(), 4u);
  EXPECT_EQ(s.num_docs(), 3u);
}

TEST(Sampler, RejectsAWordOutsideTheVocabularyNamingDocumentAndWord) {
  Corpus corpus;
  corpus.vocab.resize(10);
  corpus.AddDoc(std::vector<uint32_t>{1, 2});
  corpus.AddDoc(std::vector<uint32_t>{3, 12});
  const absl::StatusOr<Sampler> s = Sampler::Create(corpus, ParamsFor(corpus, 4), {});
  ASSERT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), HasSubstr("document 1"));
  EXPECT_THAT(s.status().message(), HasSubstr("word id 12"));
}

TEST(Sampler, RejectsFewerThanTwoTopicsAndBadPriors) {
  Corpus corpus;
  corpus.vocab.resize(3);
  corpus.AddDoc(std::vector<uint32_t>{1, 2});
  LdaParams p = ParamsFor(corpus, 1);
  EXPECT_EQ(Sampler::Create(corpus, p, {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Sampler::Create(corpus, p, {}).status().message(), HasSubstr("topics"));
  p.topics = 2;
  p.alpha = 0;
  EXPECT_EQ(Sampler::Create(corpus, p, {}).status().code(), absl::StatusCode::kInvalidArgument);
  p.alpha = 0.1;
  SamplerOptions o;
  o.mh_steps = 0;
  EXPECT_EQ(Sampler::Create(corpus, p, o).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Sampler, DocLogLikelihoodSumsTheModelsDocumentTerms) {
  const Corpus corpus = testing::PlantedCorpus({.topics = 5, .vocab = 100, .docs = 20});
  const LdaParams p = ParamsFor(corpus, 5);
  WorkerLoop run(corpus, p, Options(SamplerKind::kExact, 1));
  std::vector<int32_t> counts(5);
  double want = 0;
  for (size_t d = 0; d < corpus.num_docs(); ++d) {
    run.sampler().DocTopicCounts(d, counts);
    want += DocLogLikelihood(counts, static_cast<uint32_t>(corpus.doc(d).size()), p);
  }
  EXPECT_NEAR(run.sampler().DocLogLikelihood(), want, 1e-6 * std::abs(want));
}

}  // namespace
}  // namespace gaia::lda
