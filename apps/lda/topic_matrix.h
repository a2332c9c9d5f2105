// A trained LDA model as the evaluator sees it: K topics, each a probability
// distribution over the V words of a vocabulary (phi, K x V, row-major, every
// row sums to 1), whoever trained it: our sampler's word-topic counts, a
// saved Gaia model, or a peer (bench/lda_gensim.py) through the exchange
// format below.
//
//   absl::StatusOr<TopicWordMatrix> ours =
//       TopicsFromSavedModel("/runs/x/model/lan/global", /*beta=*/0.01, corpus.vocab);
//   absl::StatusOr<TopicWordMatrix> peer = ReadTopicMatrix("gensim.topics");
//   absl::Status s = WriteTopicMatrix(*ours, "gaia.topics");
//
// Exchange format (text, written by WriteTopicMatrix and by
// bench/lda_gensim.py):
//   PATH        line 1: "K V" (two positive integers, one space apart);
//               then K lines, line 1 + k holding the V probabilities of
//               topic k (word id order), separated by single spaces or tabs.
//               Every value finite and >= 0; every row sums to 1 within
//               1e-3 (rows are renormalized to sum exactly to 1 on read).
//               Blank lines after the last row are allowed; nothing else.
//   PATH.vocab  V lines: line 1 + w holds word w (no tabs or line breaks;
//               not empty). Optional on read: without it the words are
//               "#0", "#1", ...; a vocabulary is still checked against the
//               corpus by size.
//
// Saved Gaia model (docs/JOB_SPEC.md `save_final`): DIR/<table>.f32 holds
// rows x width little-endian float32 (row-major), DIR/<table>.json says
// {"table", "rows", "width", "fnv1a64"} (16 hex digits over the .f32 bytes).
// The LDA job's word-topic table holds n_wk: one row per word, one column
// per topic.
//
// Errors are INVALID_ARGUMENT naming the file and line (and the field), or
// NOT_FOUND for a missing file; a failed write leaves no file behind.
// A TopicWordMatrix is a plain value (thread-compatible).
#ifndef GAIA_APPS_LDA_TOPIC_MATRIX_H_
#define GAIA_APPS_LDA_TOPIC_MATRIX_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gaia::lda {

struct TopicWordMatrix {
  uint32_t topics = 0;              // K
  std::vector<std::string> vocab;   // V words; word id -> word
  std::vector<double> phi;          // K x V, row-major: phi[k * V + w] = p(w | k)

  uint32_t vocab_size() const { return static_cast<uint32_t>(vocab.size()); }
  std::span<const double> topic(uint32_t k) const {
    return std::span<const double>(phi).subspan(size_t{k} * vocab.size(), vocab.size());
  }
};

// phi_kw = (n_wk + beta) / (n_k + V beta), n_k = sum_w n_wk, from the counts
// as the word-topic table holds them: V rows (one per word) of K columns.
// INVALID_ARGUMENT when counts.size() != vocab.size() * topics, topics < 1,
// beta <= 0, or a count is negative, NaN or infinite (naming word and topic).
absl::StatusOr<TopicWordMatrix> TopicsFromWordTopicCounts(std::span<const float> counts,
                                                          uint32_t topics, double beta,
                                                          std::vector<std::string> vocab);
absl::StatusOr<TopicWordMatrix> TopicsFromWordTopicCounts(std::span<const int32_t> counts,
                                                          uint32_t topics, double beta,
                                                          std::vector<std::string> vocab);

// OK when m is well formed: topics >= 1, V >= 1, phi.size() == K x V, every
// value finite and >= 0, every row summing to 1 within 1e-3.
absl::Status ValidateTopicMatrix(const TopicWordMatrix& m);

// Writes PATH and PATH.vocab (exchange format above, 9 significant digits),
// each through a temporary file renamed into place. Validates m first: on
// error nothing is written.
absl::Status WriteTopicMatrix(const TopicWordMatrix& m, const std::string& path);

// Reads PATH (and PATH.vocab when present).
absl::StatusOr<TopicWordMatrix> ReadTopicMatrix(const std::string& path);

// One table of a saved Gaia model, checked against its .json (name, rows,
// width, size of the .f32, FNV-1a 64 checksum).
struct SavedTable {
  uint64_t rows = 0;
  uint32_t width = 0;
  std::vector<float> values;  // rows x width, row-major
};
absl::StatusOr<SavedTable> ReadSavedTable(const std::string& dir, const std::string& table);

// The topics of a saved LDA model: DIR/<table>.f32 read as word-topic counts
// (TopicsFromWordTopicCounts). vocab: the corpus vocabulary; its size must be
// the table's rows (else INVALID_ARGUMENT saying both).
absl::StatusOr<TopicWordMatrix> TopicsFromSavedModel(const std::string& dir, double beta,
                                                     std::vector<std::string> vocab,
                                                     const std::string& table = "word_topic");

// OK when a corpus whose vocabulary is `corpus_vocab` can be scored by a
// model with `model_vocab`: the same word at every id both have. A corpus
// may have more words (ids the model lacks are skipped as unknown) but not
// fewer. `what` names the corpus in the error, which names the first id whose
// words differ. Model words "#<id>" (no vocab file) match any word.
absl::Status CheckVocabulary(const std::vector<std::string>& model_vocab,
                             const std::vector<std::string>& corpus_vocab,
                             const std::string& what);

// FNV-1a 64 over the bytes (the checksum of saved tables).
uint64_t Fnv1a64(const void* data, size_t size);

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_TOPIC_MATRIX_H_
