// Plain text to documents: the tokenizer, and a builder that counts words
// over the whole corpus, prunes the vocabulary and splits the documents.
//
//   TextOptions o;                         // min_len 3, English stop words,
//   TextCorpusBuilder b(o);                // min_count 5, max_df 0.5
//   b.AddDocument("The cat sat on the mat; the cat's hat.");
//   absl::StatusOr<LoadedCorpus> c = b.Finish(split, part, parts);
//
//   absl::StatusOr<LoadedCorpus> d = LoadTextPath("/data/docs", o, split, part, parts);
//
// Tokenizer: ASCII letters are word characters (lowercased); everything else
// (digits, punctuation, apostrophes, bytes >= 0x80) separates words, so
// "don't" gives "don" and "t" and "cat's" gives "cat" and "s" (the short
// pieces fall under min_len; the contraction stems are English stop words).
// Tokens shorter than min_len or longer than kMaxTokenLength letters (base64
// and other runs that are not words) and stop words are dropped.
//
// Vocabulary: counts over every document (every DC, both splits), then
// vocab_builder.h (count descending, then word). Documents with no token
// are skipped, and documents whose tokens were all pruned are dropped; both
// are counted in LoadStats.
//
// Sources (LoadTextPath): a directory holds one document per regular file,
// found recursively, in sorted order of the path relative to the directory;
// names starting with '.' (files or folders) are skipped. A file holds one
// document per line (an empty line is an empty document).
#ifndef GAIA_APPS_LDA_TEXT_CORPUS_H_
#define GAIA_APPS_LDA_TEXT_CORPUS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "apps/lda/load_stats.h"
#include "apps/lda/spec_options.h"
#include "apps/lda/stop_words.h"
#include "apps/lda/vocab_builder.h"

namespace gaia::lda {

inline constexpr size_t kMaxTokenLength = 32;

struct TextOptions {
  uint32_t min_len = 3;       // shortest token kept, in letters
  StopWords stop_words = EnglishStopWords();
  VocabOptions vocab;         // min_count 5, max_df 0.5, max_vocab unlimited
};

// Calls fn(token) for each token of `text` (lowercase, no stop words).
// `token` is valid during the call only.
template <typename Fn>
void Tokenize(absl::string_view text, const TextOptions& options, Fn fn);

class TextCorpusBuilder {
 public:
  explicit TextCorpusBuilder(TextOptions options) : options_(std::move(options)) {}

  // The next document, in corpus order.
  void AddDocument(absl::string_view text);
  uint64_t num_documents() const { return offsets_.size() - 1; }

  // This worker's documents; an error when no word survives pruning.
  // `name` (a path or corpus name) starts error messages.
  absl::StatusOr<LoadedCorpus> Finish(const std::string& name, const SplitOptions& split,
                                      uint32_t part, uint32_t parts) const;

 private:
  TextOptions options_;
  absl::flat_hash_map<std::string, uint32_t> ids_;  // word -> provisional id
  std::vector<WordStats> stats_;                    // by provisional id
  std::vector<uint64_t> last_doc_;                  // by provisional id, for stats_.docs
  std::vector<uint64_t> offsets_{0};                // documents, as in Corpus
  std::vector<uint32_t> words_;                     // provisional ids
};

// A directory or a one-document-per-line file (see above).
absl::StatusOr<LoadedCorpus> LoadTextPath(const std::string& path, const TextOptions& options,
                                          const SplitOptions& split, uint32_t part,
                                          uint32_t parts);

// The whole file (for documents that are files). Errors name the path.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

// ---------------------------------------------------------------------------

template <typename Fn>
void Tokenize(absl::string_view text, const TextOptions& options, Fn fn) {
  char token[kMaxTokenLength + 1];
  size_t len = 0;
  auto flush = [&] {
    if (len >= options.min_len && len <= kMaxTokenLength) {
      const absl::string_view t(token, len);
      if (!options.stop_words.Contains(t)) fn(t);
    }
    len = 0;
  };
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u >= 'a' && u <= 'z') {
      if (len <= kMaxTokenLength) token[len] = c;
      ++len;
    } else if (u >= 'A' && u <= 'Z') {
      if (len <= kMaxTokenLength) token[len] = static_cast<char>(u - 'A' + 'a');
      ++len;
    } else if (len > 0) {
      flush();
    }
  }
  if (len > 0) flush();
}

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_TEXT_CORPUS_H_
