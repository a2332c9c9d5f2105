// Which documents of a corpus one worker gets: the train/test split, the
// DC's share and the worker's part, as data_source.h specifies.
//
//   DocSelector select(split_options, source_docs, part, parts);
//   for (each document i, in corpus order, that has tokens)
//     if (select.Keep(i)) corpus.AddDoc(tokens of i);
//
// Contract (every worker of every DC computes the same answers):
// - Held out: document i is a test document iff Uniform(seed, i) < test,
//   from a stream seeded by (seed, i) only, so the selection is the same in
//   every DC and worker, and train and test are disjoint and cover the corpus.
// - DC: kHash puts i in DC Below(dcs) of another (seed, i) stream;
//   kContiguous puts i in DC floor(i * dcs / source_docs), the corpus's order
//   cut into dcs equal ranges. Both the train and test documents are shared
//   out this way.
// - Part: the DC's documents of the chosen split, in corpus order and
//   counting only the documents passed to Keep() (never empty ones), are
//   numbered j = 0, 1, ...; worker part p of P keeps those with j % P == p.
// `i` is the document's index in the source (UCI docID - 1, file or line
// number), not counting dropped documents, so a document's split and DC do
// not change with the vocabulary options.
//
// Not thread-safe (Keep() counts).
#ifndef GAIA_APPS_LDA_DOC_SPLIT_H_
#define GAIA_APPS_LDA_DOC_SPLIT_H_

#include <cstdint>

#include "apps/lda/spec_options.h"

namespace gaia::lda {

class DocSelector {
 public:
  // source_docs: documents in the source (for kContiguous). REQUIRES:
  // part < parts, options.dc < options.dcs.
  DocSelector(const SplitOptions& options, uint64_t source_docs, uint32_t part, uint32_t parts);

  bool IsTest(uint64_t doc) const;
  uint32_t DcOf(uint64_t doc) const;
  // Whether this worker keeps document `doc` (of the source's documents
  // with tokens, passed in increasing order).
  bool Keep(uint64_t doc);

 private:
  SplitOptions options_;
  uint64_t source_docs_;
  uint32_t part_;
  uint32_t parts_;
  uint64_t next_local_ = 0;  // j of the next document of this DC's split
};

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_DOC_SPLIT_H_
