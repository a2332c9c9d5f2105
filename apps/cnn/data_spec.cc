#include "apps/cnn/data_spec.h"

#include <limits>
#include <map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace gaia::cnn {
namespace {

constexpr uint64_t kMaxU32 = std::numeric_limits<uint32_t>::max();

// The KEY=VALUE items of one spec, each readable once; what no getter read
// is an unknown key.
class Items {
 public:
  explicit Items(std::string spec) : spec_(std::move(spec)) {}

  absl::Status Error(absl::string_view why) const {
    return absl::InvalidArgumentError(absl::StrCat("data spec '", spec_, "': ", why));
  }
  absl::Status KeyError(absl::string_view key, absl::string_view value,
                        absl::string_view why) const {
    return Error(absl::StrCat(key, "=", value, ": ", why));
  }

  absl::Status Add(absl::string_view item) {
    const size_t eq = item.find('=');
    if (eq == absl::string_view::npos || eq == 0) {
      return Error(absl::StrCat("option '", item, "' is not KEY=VALUE"));
    }
    std::string key(absl::StripAsciiWhitespace(item.substr(0, eq)));
    std::string value(absl::StripAsciiWhitespace(item.substr(eq + 1)));
    if (!values_.emplace(key, std::move(value)).second) {
      return Error(absl::StrCat("key '", key, "' given twice"));
    }
    return absl::OkStatus();
  }

  // The key's value in [min, max], or `def` when absent.
  absl::StatusOr<uint64_t> Uint(const std::string& key, uint64_t def, uint64_t min, uint64_t max) {
    auto it = values_.find(key);
    if (it == values_.end()) return def;
    const std::string value = std::move(it->second);
    values_.erase(it);
    uint64_t v = 0;
    if (value.empty() || value[0] == '-' || value[0] == '+' || !absl::SimpleAtoi(value, &v)) {
      return KeyError(key, value, "expected a non-negative integer");
    }
    if (v < min || v > max) {
      return KeyError(key, value, absl::StrCat("must be in [", min, ", ", max, "]"));
    }
    return v;
  }

  // The index of the key's value in `choices` (def when absent).
  absl::StatusOr<size_t> Choice(const std::string& key, size_t def,
                                const std::vector<absl::string_view>& choices) {
    auto it = values_.find(key);
    if (it == values_.end()) return def;
    const std::string value = std::move(it->second);
    values_.erase(it);
    for (size_t i = 0; i < choices.size(); ++i) {
      if (value == choices[i]) return i;
    }
    return KeyError(key, value, absl::StrCat("expected one of ", absl::StrJoin(choices, "|")));
  }

  // Error naming the first key no getter read.
  absl::Status CheckAllUsed(absl::string_view source) const {
    if (values_.empty()) return absl::OkStatus();
    return Error(
        absl::StrCat("unknown key '", values_.begin()->first, "' for source '", source, "'"));
  }

