#include "apps/lda/data_source.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "apps/lda/load_stats.h"
#include "apps/lda/named_corpora.h"
#include "apps/lda/spec_options.h"
#include "apps/lda/synthetic.h"
#include "apps/lda/text_corpus.h"
#include "apps/lda/uci_loader.h"

namespace gaia::lda {
namespace {

// The pruning defaults: text sources prune; UCI files come pruned already.
constexpr VocabOptions kTextVocab{};
constexpr VocabOptions kUciVocab{.min_count = 1, .max_df = 1, .max_vocab = 0};

absl::StatusOr<LoadedCorpus> LoadSynthetic(const std::string& spec, uint32_t part,
                                           uint32_t parts) {
  absl::StatusOr<SyntheticOptions> options =
      ParseSyntheticSpec(spec.empty() ? "synthetic" : spec);
  if (!options.ok()) return options.status();
  absl::StatusOr<SyntheticCorpus> corpus = SyntheticCorpus::Create(*options);
  if (!corpus.ok()) return corpus.status();
  return corpus->Generate(part, parts);
}

absl::StatusOr<LoadedCorpus> LoadUciSpec(SpecOptions& spec, uint32_t part, uint32_t parts) {
  UciOptions options;
  absl::StatusOr<VocabOptions> vocab = ParseVocabOptions(spec, kUciVocab);
  if (!vocab.ok()) return vocab.status();
  absl::StatusOr<SplitOptions> split = ParseSplitOptions(spec);
  if (!split.ok()) return split.status();
  if (absl::Status s = spec.CheckAllUsed(); !s.ok()) return s;
  options.vocab = *vocab;
  options.split = *split;
  options.part = part;
  options.parts = parts;
  return LoadUci(spec.path(), options);
}

absl::StatusOr<TextOptions> ParseTextOptions(SpecOptions& spec) {
  TextOptions options;
  absl::StatusOr<uint64_t> min_len = spec.GetUint("min_len", options.min_len, 1, kMaxTokenLength);
  if (!min_len.ok()) return min_len.status();
  options.min_len = static_cast<uint32_t>(*min_len);
  absl::StatusOr<std::string> stop = spec.GetString("stopwords", "english");
  if (!stop.ok()) return stop.status();
  absl::StatusOr<StopWords> words = LoadStopWords(*stop);
  if (!words.ok()) {
    return absl::Status(words.status().code(),
                        absl::StrCat("stopwords=", *stop, ": ", words.status().message()));
  }
  options.stop_words = std::move(*words);
  absl::StatusOr<VocabOptions> vocab = ParseVocabOptions(spec, kTextVocab);
  if (!vocab.ok()) return vocab.status();
  options.vocab = *vocab;
  return options;
}

// brown and spam-assassin: the package's directory, then its documents.
absl::StatusOr<LoadedCorpus> LoadNamed(SpecOptions& spec, uint32_t part, uint32_t parts) {
  const bool brown = spec.source() == "brown";
  absl::StatusOr<TextOptions> options = ParseTextOptions(spec);
  if (!options.ok()) return options.status();
  absl::StatusOr<std::string> dir = spec.GetString("dir", "");
  if (!dir.ok()) return dir.status();
  absl::StatusOr<SplitOptions> split =
      ParseSplitOptions(spec, brown ? DcSplit::kContiguous : DcSplit::kHash);
  if (!split.ok()) return split.status();
  if (absl::Status s = spec.CheckAllUsed(); !s.ok()) return s;
  if (dir->empty()) {
    absl::StatusOr<std::string> found = FindNpmPackage(
        brown ? kBrownPackage : kSpamAssassinPackage, DefaultCorporaSearchDirs());
    if (!found.ok()) return found.status();
    *dir = *found;
  }
  TextCorpusBuilder builder(std::move(*options));
  absl::Status added = brown ? AddBrownTexts(*dir, &builder) : AddSpamAssassinMails(*dir, &builder);
  if (!added.ok()) return added;
  return builder.Finish(spec.source(), *split, part, parts);
}

absl::StatusOr<LoadedCorpus> LoadTextSpec(SpecOptions& spec, uint32_t part, uint32_t parts) {
  absl::StatusOr<TextOptions> options = ParseTextOptions(spec);
  if (!options.ok()) return options.status();
  absl::StatusOr<SplitOptions> split = ParseSplitOptions(spec);
  if (!split.ok()) return split.status();
  if (absl::Status s = spec.CheckAllUsed(); !s.ok()) return s;
  return LoadTextPath(spec.path(), *options, *split, part, parts);
}

}  // namespace

absl::StatusOr<LoadedCorpus> LoadCorpusWithStats(const std::string& spec, uint32_t part,
                                                 uint32_t parts) {
  if (parts == 0 || part >= parts) {
    return absl::InvalidArgumentError(
        absl::StrCat("data part ", part, " of ", parts, " is not a valid part"));
  }
  if (spec.empty()) return LoadSynthetic(spec, part, parts);
  absl::StatusOr<SpecOptions> parsed = SpecOptions::Parse(spec);
  if (!parsed.ok()) return parsed.status();
  const std::string& source = parsed->source();
  if (source == "synthetic") return LoadSynthetic(spec, part, parts);
  if ((source == "uci" || source == "text") && parsed->path().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("data spec '", spec, "' names no file"));
  }
  if (source == "uci") return LoadUciSpec(*parsed, part, parts);
  if (source == "text") return LoadTextSpec(*parsed, part, parts);
  if (source == "brown" || source == "spam-assassin") return LoadNamed(*parsed, part, parts);
  return absl::InvalidArgumentError(absl::StrCat(
      "data spec '", spec, "': unknown source '", source,
      "' (expected synthetic, uci:PATH, text:PATH, brown or spam-assassin)"));
}

absl::StatusOr<Corpus> LoadCorpus(const std::string& spec, uint32_t part, uint32_t parts) {
  absl::StatusOr<LoadedCorpus> loaded = LoadCorpusWithStats(spec, part, parts);
  if (!loaded.ok()) return loaded.status();
  return std::move(loaded->corpus);
}

}  // namespace gaia::lda
