// What a load did besides returning documents: how many documents the
// source had, how many were skipped as empty or dropped by pruning, and the
// whole corpus's size, for the programs to log; and the sink every loader
// feeds its documents through (the split of doc_split.h and these counts).
//
//   absl::StatusOr<LoadedCorpus> got = LoadCorpusWithStats("uci:docword.kos.txt", 0, 1);
//   LOG << FormatLoadStats(got->stats);
//   // "3430 documents (0 empty, 0 emptied by pruning), corpus 467714 tokens, ..."
#ifndef GAIA_APPS_LDA_LOAD_STATS_H_
#define GAIA_APPS_LDA_LOAD_STATS_H_

#include <cstdint>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "apps/lda/corpus.h"
#include "apps/lda/doc_split.h"

namespace gaia::lda {

struct LoadStats {
  uint64_t source_docs = 0;    // documents in the source (UCI D, files, lines)
  uint64_t empty_docs = 0;     // with no tokens in the source (after stop words): skipped
  uint64_t pruned_docs = 0;    // whose every token was pruned from the vocabulary: dropped
  uint64_t corpus_docs = 0;    // the rest, over every DC and both splits
  uint64_t corpus_tokens = 0;  // their tokens
  uint64_t test_docs = 0;      // of corpus_docs, held out (test=)
  uint64_t source_words = 0;   // distinct words before pruning
};

// One line for a log.
std::string FormatLoadStats(const LoadStats& stats);

struct LoadedCorpus {
  Corpus corpus;
  LoadStats stats;
};

// LoadCorpus (data_source.h) with the counts. Same errors.
absl::StatusOr<LoadedCorpus> LoadCorpusWithStats(const std::string& spec, uint32_t part,
                                                 uint32_t parts);

// Takes a loader's documents, in source order, into this worker's corpus.
class CorpusSink {
 public:
  // `out->corpus.vocab` must be final before the first Add(). `out` must
  // outlive the sink.
  CorpusSink(const DocSelector& selector, LoadedCorpus* out) : selector_(selector), out_(out) {}

  // A source document that had tokens: `words` are its tokens' final ids
  // (empty when pruning removed them all; then it is counted and dropped).
  void Add(uint64_t doc, std::span<const uint32_t> words);
  // A source document without tokens.
  void AddEmpty() { ++out_->stats.empty_docs; }

 private:
  DocSelector selector_;
  LoadedCorpus* out_;
};

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_LOAD_STATS_H_
