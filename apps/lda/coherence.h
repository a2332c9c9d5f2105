// Topic coherence as NPMI (normalized pointwise mutual information; Bouma
// 2009), the measure that agrees best with human judgement in Lau, Newman &
// Baldwin 2014 and Röder, Both & Hinneburg 2015 (their C_NPMI with boolean
// documents): for each topic, its top-N words w_1..w_N (highest phi, ties to
// the lower word id), and over a reference corpus of D documents
//
//   P(w)        = (documents holding w) / D
//   P(wi, wj)   = (documents holding both) / D
//   NPMI(wi,wj) = log(P(wi, wj) / (P(wi) P(wj))) / -log P(wi, wj)
//
// averaged over the N(N-1)/2 pairs of the topic; the model's coherence is the
// mean over topics. NPMI lies in [-1, 1]: 1 for words that always occur
// together, 0 for independent ones, -1 for words that never do.
// Conventions (stated because implementations differ): a pair that never
// co-occurs (including a word absent from the reference) scores -1, its
// limit; a pair present in every document scores 1. No epsilon is added
// (gensim's CoherenceModel adds 1e-12 inside the logs, which gives nearly
// the same values except for never co-occurring pairs).
//
//   absl::StatusOr<CoherenceResult> c = NpmiCoherence(phi, reference, {});
//   c->mean; c->per_topic[k]; c->top_words[k];
//
// Cost: one pass over the reference to build posting lists of the top words,
// then one sorted-list intersection per pair. Thread-compatible.
#ifndef GAIA_APPS_LDA_COHERENCE_H_
#define GAIA_APPS_LDA_COHERENCE_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "apps/lda/corpus.h"
#include "apps/lda/topic_matrix.h"

namespace gaia::lda {

struct CoherenceOptions {
  uint32_t top_n = 10;  // words per topic (>= 2); fewer when V < top_n
};

struct CoherenceResult {
  double mean = 0;                              // over topics
  std::vector<double> per_topic;                // K
  std::vector<std::vector<uint32_t>> top_words; // K lists, most probable first
  uint64_t reference_docs = 0;                  // D
};

// The top n word ids of each topic, most probable first (ties: lower id).
std::vector<std::vector<uint32_t>> TopWords(const TopicWordMatrix& phi, uint32_t n);

// NPMI(wi, wj) from document counts (conventions above). REQUIRES docs > 0.
double Npmi(uint64_t docs_i, uint64_t docs_j, uint64_t docs_both, uint64_t docs);

// INVALID_ARGUMENT when top_n < 2, phi is malformed, or the reference has no
// documents. Reference word ids >= phi's vocabulary are ignored.
absl::StatusOr<CoherenceResult> NpmiCoherence(const TopicWordMatrix& phi,
                                              const Corpus& reference,
                                              const CoherenceOptions& options);

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_COHERENCE_H_
