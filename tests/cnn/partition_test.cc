// DC shares and worker parts: sizes, disjointness, coverage, the class sets
// of the label split, and the option checks.
#include "apps/cnn/partition.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace gaia::cnn {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// n labels, class i % classes, so each class has n / classes images.
std::vector<int32_t> CyclicLabels(size_t n, uint32_t classes) {
  std::vector<int32_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<int32_t>(i % classes);
  return out;
}

// The groups are disjoint and together 0..n-1.
void ExpectDisjointCover(const std::vector<std::vector<size_t>>& groups, size_t n) {
  std::vector<int> seen(n, 0);
  for (const auto& g : groups) {
    for (size_t i : g) {
      ASSERT_LT(i, n);
      ++seen[i];
    }
  }
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(seen[i], 1) << "index " << i;
}

std::set<int32_t> ClassesOf(const std::vector<size_t>& share, const std::vector<int32_t>& labels) {
  std::set<int32_t> out;
  for (size_t i : share) out.insert(labels[i]);
  return out;
}

TEST(CnnPartition, SeededPermutationIsAPermutationFixedBySeed) {
  const std::vector<size_t> a = SeededPermutation(1000, 5);
  std::vector<size_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) ASSERT_EQ(sorted[i], i);
  EXPECT_EQ(a, SeededPermutation(1000, 5));
  EXPECT_NE(a, SeededPermutation(1000, 6));
  EXPECT_NE(a, sorted);
  // Fixed on every platform (splitmix64 Fisher-Yates, no std::shuffle): a
  // change here reshuffles every job's DC split.
  EXPECT_EQ(SeededPermutation(8, 1), (std::vector<size_t>{0, 3, 7, 1, 2, 6, 5, 4}));
  EXPECT_TRUE(SeededPermutation(0, 1).empty());
  EXPECT_EQ(SeededPermutation(1, 1), std::vector<size_t>{0});
}

