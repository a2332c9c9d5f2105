// A seeded synthetic corpus with planted topics, shaped like a scaled
// NYTimes (Zipf word frequencies, log-normal document lengths, sparse
// topics), optionally topic-skewed per DC.
//
//   absl::StatusOr<SyntheticOptions> o =
//       ParseSyntheticSpec("synthetic:docs=20000,vocab=10000,topics=50,dc=0,dcs=2,skew=0.8");
//   absl::StatusOr<SyntheticCorpus> g = SyntheticCorpus::Create(*o);
//   LoadedCorpus mine = g->Generate(/*part=*/1, /*parts=*/4);
//   absl::StatusOr<PlantedTopics> truth = LoadPlantedTopics("synthetic:docs=20000,...");
//
// Model (V words, K topics):
// - Base measure b_w = (w + 1)^-zipf / H, word id w = frequency rank.
// - Topic k: phi_k ~ Dirichlet(eta * V * b), drawn as normalized Gamma
//   variates from a stream seeded by (seed, k). Frequent words (large
//   shape) get about their base share in every topic, like function words;
//   rare words (shape << 1) land in few topics, which makes the topics
//   distinct. E[phi_k] = b, so the corpus's word frequencies are Zipf-like
//   with exponent `zipf`.
// - Document d: everything comes from a stream seeded by (seed, d). Its
//   length is max(1, round(LogNormal)) with mean doc_length and log-space
//   spread length_sigma; its topic mix theta_d ~ Dirichlet(alpha * K * m)
//   with m the mean mix (uniform 1/K when skew = 0); each token draws a
//   topic from theta_d and a word from that topic (alias tables).
// - Skew s (DC topic skew): topics are cut into dcs equal blocks; DC h owns
//   block h. A document of DC h has mean mix m = (1 - s)/K + s/|block h| on
//   its block's topics and (1 - s)/K elsewhere, so its expected topic mass
//   on its own block is s + (1 - s)|block|/K: 1/dcs (IID) at s = 0, all of
//   it at s = 1.
// - Split: as every source (doc_split.h), document ids [0, docs) in order;
//   dcsplit=hash by default. A document's topic mix depends on its home DC,
//   not on who loads it, so a worker's part equals filtering the whole.
// - Vocabulary strings "w0".."w{V-1}" (word id = base frequency rank).
//
// Memory: K x V doubles of topics plus K x V x 8 bytes of alias tables
// (50 x 10000: 8 MB). Thread-safe after Create() (const methods only).
#ifndef GAIA_APPS_LDA_SYNTHETIC_H_
#define GAIA_APPS_LDA_SYNTHETIC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "apps/lda/data_random.h"
#include "apps/lda/load_stats.h"
#include "apps/lda/spec_options.h"

namespace gaia::lda {

struct SyntheticOptions {
  uint32_t docs = 20000;      // documents over all DCs
  uint32_t vocab = 10000;     // V
  uint32_t topics = 50;       // planted K
  double doc_length = 300;    // mean tokens per document
  double length_sigma = 0.5;  // stddev of log(length)
  double zipf = 1.0;          // word frequency exponent
  double alpha = 0.1;         // document-topic Dirichlet parameter per topic
  double eta = 0.1;           // topic concentration: mean Gamma shape per word
  double skew = 0;            // DC topic skew in [0, 1] (see above)
  SplitOptions split;         // dc, dcs, test, split, seed, dcsplit
};

// The planted topic-word distributions.
struct PlantedTopics {
  uint32_t topics = 0;
  uint32_t vocab = 0;
  std::vector<double> word_prob;  // topics x vocab, row-major; rows sum to 1
};

// "synthetic" or "synthetic:k=v,..." with keys docs, vocab, topics,
// doc_length, length_sigma, zipf, alpha, eta, skew, and dc, dcs, test,
// split, seed, dcsplit. Unknown keys and out-of-range values are errors
// naming the key.
absl::StatusOr<SyntheticOptions> ParseSyntheticSpec(absl::string_view spec);

class SyntheticCorpus {
 public:
  // Validates and draws the topics: O(K V) time.
  static absl::StatusOr<SyntheticCorpus> Create(const SyntheticOptions& options);

  const SyntheticOptions& options() const { return options_; }
  PlantedTopics topics() const;

  // Document d's tokens (any d < docs), appended to `out`.
  void AppendDocument(uint64_t d, std::vector<uint32_t>* out) const;
  // The DC documents of this worker's part (doc_split.h), with the stats.
  LoadedCorpus Generate(uint32_t part = 0, uint32_t parts = 1) const;

 private:
  explicit SyntheticCorpus(const SyntheticOptions& options) : options_(options) {}
  void DrawTopics();
  // A document's length: the first draw of its stream.
  uint64_t DrawLength(DataRandom* r) const;
  // The Dirichlet parameters of a document of home DC `dc`.
  std::vector<double> DocAlpha(uint32_t dc) const;

  SyntheticOptions options_;
  std::vector<double> word_prob_;      // K x V
  std::vector<uint32_t> alias_;        // K x V: the alias of each cell
  std::vector<uint32_t> keep_;         // K x V: P(keep the cell) * 2^32
  std::vector<std::vector<double>> dc_alpha_;  // per DC: K Dirichlet parameters
};

absl::StatusOr<PlantedTopics> LoadPlantedTopics(const std::string& spec);

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_SYNTHETIC_H_
