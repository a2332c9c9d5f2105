#include "apps/lda/topic_matrix.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "apps/lda/atomic_file.h"

namespace gaia::lda {
namespace {

namespace fs = std::filesystem;

constexpr double kRowSumTolerance = 1e-3;

std::string PlaceholderWord(uint32_t w) { return absl::StrCat("#", w); }

bool IsPlaceholder(const std::string& word, uint32_t w) { return word == PlaceholderWord(w); }

template <typename Count>
absl::StatusOr<TopicWordMatrix> FromCounts(std::span<const Count> counts, uint32_t topics,
                                           double beta, std::vector<std::string> vocab) {
  const size_t v = vocab.size();
  if (topics < 1 || v < 1 || !(beta > 0) || !std::isfinite(beta)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "word-topic counts: need topics >= 1, a vocabulary and beta > 0 (topics ", topics,
        ", vocabulary ", v, ", beta ", beta, ")"));
  }
  if (counts.size() != v * topics) {
    return absl::InvalidArgumentError(absl::StrCat(
        "word-topic counts: ", counts.size(), " values, expected vocabulary ", v, " x topics ",
        topics, " = ", v * topics));
  }
  TopicWordMatrix m;
  m.topics = topics;
  m.phi.assign(v * topics, 0.0);
  std::vector<double> totals(topics, 0.0);
  for (size_t w = 0; w < v; ++w) {
    for (uint32_t k = 0; k < topics; ++k) {
      const double n = static_cast<double>(counts[w * topics + k]);
      if (!std::isfinite(n) || n < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "word-topic counts: word ", w, " topic ", k, " holds ", n,
            " (counts must be finite and >= 0)"));
      }
      m.phi[size_t{k} * v + w] = n;
      totals[k] += n;
    }
  }
  const double vb = static_cast<double>(v) * beta;
  for (uint32_t k = 0; k < topics; ++k) {
    const double denom = totals[k] + vb;
    for (size_t w = 0; w < v; ++w) {
      double& x = m.phi[size_t{k} * v + w];
      x = (x + beta) / denom;
    }
  }
  m.vocab = std::move(vocab);
  return m;
}

// Parses a line of numbers; errors name file:line and the field (1-based).
absl::Status ParseRow(absl::string_view line, const std::string& where, size_t expected,
                      double* out) {
  size_t field = 0;
  for (absl::string_view token : absl::StrSplit(line, absl::ByAnyChar(" \t\r"),
                                                absl::SkipEmpty())) {
    if (field == expected) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": more than ", expected, " values"));
    }
    double x = 0;
    const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), x);
    if (ec != std::errc() || end != token.data() + token.size() || !std::isfinite(x) ||
        x < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": field ", field + 1, " '", token,
          "' is not a finite probability >= 0"));
    }
    out[field++] = x;
  }
  if (field != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": ", field, " values, expected ", expected));
  }
  return absl::OkStatus();
}

absl::Status ParseHeader(absl::string_view line, const std::string& path, uint32_t* topics,
                         uint32_t* vocab) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
  uint64_t k = 0, v = 0;
  auto parse = [](absl::string_view s, uint64_t* x) {
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *x);
    return ec == std::errc() && end == s.data() + s.size() && *x >= 1 && *x <= UINT32_MAX;
  };
  if (parts.size() != 2 || !parse(parts[0], &k) || !parse(parts[1], &v)) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ":1: header '", line, "' is not \"topics vocab\" (two positive integers)"));
  }
  if (k * v > (uint64_t{1} << 33)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":1: ", k, " x ", v, " values is too large"));
  }
  *topics = static_cast<uint32_t>(k);
  *vocab = static_cast<uint32_t>(v);
  return absl::OkStatus();
}

absl::Status CheckRowSum(std::span<double> row, const std::string& where) {
  double sum = 0;
  for (double x : row) sum += x;
  if (!(std::abs(sum - 1.0) <= kRowSumTolerance)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": the row sums to ", sum, ", not 1"));
  }
  for (double& x : row) x /= sum;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ReadVocab(const std::string& path, uint32_t v) {
  std::ifstream in(path);
  std::vector<std::string> vocab;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string where = absl::StrCat(path, ":", vocab.size() + 1);
    if (vocab.size() == v) {
      if (line.empty()) continue;
      return absl::InvalidArgumentError(absl::StrCat(where, ": more than ", v, " words"));
    }
    if (line.empty() || line.find('\t') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": a word must be non-empty and hold no tab"));
    }
    vocab.push_back(line);
  }
  if (vocab.size() != v) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", vocab.size(),
                                                   " words, the topic file says ", v));
  }
  return vocab;
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