 private:
  std::string spec_;
  std::map<std::string, std::string> values_;  // not yet read
};

absl::Status ParseOptions(Items& items, DataSpec& out) {
  absl::StatusOr<uint64_t> dcs = items.Uint("dcs", 1, 1, 1 << 16);
  if (!dcs.ok()) return dcs.status();
  absl::StatusOr<uint64_t> dc = items.Uint("dc", 0, 0, kMaxU32);
  if (!dc.ok()) return dc.status();
  if (*dc >= *dcs) {
    return items.KeyError("dc", absl::StrCat(*dc), absl::StrCat("must be less than dcs=", *dcs));
  }
  out.dc = static_cast<uint32_t>(*dc);
  out.partition.dcs = static_cast<uint32_t>(*dcs);
  absl::StatusOr<size_t> split = items.Choice("split", 0, {"iid", "labels"});
  if (!split.ok()) return split.status();
  out.partition.split = *split == 0 ? DcSplit::kIid : DcSplit::kLabels;
  absl::StatusOr<uint64_t> per_dc = items.Uint("classes_per_dc", 0, 1, 256);
  if (!per_dc.ok()) return per_dc.status();
  out.partition.classes_per_dc = static_cast<uint32_t>(*per_dc);
  absl::StatusOr<uint64_t> seed = items.Uint("seed", 1, 0, std::numeric_limits<uint64_t>::max());
  if (!seed.ok()) return seed.status();
  out.partition.seed = *seed;
  absl::StatusOr<uint64_t> limit = items.Uint("limit", 0, 0, kMaxU32);
  if (!limit.ok()) return limit.status();
  out.limit = *limit;
  absl::StatusOr<uint64_t> test_limit = items.Uint("test_limit", 0, 0, kMaxU32);
  if (!test_limit.ok()) return test_limit.status();
  out.test_limit = *test_limit;
  const size_t norm_default = out.source == DataSource::kFashionMnist ? 2 : 0;
  absl::StatusOr<size_t> norm =
      items.Choice("norm", norm_default, {"train", "mnist", "fashion-mnist", "none"});
  if (!norm.ok()) return norm.status();
  constexpr NormChoice kNorms[] = {NormChoice::kTrain, NormChoice::kMnist,
                                   NormChoice::kFashionMnist, NormChoice::kNone};
  out.norm = kNorms[*norm];
  if (out.source == DataSource::kMnistIdx) {
    absl::StatusOr<uint64_t> classes = items.Uint("classes", 10, 1, 256);
    if (!classes.ok()) return classes.status();
    out.classes = static_cast<uint32_t>(*classes);
  }
  if (absl::Status s = CheckPartitionOptions(out.partition, out.classes); !s.ok()) {
    return items.Error(s.message());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DataSpec> ParseDataSpec(std::string_view spec_in) {
  const absl::string_view spec(spec_in.data(), spec_in.size());
  DataSpec out;
  out.spec = std::string(spec);
  Items items(out.spec);
  const size_t cut = spec.find_first_of(":,");
  const absl::string_view source = absl::StripAsciiWhitespace(spec.substr(0, cut));
  const bool has_path = cut != absl::string_view::npos && spec[cut] == ':';
  std::vector<absl::string_view> rest;
  if (cut != absl::string_view::npos) rest = absl::StrSplit(spec.substr(cut + 1), ',');
  if (source == "fashion-mnist") {
    out.source = DataSource::kFashionMnist;
    if (has_path) {
      return items.Error(
          "fashion-mnist takes no path (it is the Debian package's); for IDX "
          "files elsewhere use mnist-idx:DIR");
    }
  } else if (source == "mnist-idx") {
    out.source = DataSource::kMnistIdx;
    if (!has_path || absl::StripAsciiWhitespace(rest[0]).empty()) {
      return items.Error("mnist-idx needs a directory: mnist-idx:DIR");
    }
    out.dir = std::string(absl::StripAsciiWhitespace(rest[0]));
    rest.erase(rest.begin());
  } else {
    return items.Error(
        absl::StrCat("unknown source '", source, "' (expected fashion-mnist or mnist-idx:DIR)"));
  }
  for (absl::string_view item : rest) {
    if (absl::Status s = items.Add(absl::StripAsciiWhitespace(item)); !s.ok()) return s;
  }
  if (absl::Status s = ParseOptions(items, out); !s.ok()) return s;
  if (absl::Status s = items.CheckAllUsed(source); !s.ok()) return s;
  return out;
}

std::string FormatDataSpec(const DataSpec& spec) {
  static constexpr const char* kNormNames[] = {"train", "mnist", "fashion-mnist", "none"};
  std::string out = spec.source == DataSource::kFashionMnist
                        ? std::string("fashion-mnist")
                        : absl::StrCat("mnist-idx:", spec.dir, ",classes=", spec.classes);
  absl::StrAppend(&out, ",dc=", spec.dc, ",dcs=", spec.partition.dcs,
                  ",split=", spec.partition.split == DcSplit::kIid ? "iid" : "labels");
  if (spec.partition.split == DcSplit::kLabels) {
    absl::StrAppend(&out, ",classes_per_dc=", ClassesPerDc(spec.partition, spec.classes));
  }
  absl::StrAppend(&out, ",seed=", spec.partition.seed, ",limit=", spec.limit,
                  ",test_limit=", spec.test_limit,
                  ",norm=", kNormNames[static_cast<int>(spec.norm)]);
  return out;
}

}  // namespace gaia::cnn
