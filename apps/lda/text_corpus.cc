#include "apps/lda/text_corpus.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "apps/lda/text_lines.h"

namespace gaia::lda {
namespace fs = std::filesystem;
namespace {

// Every regular file under `dir`, relative paths sorted; skips dot names.
absl::StatusOr<std::vector<std::string>> ListFiles(const std::string& dir) {
  std::error_code ec;
  std::vector<std::string> files;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec)) files.push_back(fs::relative(it->path(), dir, ec).string());
  }
  if (ec) return absl::NotFoundError(absl::StrCat(dir, ": cannot list: ", ec.message()));
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  }
  std::string out;
  char buffer[1 << 16];
  size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof(buffer), f)) > 0) out.append(buffer, got);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return out;
}

void TextCorpusBuilder::AddDocument(absl::string_view text) {
  const uint64_t doc = num_documents();
  Tokenize(text, options_, [&](absl::string_view token) {
    auto [it, inserted] = ids_.try_emplace(token, static_cast<uint32_t>(stats_.size()));
    if (inserted) {
      stats_.push_back(WordStats{std::string(token), 0, 0});
      last_doc_.push_back(doc);
      stats_.back().docs = 1;
    } else if (last_doc_[it->second] != doc) {
      last_doc_[it->second] = doc;
      ++stats_[it->second].docs;
    }
    ++stats_[it->second].count;
    words_.push_back(it->second);
  });
  offsets_.push_back(words_.size());
}

absl::StatusOr<LoadedCorpus> TextCorpusBuilder::Finish(const std::string& name,
                                                       const SplitOptions& split,
                                                       uint32_t part, uint32_t parts) const {
  uint64_t docs_with_tokens = 0;
  for (size_t d = 0; d < num_documents(); ++d) docs_with_tokens += offsets_[d + 1] > offsets_[d];
  if (docs_with_tokens == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": no tokens in ", num_documents(), " documents (after stop words and min_len=",
        options_.min_len, ")"));
  }
  VocabMap map = BuildVocabulary(stats_, docs_with_tokens, options_.vocab);
  if (map.vocab.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": no word left after pruning (min_count=", options_.vocab.min_count,
        ", max_df=", options_.vocab.max_df, ") of ", stats_.size(), " distinct words"));
  }
  LoadedCorpus out;
  out.stats.source_docs = num_documents();
  out.stats.source_words = stats_.size();
  out.corpus.vocab = std::move(map.vocab);
  CorpusSink sink(DocSelector(split, num_documents(), part, parts), &out);
  std::vector<uint32_t> tokens;
  for (size_t d = 0; d < num_documents(); ++d) {
    if (offsets_[d + 1] == offsets_[d]) {
      sink.AddEmpty();
      continue;
    }
    tokens.clear();
    for (uint64_t i = offsets_[d]; i < offsets_[d + 1]; ++i) {
      if (const uint32_t id = map.new_id[words_[i]]; id != kDropped) tokens.push_back(id);
    }
    sink.Add(d, tokens);
  }
  return out;
}

absl::StatusOr<LoadedCorpus> LoadTextPath(const std::string& path, const TextOptions& options,
                                          const SplitOptions& split, uint32_t part,
                                          uint32_t parts) {
  TextCorpusBuilder builder(options);
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    absl::StatusOr<std::vector<std::string>> files = ListFiles(path);
    if (!files.ok()) return files.status();
    if (files->empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no files"));
    for (const std::string& file : *files) {
      absl::StatusOr<std::string> text = ReadWholeFile((fs::path(path) / file).string());
      if (!text.ok()) return text.status();
      builder.AddDocument(*text);
    }
  } else {
    TextLines in(path, size_t{1} << 28);
    if (absl::Status s = in.Open(); !s.ok()) return s;
    absl::string_view line;
    while (in.Next(&line)) builder.AddDocument(line);
    if (!in.status().ok()) return in.status();
  }
  return builder.Finish(path, split, part, parts);
}

}  // namespace gaia::lda
