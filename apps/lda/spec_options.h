// A data spec split into its source, path and k=v options, with typed
// getters that name the key in every error and a final check that no key
// was left unread (a misspelt key is an error, not a silent default).
//
//   absl::StatusOr<SpecOptions> o = SpecOptions::Parse("text:/data/a,min_count=3,dc=1,dcs=2");
//   o->source() == "text";  o->path() == "/data/a";
//   absl::StatusOr<uint64_t> m = o->GetUint("min_count", /*def=*/5, 1, 1000000);
//   ...
//   if (absl::Status s = o->CheckAllUsed(); !s.ok()) return s;
//
// Grammar: SOURCE[:ITEM[,ITEM...]] or SOURCE,ITEM[,ITEM...]. For the sources
// that read a path ("uci", "text") the first item is the path (so a path
// cannot contain ','); every other item is KEY=VALUE. Blanks around items
// are ignored; a key may appear once.
//
// Also the options every source shares (SplitOptions) and the vocabulary
// pruning options (VocabOptions), parsed from a SpecOptions.
#ifndef GAIA_APPS_LDA_SPEC_OPTIONS_H_
#define GAIA_APPS_LDA_SPEC_OPTIONS_H_

#include <cstdint>
#include <initializer_list>
#include <map>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gaia::lda {

class SpecOptions {
 public:
  static absl::StatusOr<SpecOptions> Parse(absl::string_view spec);

  const std::string& spec() const { return spec_; }
  const std::string& source() const { return source_; }
  const std::string& path() const { return path_; }
  bool Has(absl::string_view key) const { return values_.count(std::string(key)) > 0; }

  // The key's value in [min, max], or `def` when absent.
  absl::StatusOr<uint64_t> GetUint(absl::string_view key, uint64_t def, uint64_t min,
                                   uint64_t max);
  // The key's value in [min, max] (max excluded when !max_inclusive).
  absl::StatusOr<double> GetDouble(absl::string_view key, double def, double min, double max,
                                   bool max_inclusive = true);
  absl::StatusOr<std::string> GetString(absl::string_view key, const std::string& def);
  // One of `choices`.
  absl::StatusOr<std::string> GetChoice(absl::string_view key, const std::string& def,
                                        std::initializer_list<absl::string_view> choices);

  // InvalidArgument naming the first key no getter read.
  absl::Status CheckAllUsed() const;

 private:
  const std::string* Find(absl::string_view key);

  std::string spec_;
  std::string source_;
  std::string path_;
  std::map<std::string, std::string> values_;
  std::set<std::string> used_;
};

// How documents are assigned to DCs.
enum class DcSplit {
  kHash,        // seeded IID: document i goes to DC hash(seed, i) % dcs
  kContiguous,  // the corpus's order in dcs equal ranges (Brown: genres)
};

// Options every source takes (data_source.h).
struct SplitOptions {
  uint32_t dc = 0;         // this DC, in [0, dcs)
  uint32_t dcs = 1;        // number of DCs sharing the corpus
  double test = 0;         // fraction of documents held out, in [0, 1)
  bool want_test = false;  // split=test: return the held-out documents
  uint64_t seed = 1;       // selects held-out documents (and DCs for kHash)
  DcSplit dc_split = DcSplit::kHash;
};

// Reads dc, dcs, test, split, seed, dcsplit (default `dc_split`).
absl::StatusOr<SplitOptions> ParseSplitOptions(SpecOptions& spec,
                                               DcSplit dc_split = DcSplit::kHash);

// Vocabulary pruning (vocab_builder.h).
struct VocabOptions {
  uint64_t min_count = 5;  // drop words with fewer occurrences in the corpus
  double max_df = 0.5;     // drop words in more than this fraction of documents
  uint32_t max_vocab = 0;  // keep at most this many (most frequent); 0 = no limit
};

// Reads min_count, max_df, max_vocab; absent keys keep `defaults`.
absl::StatusOr<VocabOptions> ParseVocabOptions(SpecOptions& spec, const VocabOptions& defaults);

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_SPEC_OPTIONS_H_
