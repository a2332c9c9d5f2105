#include "apps/lda/uci_loader.h"

#include <filesystem>
#include <functional>
#include <limits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "apps/lda/text_lines.h"
#include "apps/lda/vocab_builder.h"

namespace gaia::lda {
namespace {

struct Entry {
  uint32_t word;  // 0-based
  uint32_t count;
};

struct Header {
  uint64_t docs = 0;
  uint64_t words = 0;
  uint64_t nnz = 0;
};

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Splits `line` at blanks into at most `max` fields; returns how many there
// were (max + 1 when there are more).
size_t SplitFields(absl::string_view line, absl::string_view* fields, size_t max) {
  size_t n = 0, i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsBlank(line[i])) ++i;
    if (i == line.size()) break;
    const size_t start = i;
    while (i < line.size() && !IsBlank(line[i])) ++i;
    if (n == max) return max + 1;
    fields[n++] = line.substr(start, i - start);
  }
  return n;
}

// Digits only, at most 18 of them (no sign, no overflow).
bool ParseDigits(absl::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

// Reads the vocabulary file: one word per line.
absl::StatusOr<std::vector<std::string>> ReadVocab(const std::string& path) {
  TextLines in(path);
  if (absl::Status s = in.Open(); !s.ok()) return s;
  std::vector<std::string> words;
  absl::string_view line;
  while (in.Next(&line)) {
    if (line.empty()) return in.Error("empty line (expected one word per line)");
    words.emplace_back(line);
  }
  if (!in.status().ok()) return in.status();
  return words;
}

// The docword file: its header, then one callback per document with entries.
class DocwordReader {
 public:
  DocwordReader(const std::string& path, uint32_t max_count) : in_(path, 4096),
      max_count_(max_count) {}

  absl::Status ReadHeader(Header* header);
  // Calls fn(doc, entries) for every document with entries, by docID.
  absl::Status ForEachDoc(const std::function<void(uint64_t, std::span<const Entry>)>& fn);
  const TextLines& lines() const { return in_; }

 private:
  absl::Status ReadHeaderValue(absl::string_view name, uint64_t min, uint64_t* out);
  absl::Status ParseEntry(absl::string_view line, uint64_t* doc, Entry* entry);

  TextLines in_;
  uint32_t max_count_;
  Header header_;
};

absl::Status DocwordReader::ReadHeaderValue(absl::string_view name, uint64_t min,
                                            uint64_t* out) {
  absl::string_view line;
  if (!in_.Next(&line)) {
    if (!in_.status().ok()) return in_.status();
    return in_.Error(absl::StrCat("file ends before the header's ", name));
  }
  absl::string_view field[1];
  if (SplitFields(line, field, 1) != 1 || !ParseDigits(field[0], out)) {
    return in_.Error(absl::StrCat("bad header: expected ", name,
                                  " (one non-negative integer), got '", line.substr(0, 40),
                                  "'"));
  }
  if (*out < min) return in_.Error(absl::StrCat("bad header: ", name, " is ", *out));
  return absl::OkStatus();
}

absl::Status DocwordReader::ReadHeader(Header* header) {
  if (absl::Status s = in_.Open(); !s.ok()) return s;
  if (absl::Status s = ReadHeaderValue("D (documents)", 1, &header_.docs); !s.ok()) return s;
  if (absl::Status s = ReadHeaderValue("W (words)", 1, &header_.words); !s.ok()) return s;
  if (header_.words >= kDropped) {
    return in_.Error(absl::StrCat("bad header: W=", header_.words, " is too large"));
  }
  if (absl::Status s = ReadHeaderValue("NNZ (entries)", 0, &header_.nnz); !s.ok()) return s;
  *header = header_;
  return absl::OkStatus();
}

absl::Status DocwordReader::ParseEntry(absl::string_view line, uint64_t* doc, Entry* entry) {
  absl::string_view f[3];
  const size_t n = SplitFields(line, f, 3);
  if (n != 3) {
    return in_.Error(absl::StrCat("expected 'docID wordID count', got ", n > 3 ? "more than 3"
                                  : absl::StrCat(n), " fields"));
  }
  uint64_t word = 0, count = 0;
  if (!ParseDigits(f[0], doc) || *doc < 1 || *doc > header_.docs) {
    return in_.Error(absl::StrCat("docID '", f[0].substr(0, 20), "' is not in [1, D=",
                                  header_.docs, "]"));
  }
  if (!ParseDigits(f[1], &word) || word < 1 || word > header_.words) {
    return in_.Error(absl::StrCat("wordID '", f[1].substr(0, 20), "' is not in [1, W=",
                                  header_.words, "]"));
  }
  if (!ParseDigits(f[2], &count) || count < 1 || count > max_count_) {
    return in_.Error(absl::StrCat("count '", f[2].substr(0, 20), "' is not in [1, ",
                                  max_count_, "]"));
  }
  *entry = Entry{static_cast<uint32_t>(word - 1), static_cast<uint32_t>(count)};
  return absl::OkStatus();
}

absl::Status DocwordReader::ForEachDoc(
    const std::function<void(uint64_t, std::span<const Entry>)>& fn) {
  std::vector<Entry> entries;
  uint64_t current = 0, seen = 0;  // current docID (1-based; 0 = none yet)
  absl::string_view line;
  while (in_.Next(&line)) {
    if (line.find_first_not_of(" \t") == absl::string_view::npos) continue;
    uint64_t doc = 0;
    Entry entry;
    if (absl::Status s = ParseEntry(line, &doc, &entry); !s.ok()) return s;
    if (++seen > header_.nnz) {
      return in_.Error(absl::StrCat("more entries than the header's NNZ=", header_.nnz));
    }
    if (doc < current) {
      return in_.Error(absl::StrCat("docID ", doc, " after docID ", current,
                                    ": entries must be sorted by docID"));
    }
    if (doc != current && !entries.empty()) {
      fn(current - 1, entries);
      entries.clear();
    }
    current = doc;
    entries.push_back(entry);
  }
  if (!in_.status().ok()) return in_.status();
  if (seen < header_.nnz) {
    return in_.Error(absl::StrCat("file ends after ", seen, " entries but the header says NNZ=",
                                  header_.nnz, " (truncated?)"));
  }
  if (!entries.empty()) fn(current - 1, entries);
  return absl::OkStatus();
}

absl::Status CheckVocab(const std::string& vocab_path, size_t vocab_lines,
                        const std::string& docword_path, const Header& header) {
  if (vocab_lines == header.words) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      vocab_path, ":", vocab_lines, ": has ", vocab_lines, " words but ", docword_path,
      ":2 says W=", header.words));
}

