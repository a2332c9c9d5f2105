#include "apps/lda/load_stats.h"

#include "absl/strings/str_cat.h"

namespace gaia::lda {

std::string FormatLoadStats(const LoadStats& s) {
  return absl::StrCat(s.source_docs, " source documents (", s.empty_docs, " empty, ",
                      s.pruned_docs, " emptied by vocabulary pruning: skipped), corpus ",
                      s.corpus_docs, " documents, ", s.corpus_tokens, " tokens, ", s.test_docs,
                      " held out; ", s.source_words, " distinct words before pruning");
}

void CorpusSink::Add(uint64_t doc, std::span<const uint32_t> words) {
  if (words.empty()) {
    ++out_->stats.pruned_docs;
    return;
  }
  ++out_->stats.corpus_docs;
  out_->stats.corpus_tokens += words.size();
  if (selector_.IsTest(doc)) ++out_->stats.test_docs;
  if (selector_.Keep(doc)) out_->corpus.AddDoc(words);
}

}  // namespace gaia::lda
