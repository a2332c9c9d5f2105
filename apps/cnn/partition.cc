#include "apps/cnn/partition.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace gaia::cnn {
namespace {

// splitmix64: a fixed, portable stream (std::shuffle's algorithm is up to
// the standard library, so it could split differently on another build).
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) by Lemire's multiply-shift (bias < n / 2^64).
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }

 private:
  uint64_t state_;
};

// floor(k * n / m) without overflow for the sizes here (n < 2^40).
size_t Cut(size_t k, size_t n, size_t m) {
  return static_cast<size_t>((static_cast<unsigned __int128>(k) * n) / m);
}

}  // namespace

uint32_t ClassesPerDc(const PartitionOptions& options, uint32_t classes) {
  if (options.classes_per_dc != 0) return options.classes_per_dc;
  if (options.dcs == 0) return classes;
  return (classes + options.dcs - 1) / options.dcs;
}

absl::Status CheckPartitionOptions(const PartitionOptions& options, uint32_t classes) {
  if (options.dcs == 0) return absl::InvalidArgumentError("dcs=0: need at least one DC");
  if (classes == 0) return absl::InvalidArgumentError("classes=0: need at least one class");
  if (options.split != DcSplit::kLabels) {
    if (options.classes_per_dc != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("classes_per_dc=", options.classes_per_dc, ": only split=labels takes it"));
    }
    return absl::OkStatus();
  }
  const uint32_t k = ClassesPerDc(options, classes);
  if (k > classes) {
    return absl::InvalidArgumentError(
        absl::StrCat("classes_per_dc=", k, ": more than the ", classes, " classes"));
  }
  if (uint64_t{k} * options.dcs < classes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "classes_per_dc=", k, ": ", options.dcs, " DCs x ", k, " classes leave ",
        classes - uint64_t{k} * options.dcs, " of the ", classes,
        " classes in no DC; need classes_per_dc >= ", (classes + options.dcs - 1) / options.dcs));
  }
  return absl::OkStatus();
}

std::vector<uint32_t> DcClasses(const PartitionOptions& options, uint32_t classes, uint32_t dc) {
  std::vector<uint32_t> out;
  if (options.split == DcSplit::kIid) {
    for (uint32_t c = 0; c < classes; ++c) out.push_back(c);
    return out;
  }
  const uint32_t k = ClassesPerDc(options, classes);
  for (uint32_t j = 0; j < k; ++j) {
    out.push_back(static_cast<uint32_t>((uint64_t{dc} * k + j) % classes));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<size_t> SeededPermutation(size_t n, uint64_t seed) {
  std::vector<size_t> p(n);
  for (size_t i = 0; i < n; ++i) p[i] = i;
  SplitMix64 rng(seed);
  for (size_t i = n; i > 1; --i) std::swap(p[i - 1], p[rng.Below(i)]);
  return p;
}

std::vector<std::vector<size_t>> SplitAmongDcs(std::span<const int32_t> labels, uint32_t classes,
                                               const PartitionOptions& options) {
  const std::vector<size_t> perm = SeededPermutation(labels.size(), options.seed);
  std::vector<std::vector<size_t>> shares(options.dcs);
  if (options.split == DcSplit::kIid) {
    for (uint32_t d = 0; d < options.dcs; ++d) {
      shares[d].assign(perm.begin() + Cut(d, perm.size(), options.dcs),
                       perm.begin() + Cut(d + 1, perm.size(), options.dcs));
    }
    return shares;
  }
  // holders[c]: the DCs holding class c, ascending.
  std::vector<std::vector<uint32_t>> holders(classes);
  for (uint32_t d = 0; d < options.dcs; ++d) {
    for (uint32_t c : DcClasses(options, classes, d)) holders[c].push_back(d);
  }
  std::vector<size_t> class_size(classes, 0);
  for (int32_t label : labels) ++class_size[label];
  // The j-th image of class c (in P order) goes to holder floor(j * m / size).
  std::vector<size_t> seen(classes, 0);
  for (size_t i : perm) {
    const int32_t c = labels[i];
    const size_t m = holders[c].size();
    const size_t h =
        static_cast<size_t>((static_cast<unsigned __int128>(seen[c]++) * m) / class_size[c]);
    shares[holders[c][h]].push_back(i);
  }
  return shares;
}

std::vector<size_t> PartOfShare(std::span<const size_t> share, uint32_t part, uint32_t parts) {
  std::vector<size_t> out;
  if (parts == 0 || part >= parts) return out;
  out.reserve(share.size() / parts + 1);
  for (size_t j = part; j < share.size(); j += parts) out.push_back(share[j]);
  return out;
}

std::vector<std::vector<uint64_t>> ClassHistogram(const std::vector<std::vector<size_t>>& groups,
                                                  std::span<const int32_t> labels,
                                                  uint32_t classes) {
  std::vector<std::vector<uint64_t>> counts(groups.size(), std::vector<uint64_t>(classes, 0));
  for (size_t g = 0; g < groups.size(); ++g) {
    for (size_t i : groups[g]) ++counts[g][labels[i]];
  }
  return counts;
}

std::string FormatClassHistogram(const std::vector<std::vector<uint64_t>>& counts,
                                 const std::string& row_name) {
  const size_t classes = counts.empty() ? 0 : counts[0].size();
  const std::string blank(row_name.size() + 4, ' ');
  std::string out = absl::StrCat(blank, " class");
  for (size_t c = 0; c < classes; ++c) absl::StrAppendFormat(&out, " %6u", c);
  absl::StrAppend(&out, "    total\n");
  for (size_t g = 0; g < counts.size(); ++g) {
    uint64_t total = 0;
    absl::StrAppendFormat(&out, "%s %3u      ", row_name, g);
    for (uint64_t n : counts[g]) {
      absl::StrAppendFormat(&out, " %6u", n);
      total += n;
    }
    absl::StrAppendFormat(&out, " %8u\n", total);
  }
  return out;
}

}  // namespace gaia::cnn
