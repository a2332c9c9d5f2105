#include "apps/lda/spec_options.h"

#include <cmath>
#include <limits>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace gaia::lda {
namespace {

bool TakesPath(absl::string_view source) { return source == "uci" || source == "text"; }

absl::Status KeyError(absl::string_view spec, absl::string_view key, absl::string_view value,
                      absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("data spec '", spec, "': ", key, "=", value, ": ", why));
}

}  // namespace

absl::StatusOr<SpecOptions> SpecOptions::Parse(absl::string_view spec) {
  SpecOptions out;
  out.spec_ = std::string(spec);
  const size_t cut = spec.find_first_of(":,");
  out.source_ = std::string(absl::StripAsciiWhitespace(spec.substr(0, cut)));
  if (out.source_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("data spec '", spec, "' names no source"));
  }
  if (cut == absl::string_view::npos) return out;
  std::vector<absl::string_view> items = absl::StrSplit(spec.substr(cut + 1), ',');
  size_t first = 0;
  if (TakesPath(out.source_)) {
    out.path_ = std::string(absl::StripAsciiWhitespace(items[0]));
    first = 1;
  }
  for (size_t i = first; i < items.size(); ++i) {
    const absl::string_view item = absl::StripAsciiWhitespace(items[i]);
    const size_t eq = item.find('=');
    if (eq == absl::string_view::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("data spec '", spec, "': option '", item, "' is not key=value"));
    }
    std::string key(absl::StripAsciiWhitespace(item.substr(0, eq)));
    std::string value(absl::StripAsciiWhitespace(item.substr(eq + 1)));
    if (!out.values_.emplace(key, std::move(value)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("data spec '", spec, "': key '", key, "' given twice"));
    }
  }
  return out;
}

const std::string* SpecOptions::Find(absl::string_view key) {
  auto it = values_.find(std::string(key));
  if (it == values_.end()) return nullptr;
  used_.insert(it->first);
  return &it->second;
}

absl::StatusOr<uint64_t> SpecOptions::GetUint(absl::string_view key, uint64_t def, uint64_t min,
                                              uint64_t max) {
  const std::string* value = Find(key);
  if (value == nullptr) return def;
  uint64_t v = 0;
  if (value->empty() || (*value)[0] == '-' || (*value)[0] == '+' ||
      !absl::SimpleAtoi(*value, &v)) {
    return KeyError(spec_, key, *value, "expected a non-negative integer");
  }
  if (v < min || v > max) {
    return KeyError(spec_, key, *value, absl::StrCat("must be in [", min, ", ", max, "]"));
  }
  return v;
}

absl::StatusOr<double> SpecOptions::GetDouble(absl::string_view key, double def, double min,
                                              double max, bool max_inclusive) {
  const std::string* value = Find(key);
  if (value == nullptr) return def;
  double v = 0;
  if (!absl::SimpleAtod(*value, &v) || !std::isfinite(v)) {
    return KeyError(spec_, key, *value, "expected a number");
  }
  if (v < min || v > max || (!max_inclusive && v == max)) {
    return KeyError(spec_, key, *value,
                    absl::StrCat("must be in [", min, ", ", max, max_inclusive ? "]" : ")"));
  }
  return v;
}

absl::StatusOr<std::string> SpecOptions::GetString(absl::string_view key,
                                                   const std::string& def) {
  const std::string* value = Find(key);
  if (value == nullptr) return def;
  if (value->empty()) return KeyError(spec_, key, *value, "expected a value");
  return *value;
}

absl::StatusOr<std::string> SpecOptions::GetChoice(
    absl::string_view key, const std::string& def,
    std::initializer_list<absl::string_view> choices) {
  const std::string* value = Find(key);
  if (value == nullptr) return def;
  for (absl::string_view c : choices) {
    if (*value == c) return *value;
  }
  return KeyError(spec_, key, *value, absl::StrCat("expected one of ", absl::StrJoin(choices, "|")));
}

absl::Status SpecOptions::CheckAllUsed() const {
  for (const auto& [key, value] : values_) {
    if (used_.count(key) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "data spec '", spec_, "': unknown key '", key, "' for source '", source_, "'"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<SplitOptions> ParseSplitOptions(SpecOptions& spec, DcSplit dc_split) {
  constexpr uint64_t kMaxU32 = std::numeric_limits<uint32_t>::max();
  SplitOptions o;
  absl::StatusOr<uint64_t> dcs = spec.GetUint("dcs", 1, 1, kMaxU32);
  if (!dcs.ok()) return dcs.status();
  absl::StatusOr<uint64_t> dc = spec.GetUint("dc", 0, 0, kMaxU32);
  if (!dc.ok()) return dc.status();
  if (*dc >= *dcs) {
    return absl::InvalidArgumentError(absl::StrCat("data spec '", spec.spec(), "': dc=", *dc,
                                                   " must be less than dcs=", *dcs));
  }
  o.dc = static_cast<uint32_t>(*dc);
  o.dcs = static_cast<uint32_t>(*dcs);
  absl::StatusOr<double> test = spec.GetDouble("test", 0, 0, 1, /*max_inclusive=*/false);
  if (!test.ok()) return test.status();
  o.test = *test;
  absl::StatusOr<std::string> split = spec.GetChoice("split", "train", {"train", "test"});
  if (!split.ok()) return split.status();
  o.want_test = *split == "test";
  absl::StatusOr<uint64_t> seed =
      spec.GetUint("seed", o.seed, 0, std::numeric_limits<uint64_t>::max());
  if (!seed.ok()) return seed.status();
  o.seed = *seed;
  absl::StatusOr<std::string> how = spec.GetChoice(
      "dcsplit", dc_split == DcSplit::kHash ? "hash" : "contiguous", {"hash", "contiguous"});
  if (!how.ok()) return how.status();
  o.dc_split = *how == "hash" ? DcSplit::kHash : DcSplit::kContiguous;
  return o;
}

absl::StatusOr<VocabOptions> ParseVocabOptions(SpecOptions& spec, const VocabOptions& defaults) {
  VocabOptions o;
  absl::StatusOr<uint64_t> min_count =
      spec.GetUint("min_count", defaults.min_count, 1, std::numeric_limits<uint32_t>::max());
  if (!min_count.ok()) return min_count.status();
  o.min_count = *min_count;
  absl::StatusOr<double> max_df = spec.GetDouble("max_df", defaults.max_df, 0, 1);
  if (!max_df.ok()) return max_df.status();
  if (*max_df == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("data spec '", spec.spec(), "': max_df=0 would drop every word"));
  }
  o.max_df = *max_df;
  absl::StatusOr<uint64_t> max_vocab =
      spec.GetUint("max_vocab", defaults.max_vocab, 0, std::numeric_limits<uint32_t>::max());
  if (!max_vocab.ok()) return max_vocab.status();
  o.max_vocab = static_cast<uint32_t>(*max_vocab);
  return o;
}

}  // namespace gaia::lda