absl::StatusOr<TopicWordMatrix> TopicsFromWordTopicCounts(std::span<const float> counts,
                                                          uint32_t topics, double beta,
                                                          std::vector<std::string> vocab) {
  return FromCounts(counts, topics, beta, std::move(vocab));
}

absl::StatusOr<TopicWordMatrix> TopicsFromWordTopicCounts(std::span<const int32_t> counts,
                                                          uint32_t topics, double beta,
                                                          std::vector<std::string> vocab) {
  return FromCounts(counts, topics, beta, std::move(vocab));
}

absl::Status ValidateTopicMatrix(const TopicWordMatrix& m) {
  const size_t v = m.vocab.size();
  if (m.topics < 1 || v < 1 || m.phi.size() != v * m.topics) {
    return absl::InvalidArgumentError(absl::StrCat("topic matrix: ", m.phi.size(),
                                                   " values for ", m.topics, " topics x ", v,
                                                   " words"));
  }
  for (uint32_t k = 0; k < m.topics; ++k) {
    double sum = 0;
    for (size_t w = 0; w < v; ++w) {
      const double x = m.phi[size_t{k} * v + w];
      if (!std::isfinite(x) || x < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("topic matrix: topic ", k, " word ", w, " is ", x));
      }
      sum += x;
    }
    if (!(std::abs(sum - 1.0) <= kRowSumTolerance)) {
      return absl::InvalidArgumentError(
          absl::StrCat("topic matrix: topic ", k, " sums to ", sum, ", not 1"));
    }
  }
  for (size_t w = 0; w < v; ++w) {
    const std::string& word = m.vocab[w];
    if (word.empty() || word.find_first_of("\t\n\r") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("topic matrix: word ", w, " '", word, "' is empty or holds a tab or "
                       "line break"));
    }
  }
  return absl::OkStatus();
}

absl::Status WriteTopicMatrix(const TopicWordMatrix& m, const std::string& path) {
  if (absl::Status s = ValidateTopicMatrix(m); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not written: ", s.message()));
  }
  const size_t v = m.vocab.size();
  absl::Status s = WriteFileAtomically(path, [&](std::ofstream& out) {
    out << m.topics << " " << v << "\n";
    char buf[32];
    for (uint32_t k = 0; k < m.topics; ++k) {
      for (size_t w = 0; w < v; ++w) {
        const int n = std::snprintf(buf, sizeof buf, "%.9g", m.phi[size_t{k} * v + w]);
        if (w > 0) out.put(' ');
        out.write(buf, n);
      }
      out.put('\n');
    }
  });
  if (!s.ok()) return s;
  s = WriteFileAtomically(path + ".vocab", [&](std::ofstream& out) {
    for (const std::string& word : m.vocab) out << word << "\n";
  });
  if (!s.ok()) {
    std::error_code ec;
    fs::remove(path, ec);
  }
  return s;
}

absl::StatusOr<TopicWordMatrix> ReadTopicMatrix(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::string line;
  if (!std::getline(in, line)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":1: empty file (no header)"));
  }
  TopicWordMatrix m;
  uint32_t v = 0;
  if (absl::Status s = ParseHeader(line, path, &m.topics, &v); !s.ok()) return s;
  m.phi.assign(size_t{m.topics} * v, 0.0);
  size_t line_no = 1;
  for (uint32_t k = 0; k < m.topics; ++k) {
    ++line_no;
    const std::string where = absl::StrCat(path, ":", line_no);
    if (!std::getline(in, line)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": the file ends after ", k, " of ", m.topics, " topic rows"));
    }
    std::span<double> row(m.phi.data() + size_t{k} * v, v);
    if (absl::Status s = ParseRow(line, where, v, row.data()); !s.ok()) return s;
    if (absl::Status s = CheckRowSum(row, where); !s.ok()) return s;
  }
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", line_no, ": text after the ", m.topics, " topic rows the header says"));
    }
  }
  std::error_code ec;
  if (fs::exists(path + ".vocab", ec)) {
    absl::StatusOr<std::vector<std::string>> vocab = ReadVocab(path + ".vocab", v);
    if (!vocab.ok()) return vocab.status();
    m.vocab = *std::move(vocab);
  } else {
    m.vocab.reserve(v);
    for (uint32_t w = 0; w < v; ++w) m.vocab.push_back(PlaceholderWord(w));
  }
  return m;
}

