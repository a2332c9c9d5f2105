// Builds the vocabulary of a corpus from every word's counts, with the
// pruning options (spec_options.h VocabOptions), so that every worker gets
// the same word ids.
//
//   std::vector<WordStats> stats = ...;  // one per source word id
//   VocabMap map = BuildVocabulary(stats, docs_with_tokens, options);
//   uint32_t id = map.new_id[source_id];   // kDropped if pruned
//
// Kept: words with count >= min_count, count > 0, and in at most
// max_df * docs documents (max_df = 1 keeps all); then the max_vocab most
// frequent. Order (the new ids): count descending, then word, then source
// id (duplicate words in a source keep separate ids).
#ifndef GAIA_APPS_LDA_VOCAB_BUILDER_H_
#define GAIA_APPS_LDA_VOCAB_BUILDER_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "apps/lda/spec_options.h"

namespace gaia::lda {

struct WordStats {
  std::string word;
  uint64_t count = 0;  // occurrences in the corpus
  uint64_t docs = 0;   // documents it occurs in
};

inline constexpr uint32_t kDropped = std::numeric_limits<uint32_t>::max();

struct VocabMap {
  std::vector<std::string> vocab;  // new id -> word
  std::vector<uint32_t> new_id;    // source id -> new id or kDropped
};

// `docs`: documents with at least one token (the base of max_df).
VocabMap BuildVocabulary(const std::vector<WordStats>& stats, uint64_t docs,
                         const VocabOptions& options);

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_VOCAB_BUILDER_H_
