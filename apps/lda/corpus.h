// A bag-of-words corpus: each document is the list of its tokens' word ids
// (a word that occurs n times in a document appears n times; order is not
// meaningful). Word ids index `vocab` and the word-topic table's rows, so
// every worker of a job must load the same vocabulary (data_source.h builds
// it from the whole corpus before any split).
//
//   Corpus c;
//   c.vocab = {"apple", "pear"};
//   c.AddDoc(std::vector<uint32_t>{0, 1, 1});
//   for (size_t d = 0; d < c.num_docs(); ++d) for (uint32_t w : c.doc(d)) ...
#ifndef GAIA_APPS_LDA_CORPUS_H_
#define GAIA_APPS_LDA_CORPUS_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace gaia::lda {

struct Corpus {
  std::vector<std::string> vocab;      // word id -> word
  std::vector<uint64_t> offsets{0};    // doc d is words[offsets[d], offsets[d + 1])
  std::vector<uint32_t> words;         // every token's word id, doc after doc

  size_t num_docs() const { return offsets.size() - 1; }
  uint64_t num_tokens() const { return words.size(); }
  uint32_t vocab_size() const { return static_cast<uint32_t>(vocab.size()); }
  std::span<const uint32_t> doc(size_t d) const {
    return std::span<const uint32_t>(words).subspan(offsets[d], offsets[d + 1] - offsets[d]);
  }
  // Appends a document. REQUIRES: every id < vocab_size().
  void AddDoc(std::span<const uint32_t> doc_words) {
    words.insert(words.end(), doc_words.begin(), doc_words.end());
    offsets.push_back(words.size());
  }
};

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_CORPUS_H_
