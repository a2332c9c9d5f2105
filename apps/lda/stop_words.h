// Stop words: words the tokenizer drops before counting (text_corpus.h).
//
//   absl::StatusOr<StopWords> s = LoadStopWords("english");  // or "none", or a PATH
//   if (s->Contains("the")) ...
//
// "english" is a built-in list of about 400 common English function words
// (articles, pronouns, auxiliaries, prepositions, conjunctions, common
// adverbs, and the stems contractions leave after the tokenizer splits at
// apostrophes: "don", "isn", "ll", ...). A PATH is a file with one word per
// line; blank lines and lines starting with '#' are skipped; words are
// lowercased. Thread-safe after construction (const).
#ifndef GAIA_APPS_LDA_STOP_WORDS_H_
#define GAIA_APPS_LDA_STOP_WORDS_H_

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gaia::lda {

class StopWords {
 public:
  StopWords() = default;  // empty: "none"
  bool Contains(absl::string_view word) const { return words_.contains(word); }
  size_t size() const { return words_.size(); }
  void Add(absl::string_view word) { words_.insert(std::string(word)); }

 private:
  absl::flat_hash_set<std::string> words_;
};

// The built-in English list.
StopWords EnglishStopWords();

// "english", "none", or a file (errors name its path).
absl::StatusOr<StopWords> LoadStopWords(const std::string& spec);

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_STOP_WORDS_H_