// Pass 1: every word's count and document frequency; documents with tokens.
absl::Status CountWords(const std::string& path, const UciOptions& options,
                        std::vector<WordStats>* stats, uint64_t* docs_with_tokens) {
  DocwordReader reader(path, options.max_count);
  Header header;
  if (absl::Status s = reader.ReadHeader(&header); !s.ok()) return s;
  std::vector<uint64_t> last_doc(stats->size(), std::numeric_limits<uint64_t>::max());
  *docs_with_tokens = 0;
  return reader.ForEachDoc([&](uint64_t doc, std::span<const Entry> entries) {
    ++*docs_with_tokens;
    for (const Entry& e : entries) {
      WordStats& w = (*stats)[e.word];
      w.count += e.count;
      if (last_doc[e.word] != doc) ++w.docs;
      last_doc[e.word] = doc;
    }
  });
}

// Pass 2: this worker's documents, with the final word ids.
absl::Status CollectDocs(const std::string& path, const UciOptions& options,
                         const VocabMap& map, uint64_t source_docs, LoadedCorpus* out) {
  DocwordReader reader(path, options.max_count);
  Header header;
  if (absl::Status s = reader.ReadHeader(&header); !s.ok()) return s;
  CorpusSink sink(DocSelector(options.split, source_docs, options.part, options.parts), out);
  std::vector<uint32_t> tokens;
  return reader.ForEachDoc([&](uint64_t doc, std::span<const Entry> entries) {
    tokens.clear();
    for (const Entry& e : entries) {
      const uint32_t id = map.new_id[e.word];
      if (id != kDropped) tokens.insert(tokens.end(), e.count, id);
    }
    sink.Add(doc, tokens);
  });
}

}  // namespace

absl::StatusOr<std::string> UciVocabPath(const std::string& docword_path) {
  const std::filesystem::path p(docword_path);
  const std::string name = p.filename().string();
  if (!absl::StartsWith(name, "docword.") || !absl::EndsWith(name, ".txt") ||
      name.size() <= 12) {
    return absl::InvalidArgumentError(absl::StrCat(
        docword_path, ": a UCI corpus is named docword.NAME.txt (with vocab.NAME.txt beside)"));
  }
  return (p.parent_path() / ("vocab." + name.substr(8))).string();
}

absl::StatusOr<LoadedCorpus> LoadUci(const std::string& docword_path,
                                     const UciOptions& options) {
  absl::StatusOr<std::string> vocab_path = UciVocabPath(docword_path);
  if (!vocab_path.ok()) return vocab_path.status();
  absl::StatusOr<std::vector<std::string>> words = ReadVocab(*vocab_path);
  if (!words.ok()) return words.status();
  Header header;
  {
    DocwordReader reader(docword_path, options.max_count);
    if (absl::Status s = reader.ReadHeader(&header); !s.ok()) return s;
  }
  if (absl::Status s = CheckVocab(*vocab_path, words->size(), docword_path, header); !s.ok()) {
    return s;
  }
  std::vector<WordStats> stats(words->size());
  for (size_t i = 0; i < stats.size(); ++i) stats[i].word = std::move((*words)[i]);
  uint64_t docs_with_tokens = 0;
  if (absl::Status s = CountWords(docword_path, options, &stats, &docs_with_tokens); !s.ok()) {
    return s;
  }
  if (docs_with_tokens == 0) {
    return absl::InvalidArgumentError(absl::StrCat(docword_path, ": no entries, no tokens"));
  }
  VocabMap map = BuildVocabulary(stats, docs_with_tokens, options.vocab);
  if (map.vocab.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        docword_path, ": no word left after pruning (min_count=", options.vocab.min_count,
        ", max_df=", options.vocab.max_df, ")"));
  }
  LoadedCorpus out;
  out.stats.source_docs = header.docs;
  out.stats.empty_docs = header.docs - docs_with_tokens;
  for (const WordStats& w : stats) out.stats.source_words += w.count > 0;
  out.corpus.vocab = std::move(map.vocab);
  if (absl::Status s = CollectDocs(docword_path, options, map, header.docs, &out); !s.ok()) {
    return s;
  }
  return out;
}

}  // namespace gaia::lda
