// The UCI bag-of-words format (NYTimes, PubMed, Enron, KOS, NIPS):
//
//   docword.NAME.txt          vocab.NAME.txt (beside it)
//     3          D              apple        word 1
//     4          W              pear         word 2
//     5          NNZ            plum ...     (W lines)
//     1 2 3      docID wordID count, 1-based, NNZ lines
//     ...
//
//   UciOptions o;  o.split.dc = 1;  o.split.dcs = 2;  o.part = 0;  o.parts = 4;
//   absl::StatusOr<LoadedCorpus> c = LoadUci("/data/docword.nytimes.txt", o);
//
// Contract:
// - Errors name file:line: a header line that is not one non-negative
//   integer, D or W of 0, an entry without exactly 3 integer fields, a docID
//   outside [1, D] or smaller than the one before (entries are sorted by
//   document, as in every UCI file), a wordID outside [1, W], a count < 1 or
//   above max_count, more or fewer entries than NNZ (a truncated file), a
//   vocabulary file whose line count is not W or with an empty line.
// - A document with no entries (or, after pruning, no tokens) is skipped and
//   counted in LoadStats, never returned.
// - The vocabulary is the words that occur (and survive options.vocab),
//   ordered by count descending then word (vocab_builder.h); every worker
//   gets the same ids. The defaults prune nothing.
// - Streams docword twice (counts, then this worker's documents) through a
//   fixed buffer: memory is O(W + this worker's tokens), not the file size.
#ifndef GAIA_APPS_LDA_UCI_LOADER_H_
#define GAIA_APPS_LDA_UCI_LOADER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "apps/lda/load_stats.h"
#include "apps/lda/spec_options.h"

namespace gaia::lda {

struct UciOptions {
  VocabOptions vocab{.min_count = 1, .max_df = 1, .max_vocab = 0};
  SplitOptions split;
  uint32_t part = 0;   // this worker's part of the DC's documents
  uint32_t parts = 1;
  uint32_t max_count = 1000000;  // larger counts are taken for corruption
};

// vocab.NAME.txt beside docword.NAME.txt; an error for another file name.
absl::StatusOr<std::string> UciVocabPath(const std::string& docword_path);

absl::StatusOr<LoadedCorpus> LoadUci(const std::string& docword_path, const UciOptions& options);

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_UCI_LOADER_H_
