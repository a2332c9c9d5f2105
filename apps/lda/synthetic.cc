#include "apps/lda/synthetic.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "apps/lda/data_random.h"
#include "apps/lda/doc_split.h"

namespace gaia::lda {
namespace {

// Salts keep the topic and document streams apart.
constexpr uint64_t kTopicSalt = 0x746F706963;  // "topic"
constexpr uint64_t kDocSalt = 0x646F63;        // "doc"
constexpr uint64_t kMaxCells = uint64_t{1} << 31;  // topics x vocab

// Normalizes log weights into probabilities (max-shifted: no underflow of
// the largest; -inf entries get 0).
void NormalizeLog(std::vector<double>* v) {
  const double top = *std::max_element(v->begin(), v->end());
  double sum = 0;
  for (double& x : *v) sum += (x = std::exp(x - top));
  for (double& x : *v) x /= sum;
}

// Vose's alias method over `prob` (sums to 1), into keep/alias.
void BuildAlias(const double* prob, uint32_t n, uint32_t* keep, uint32_t* alias) {
  std::vector<double> scaled(n);
  std::vector<uint32_t> small, large;
  for (uint32_t i = 0; i < n; ++i) {
    scaled[i] = prob[i] * n;
    (scaled[i] < 1 ? small : large).push_back(i);
  }
  auto to_u32 = [](double p) {
    return static_cast<uint32_t>(std::min(p * 4294967296.0, 4294967295.0));
  };
  while (!small.empty() && !large.empty()) {
    const uint32_t s = small.back(), l = large.back();
    small.pop_back();
    keep[s] = to_u32(scaled[s]);
    alias[s] = l;
    scaled[l] -= 1 - scaled[s];
    if (scaled[l] < 1) {
      large.pop_back();
      small.push_back(l);
    }
  }
  for (uint32_t i : large) keep[i] = 0xFFFFFFFFu, alias[i] = i;
  for (uint32_t i : small) keep[i] = 0xFFFFFFFFu, alias[i] = i;  // rounding leftovers
}

absl::Status Validate(const SyntheticOptions& o) {
  auto fail = [](absl::string_view key, absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("synthetic spec: ", key, ": ", why));
  };
  if (uint64_t{o.topics} * o.vocab > kMaxCells) {
    return fail("topics", absl::StrCat("topics x vocab must be at most 2^31, is ",
                                       uint64_t{o.topics} * o.vocab));
  }
  if (o.skew > 0 && o.split.dcs > o.topics) {
    return fail("skew", absl::StrCat("needs at least one topic per DC (topics=", o.topics,
                                     " < dcs=", o.split.dcs, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SyntheticOptions> ParseSyntheticSpec(absl::string_view spec) {
  absl::StatusOr<SpecOptions> parsed = SpecOptions::Parse(spec);
  if (!parsed.ok()) return parsed.status();
  SpecOptions& s = *parsed;
  if (s.source() != "synthetic") {
    return absl::InvalidArgumentError(absl::StrCat("'", spec, "' is not a synthetic spec"));
  }
  SyntheticOptions o;
  constexpr uint64_t kU32 = std::numeric_limits<uint32_t>::max();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  absl::StatusOr<uint64_t> docs = s.GetUint("docs", o.docs, 1, kU32);
  absl::StatusOr<uint64_t> vocab = s.GetUint("vocab", o.vocab, 2, kU32 - 1);
  absl::StatusOr<uint64_t> topics = s.GetUint("topics", o.topics, 1, 1u << 20);
  absl::StatusOr<double> length = s.GetDouble("doc_length", o.doc_length, 1, 1e6);
  absl::StatusOr<double> sigma = s.GetDouble("length_sigma", o.length_sigma, 0, 3);
  absl::StatusOr<double> zipf = s.GetDouble("zipf", o.zipf, 0, 3);
  absl::StatusOr<double> alpha = s.GetDouble("alpha", o.alpha, 1e-6, kInf);
  absl::StatusOr<double> eta = s.GetDouble("eta", o.eta, 1e-6, kInf);
  absl::StatusOr<double> skew = s.GetDouble("skew", o.skew, 0, 1);
  for (const absl::Status& st : {docs.status(), vocab.status(), topics.status(),
                                 length.status(), sigma.status(), zipf.status(),
                                 alpha.status(), eta.status(), skew.status()}) {
    if (!st.ok()) return st;
  }
  absl::StatusOr<SplitOptions> split = ParseSplitOptions(s);
  if (!split.ok()) return split.status();
  if (absl::Status st = s.CheckAllUsed(); !st.ok()) return st;
  o.docs = static_cast<uint32_t>(*docs);
  o.vocab = static_cast<uint32_t>(*vocab);
  o.topics = static_cast<uint32_t>(*topics);
  o.doc_length = *length;
  o.length_sigma = *sigma;
  o.zipf = *zipf;
  o.alpha = *alpha;
  o.eta = *eta;
  o.skew = *skew;
  o.split = *split;
  return o;
}

absl::StatusOr<SyntheticCorpus> SyntheticCorpus::Create(const SyntheticOptions& options) {
  if (absl::Status s = Validate(options); !s.ok()) return s;
  SyntheticCorpus corpus(options);
  corpus.DrawTopics();
  const uint32_t distinct_dcs = options.skew > 0 ? options.split.dcs : 1;
  for (uint32_t dc = 0; dc < distinct_dcs; ++dc) corpus.dc_alpha_.push_back(corpus.DocAlpha(dc));
  return corpus;
}

void SyntheticCorpus::DrawTopics() {
  const uint32_t k_topics = options_.topics, v = options_.vocab;
  std::vector<double> base(v);
  double h = 0;
  for (uint32_t w = 0; w < v; ++w) h += (base[w] = std::pow(w + 1.0, -options_.zipf));
  const uint64_t cells = uint64_t{k_topics} * v;
  word_prob_.resize(cells);
  alias_.resize(cells);
  keep_.resize(cells);
  std::vector<double> row(v);
  for (uint32_t k = 0; k < k_topics; ++k) {
    DataRandom r(options_.split.seed, kTopicSalt, k);
    for (uint32_t w = 0; w < v; ++w) row[w] = r.LogGamma(options_.eta * v * base[w] / h);
    NormalizeLog(&row);
    std::copy(row.begin(), row.end(), word_prob_.begin() + uint64_t{k} * v);
    BuildAlias(row.data(), v, &keep_[uint64_t{k} * v], &alias_[uint64_t{k} * v]);
  }
}

std::vector<double> SyntheticCorpus::DocAlpha(uint32_t dc) const {
  const uint32_t k_topics = options_.topics, dcs = options_.split.dcs;
  const double s = options_.skew;
  const uint32_t begin = static_cast<uint32_t>(uint64_t{dc} * k_topics / dcs);
  const uint32_t end = static_cast<uint32_t>(uint64_t{dc + 1} * k_topics / dcs);
  std::vector<double> a(k_topics);
  for (uint32_t k = 0; k < k_topics; ++k) {
    double mean = (1 - s) / k_topics;
    if (s > 0 && k >= begin && k < end) mean += s / (end - begin);
    a[k] = options_.alpha * k_topics * mean;
  }
  return a;
}

PlantedTopics SyntheticCorpus::topics() const {
  return PlantedTopics{options_.topics, options_.vocab, word_prob_};
}

uint64_t SyntheticCorpus::DrawLength(DataRandom* r) const {
  const SyntheticOptions& o = options_;
  const double mu = std::log(o.doc_length) - 0.5 * o.length_sigma * o.length_sigma;
  const double drawn = std::round(std::exp(mu + o.length_sigma * r->Normal()));
  return static_cast<uint64_t>(std::clamp(drawn, 1.0, 64.0 * o.doc_length + 1.0));
}

void SyntheticCorpus::AppendDocument(uint64_t d, std::vector<uint32_t>* out) const {
  const SyntheticOptions& o = options_;
  DataRandom r(o.split.seed, kDocSalt, d);
  const uint64_t length = DrawLength(&r);
  const uint32_t home = o.skew > 0 ? DocSelector(o.split, o.docs, 0, 1).DcOf(d) : 0;
  const std::vector<double>& alpha = dc_alpha_[home];
  std::vector<double> cdf(o.topics);
  for (uint32_t k = 0; k < o.topics; ++k) {
    cdf[k] = alpha[k] > 0 ? r.LogGamma(alpha[k]) : -std::numeric_limits<double>::infinity();
  }
  NormalizeLog(&cdf);
  for (uint32_t k = 1; k < o.topics; ++k) cdf[k] += cdf[k - 1];
  std::vector<uint32_t> per_topic(o.topics, 0);
  for (uint64_t i = 0; i < length; ++i) {
    const size_t k = std::upper_bound(cdf.begin(), cdf.end(), r.Uniform() * cdf.back()) -
                     cdf.begin();
    ++per_topic[std::min<size_t>(k, o.topics - 1)];
  }
  for (uint32_t k = 0; k < o.topics; ++k) {
    const uint64_t row = uint64_t{k} * o.vocab;
    for (uint32_t n = 0; n < per_topic[k]; ++n) {
      const uint64_t u = r.NextU64();
      const uint32_t col = static_cast<uint32_t>(((u >> 32) * o.vocab) >> 32);
      const bool stay = static_cast<uint32_t>(u) < keep_[row + col];
      out->push_back(stay ? col : alias_[row + col]);
    }
  }
}

LoadedCorpus SyntheticCorpus::Generate(uint32_t part, uint32_t parts) const {
  LoadedCorpus out;
  out.corpus.vocab.reserve(options_.vocab);
  for (uint32_t w = 0; w < options_.vocab; ++w) out.corpus.vocab.push_back(absl::StrCat("w", w));
  out.stats.source_docs = options_.docs;
  out.stats.source_words = options_.vocab;
  DocSelector selector(options_.split, options_.docs, part, parts);
  std::vector<uint32_t> tokens;
  for (uint64_t d = 0; d < options_.docs; ++d) {
    ++out.stats.corpus_docs;
    DataRandom length_stream(options_.split.seed, kDocSalt, d);
    out.stats.corpus_tokens += DrawLength(&length_stream);
    if (selector.IsTest(d)) ++out.stats.test_docs;
    if (!selector.Keep(d)) continue;
    tokens.clear();
    AppendDocument(d, &tokens);
    out.corpus.AddDoc(tokens);
  }
  return out;
}

absl::StatusOr<PlantedTopics> LoadPlantedTopics(const std::string& spec) {
  absl::StatusOr<SyntheticOptions> options = ParseSyntheticSpec(spec);
  if (!options.ok()) return options.status();
  absl::StatusOr<SyntheticCorpus> corpus = SyntheticCorpus::Create(*options);
  if (!corpus.ok()) return corpus.status();
  return corpus->topics();
}

}  // namespace gaia::lda