TEST(CnnPartition, IidSharesAreEqualDisjointAndCovering) {
  const std::vector<int32_t> labels = CyclicLabels(1003, 10);
  const PartitionOptions o{.dcs = 4, .split = DcSplit::kIid, .seed = 9};
  ASSERT_TRUE(CheckPartitionOptions(o, 10).ok());
  const auto shares = SplitAmongDcs(labels, 10, o);
  ASSERT_EQ(shares.size(), 4u);
  for (const auto& s : shares) EXPECT_TRUE(s.size() == 250 || s.size() == 251) << s.size();
  ExpectDisjointCover(shares, labels.size());
  // Shuffled: every DC sees every class, and DC 0 is not the first quarter.
  for (const auto& s : shares) EXPECT_EQ(ClassesOf(s, labels).size(), 10u);
  EXPECT_NE(*std::max_element(shares[0].begin(), shares[0].end()), 250u);
  EXPECT_EQ(shares, SplitAmongDcs(labels, 10, o));
  EXPECT_THAT(DcClasses(o, 10, 3), ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
}

TEST(CnnPartition, LabelsFiveDcsTwoClassesEach) {
  const std::vector<int32_t> labels = CyclicLabels(6000, 10);
  const PartitionOptions o{.dcs = 5, .split = DcSplit::kLabels, .classes_per_dc = 2};
  ASSERT_TRUE(CheckPartitionOptions(o, 10).ok());
  const auto shares = SplitAmongDcs(labels, 10, o);
  ExpectDisjointCover(shares, labels.size());
  for (uint32_t d = 0; d < 5; ++d) {
    const std::set<int32_t> want = {static_cast<int32_t>(2 * d), static_cast<int32_t>(2 * d + 1)};
    EXPECT_EQ(ClassesOf(shares[d], labels), want) << "dc " << d;
    EXPECT_EQ(shares[d].size(), 1200u);
    const std::vector<uint32_t> dc_classes = DcClasses(o, 10, d);
    EXPECT_EQ(std::set<int32_t>(dc_classes.begin(), dc_classes.end()), want);
  }
  const auto h = ClassHistogram(shares, labels, 10);
  EXPECT_THAT(h[1], ElementsAre(0, 0, 600, 600, 0, 0, 0, 0, 0, 0));
  // The default classes_per_dc is 10 / 5.
  const PartitionOptions dflt{.dcs = 5, .split = DcSplit::kLabels};
  EXPECT_EQ(ClassesPerDc(dflt, 10), 2u);
  EXPECT_EQ(SplitAmongDcs(labels, 10, dflt), shares);
}

TEST(CnnPartition, LabelsTwoDcsFiveClassesEach) {
  const std::vector<int32_t> labels = CyclicLabels(1000, 10);
  const PartitionOptions o{.dcs = 2, .split = DcSplit::kLabels};
  ASSERT_TRUE(CheckPartitionOptions(o, 10).ok());
  EXPECT_EQ(ClassesPerDc(o, 10), 5u);
  const auto shares = SplitAmongDcs(labels, 10, o);
  ExpectDisjointCover(shares, labels.size());
  EXPECT_EQ(ClassesOf(shares[0], labels), (std::set<int32_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(ClassesOf(shares[1], labels), (std::set<int32_t>{5, 6, 7, 8, 9}));
  EXPECT_EQ(shares[0].size(), 500u);
  // In the share, classes interleave (P order), not one class after another.
  std::set<int32_t> first_ten;
  for (size_t j = 0; j < 10; ++j) first_ten.insert(labels[shares[0][j]]);
  EXPECT_GT(first_ten.size(), 1u);
}

TEST(CnnPartition, SharedClassesAreSplitEvenlyAmongTheirDcs) {
  // 3 DCs x 4 classes = 12 > 10: DC 0 {0..3}, DC 1 {4..7}, DC 2 {8, 9, 0, 1}.
  const std::vector<int32_t> labels = CyclicLabels(1001, 10);  // classes 0: 101, others 100
  const PartitionOptions o{.dcs = 3, .split = DcSplit::kLabels, .classes_per_dc = 4, .seed = 3};
  ASSERT_TRUE(CheckPartitionOptions(o, 10).ok());
  EXPECT_THAT(DcClasses(o, 10, 2), ElementsAre(0, 1, 8, 9));
  const auto shares = SplitAmongDcs(labels, 10, o);
  ExpectDisjointCover(shares, labels.size());
  EXPECT_EQ(ClassesOf(shares[0], labels), (std::set<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(ClassesOf(shares[1], labels), (std::set<int32_t>{4, 5, 6, 7}));
  EXPECT_EQ(ClassesOf(shares[2], labels), (std::set<int32_t>{0, 1, 8, 9}));
  const auto h = ClassHistogram(shares, labels, 10);
  // Class 0's 101 images: j = 0..50 (floor(j * 2 / 101) == 0) to DC 0.
  EXPECT_THAT(h[0], ElementsAre(51, 50, 100, 100, 0, 0, 0, 0, 0, 0));
  EXPECT_THAT(h[2], ElementsAre(50, 50, 0, 0, 0, 0, 0, 0, 100, 100));
  // More DCs than classes: 20 DCs x 1 class, each class in two DCs.
  const PartitionOptions many{.dcs = 20, .split = DcSplit::kLabels};
  ASSERT_TRUE(CheckPartitionOptions(many, 10).ok());
  const auto s20 = SplitAmongDcs(labels, 10, many);
  ExpectDisjointCover(s20, labels.size());
  for (uint32_t d = 0; d < 20; ++d) {
    EXPECT_EQ(ClassesOf(s20[d], labels), (std::set<int32_t>{static_cast<int32_t>(d % 10)}));
    EXPECT_GE(s20[d].size(), 50u);
  }
}

TEST(CnnPartition, OptionErrorsNameTheField) {
  EXPECT_THAT(std::string(CheckPartitionOptions({.dcs = 0}, 10).message()), HasSubstr("dcs=0"));
  const PartitionOptions too_few{.dcs = 5, .split = DcSplit::kLabels, .classes_per_dc = 1};
  EXPECT_THAT(std::string(CheckPartitionOptions(too_few, 10).message()),
              HasSubstr("classes_per_dc=1: 5 DCs x 1 classes leave 5 of the 10 classes in no "
                        "DC; need classes_per_dc >= 2"));
  const PartitionOptions too_many{.dcs = 2, .split = DcSplit::kLabels, .classes_per_dc = 11};
  EXPECT_THAT(std::string(CheckPartitionOptions(too_many, 10).message()),
              HasSubstr("classes_per_dc=11: more than the 10 classes"));
  const PartitionOptions iid{.dcs = 2, .split = DcSplit::kIid, .classes_per_dc = 3};
  EXPECT_THAT(std::string(CheckPartitionOptions(iid, 10).message()),
              HasSubstr("classes_per_dc=3: only split=labels takes it"));
}

TEST(CnnPartition, PartsOfAShareAreDisjointCoveringAndBalanced) {
  const std::vector<int32_t> labels = CyclicLabels(997, 10);
  const PartitionOptions o{.dcs = 2, .split = DcSplit::kLabels};
  const auto shares = SplitAmongDcs(labels, 10, o);
  for (uint32_t parts : {1u, 3u, 7u}) {
    std::vector<std::vector<size_t>> got;
    for (uint32_t p = 0; p < parts; ++p) got.push_back(PartOfShare(shares[1], p, parts));
    std::vector<size_t> all;
    for (const auto& g : got) {
      EXPECT_LE(g.size(), shares[1].size() / parts + 1);
      EXPECT_GE(g.size(), shares[1].size() / parts);
      all.insert(all.end(), g.begin(), g.end());
    }
    std::vector<size_t> want = shares[1];
    std::sort(all.begin(), all.end());
    std::sort(want.begin(), want.end());
    EXPECT_EQ(all, want) << parts << " parts";
    EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
  }
  EXPECT_TRUE(PartOfShare(shares[0], 3, 3).empty());  // part >= parts
}

TEST(CnnPartition, HistogramTableHasOneRowPerDc) {
  const std::string t = FormatClassHistogram({{5, 0}, {1, 2}});
  EXPECT_THAT(t, HasSubstr("dc   0            5      0        5\n"));
  EXPECT_THAT(t, HasSubstr("dc   1            1      2        3\n"));
}

}  // namespace
}  // namespace gaia::cnn