uint64_t Fnv1a64(const void* data, size_t size) {
  uint64_t h = 1469598103934665603ull;
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

absl::StatusOr<SavedTable> ReadSavedTable(const std::string& dir, const std::string& table) {
  static_assert(std::endian::native == std::endian::little,
                "saved tables are little-endian float32");
  const std::string json_path = (fs::path(dir) / (table + ".json")).string();
  const std::string bin_path = (fs::path(dir) / (table + ".f32")).string();
  absl::StatusOr<std::string> text = ReadWholeFile(json_path);
  if (!text.ok()) return text.status();
  const nlohmann::json meta = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  auto bad = [&](const std::string& field, const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(json_path, ": field \"", field, "\" ", why));
  };
  if (meta.is_discarded() || !meta.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(json_path, ": not a JSON object"));
  }
  if (!meta.contains("table") || meta["table"] != table) return bad("table", "is not " + table);
  if (!meta.contains("rows") || !meta["rows"].is_number_unsigned()) {
    return bad("rows", "is missing or not a count");
  }
  if (!meta.contains("width") || !meta["width"].is_number_unsigned() || meta["width"] == 0) {
    return bad("width", "is missing or not a positive count");
  }
  if (!meta.contains("fnv1a64") || !meta["fnv1a64"].is_string()) {
    return bad("fnv1a64", "is missing or not a hex string");
  }
  SavedTable t;
  t.rows = meta["rows"].get<uint64_t>();
  t.width = meta["width"].get<uint32_t>();
  absl::StatusOr<std::string> bytes = ReadWholeFile(bin_path);
  if (!bytes.ok()) return bytes.status();
  if (bytes->size() != t.rows * t.width * sizeof(float)) {
    return absl::InvalidArgumentError(absl::StrCat(
        bin_path, ": ", bytes->size(), " bytes, ", json_path, " says ", t.rows, " rows x ",
        t.width, " float32 = ", t.rows * t.width * sizeof(float)));
  }
  const std::string sum = absl::StrFormat("%016x", Fnv1a64(bytes->data(), bytes->size()));
  if (sum != meta["fnv1a64"].get<std::string>()) {
    return absl::DataLossError(absl::StrCat(bin_path, ": checksum ", sum, ", ", json_path,
                                            " says ", meta["fnv1a64"].get<std::string>()));
  }
  t.values.resize(t.rows * t.width);
  std::memcpy(t.values.data(), bytes->data(), bytes->size());
  return t;
}

absl::StatusOr<TopicWordMatrix> TopicsFromSavedModel(const std::string& dir, double beta,
                                                     std::vector<std::string> vocab,
                                                     const std::string& table) {
  absl::StatusOr<SavedTable> t = ReadSavedTable(dir, table);
  if (!t.ok()) return t.status();
  if (t->rows != vocab.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        (fs::path(dir) / (table + ".json")).string(), ": the table has ", t->rows,
        " rows but the corpus vocabulary has ", vocab.size(),
        " words (a model of another corpus or vocabulary?)"));
  }
  absl::StatusOr<TopicWordMatrix> m =
      TopicsFromWordTopicCounts(std::span<const float>(t->values), t->width, beta,
                                std::move(vocab));
  if (!m.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat((fs::path(dir) / (table + ".f32")).string(), ": ", m.status().message()));
  }
  return m;
}

absl::Status CheckVocabulary(const std::vector<std::string>& model_vocab,
                             const std::vector<std::string>& corpus_vocab,
                             const std::string& what) {
  if (corpus_vocab.size() < model_vocab.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": vocabulary mismatch: the corpus has ", corpus_vocab.size(),
        " words, the model ", model_vocab.size(), " (a model of another vocabulary?)"));
  }
  for (uint32_t w = 0; w < model_vocab.size(); ++w) {
    if (model_vocab[w] != corpus_vocab[w] && !IsPlaceholder(model_vocab[w], w)) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": vocabulary mismatch at word id ", w, ": the model has '", model_vocab[w],
          "', the corpus '", corpus_vocab[w], "'"));
    }
  }
  return absl::OkStatus();
}

}  // namespace gaia::lda
