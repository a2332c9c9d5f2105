// How a training set is dealt to a job's datacenters (DCs), and a DC's
// share to its workers. Pure functions of (labels, options): every worker
// of every DC computes the same split without talking to the others.
//
//   PartitionOptions o{.dcs = 5, .split = DcSplit::kLabels, .classes_per_dc = 2, .seed = 7};
//   if (absl::Status s = CheckPartitionOptions(o, /*classes=*/10); !s.ok()) return s;
//   std::vector<std::vector<size_t>> shares = SplitAmongDcs(labels, 10, o);
//   DcClasses(o, 10, /*dc=*/1) == {2, 3};         // shares[1] holds only classes 2 and 3
//   std::vector<size_t> mine = PartOfShare(shares[1], /*part=*/0, /*parts=*/4);
//   std::string log = FormatClassHistogram(ClassHistogram(shares, labels, 10));
//
// The rules (docs/APP_CNN_DATA.md has an example):
// - A seeded permutation P of the images (Fisher-Yates on splitmix64, the
//   same on every platform) fixes every order below.
// - kIid: P is cut into dcs contiguous runs; DC d gets P[floor(d*N/dcs),
//   floor((d+1)*N/dcs)), so shares differ in size by at most one.
// - kLabels (the thesis's Non-IID setting, §6.1): DC d holds the k =
//   classes_per_dc classes (d*k + j) mod C, j < k (5 DCs x 2: DC d gets 2d,
//   2d+1). Every class is held by some DC when dcs*k >= C (checked). A class
//   held by m DCs is split among them in DC order: its images, in P order,
//   cut into m contiguous runs as above. A share lists its images in P order
//   (the classes interleaved).
// - Worker part p of `parts` takes a share's positions j with j % parts == p
//   (strided, so parts differ in size by at most one and keep the mixed order).
#ifndef GAIA_APPS_CNN_PARTITION_H_
#define GAIA_APPS_CNN_PARTITION_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace gaia::cnn {

enum class DcSplit {
  kIid,     // shuffled, equal shares
  kLabels,  // each DC a subset of the classes
};

struct PartitionOptions {
  uint32_t dcs = 1;  // DCs sharing the training set; >= 1
  DcSplit split = DcSplit::kIid;
  // kLabels only: classes each DC holds, in [1, classes]; 0 means
  // ceil(classes / dcs), the fewest that leave no class unheld.
  uint32_t classes_per_dc = 0;
  uint64_t seed = 1;  // selects the permutation P
};

// InvalidArgument naming the option (dcs, classes_per_dc) when the options
// cannot split `classes` classes: dcs == 0, classes_per_dc > classes, or
// dcs * classes_per_dc < classes (a class no DC holds).
absl::Status CheckPartitionOptions(const PartitionOptions& options, uint32_t classes);

// classes_per_dc with 0 resolved.
uint32_t ClassesPerDc(const PartitionOptions& options, uint32_t classes);

// The classes DC `dc` holds, ascending: all of them for kIid.
// REQUIRES: CheckPartitionOptions ok, dc < dcs.
std::vector<uint32_t> DcClasses(const PartitionOptions& options, uint32_t classes, uint32_t dc);

// A permutation of 0..n-1 fixed by `seed` (the same on every platform).
std::vector<size_t> SeededPermutation(size_t n, uint64_t seed);

// Every DC's share: indices into `labels`, disjoint, together all of them.
// REQUIRES: CheckPartitionOptions ok, every label in [0, classes).
std::vector<std::vector<size_t>> SplitAmongDcs(std::span<const int32_t> labels, uint32_t classes,
                                               const PartitionOptions& options);

// Worker part `part` of `parts` of a share. REQUIRES: part < parts.
std::vector<size_t> PartOfShare(std::span<const size_t> share, uint32_t part, uint32_t parts);

// counts[g][c]: images of class c in group g (a DC's share, a part).
std::vector<std::vector<uint64_t>> ClassHistogram(const std::vector<std::vector<size_t>>& groups,
                                                  std::span<const int32_t> labels,
                                                  uint32_t classes);

// A table for logs, one row per group ("dc 0: 6000 6000 0 ... = 12000").
std::string FormatClassHistogram(const std::vector<std::vector<uint64_t>>& counts,
                                 const std::string& row_name = "dc");

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_PARTITION_H_
