#include "src/common/initializer.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "src/common/job_spec.h"

namespace gaia::common {
namespace {

TableSpec Table(InitKind kind) {
  TableSpec t;
  t.name = "w";
  t.rows = 1000;
  t.width = 16;
  t.init = kind;
  return t;
}

std::vector<float> Row(const TableSpec& t, uint32_t table_id, uint64_t row, size_t width) {
  std::vector<float> out(width, -7.0f);
  InitializeRow(t, table_id, row, out);
  return out;
}

// Every element of rows [0, rows) of a table, width `width`.
std::vector<float> Sample(const TableSpec& t, uint64_t rows, size_t width) {
  std::vector<float> all;
  for (uint64_t r = 0; r < rows; ++r) {
    const std::vector<float> row = Row(t, 0, r, width);
    all.insert(all.end(), row.begin(), row.end());
  }
  return all;
}

TEST(Initializer, ZerosOverwritesEveryElement) {
  for (float v : Row(Table(InitKind::kZeros), 0, 5, 33)) EXPECT_EQ(v, 0.0f);
}

TEST(Initializer, DependsOnlyOnSeedTableRowAndColumn) {
  for (InitKind kind : {InitKind::kUniform, InitKind::kNormal}) {
    const TableSpec t = Table(kind);
    EXPECT_EQ(Row(t, 0, 42, 16), Row(t, 0, 42, 16));
    // Same element whatever the buffer width: shards agree on any slice.
    const std::vector<float> wide = Row(t, 0, 42, 16);
    const std::vector<float> narrow = Row(t, 0, 42, 4);
    EXPECT_TRUE(std::equal(narrow.begin(), narrow.end(), wide.begin()));
    EXPECT_NE(Row(t, 0, 42, 16), Row(t, 0, 43, 16));
    EXPECT_NE(Row(t, 0, 42, 16), Row(t, 1, 42, 16));
    TableSpec reseeded = t;
    reseeded.init_seed = 2;
    EXPECT_NE(Row(t, 0, 42, 16), Row(reseeded, 0, 42, 16));
    // Columns of one row differ (not one value broadcast).
    EXPECT_NE(wide[0], wide[1]);
  }
}

TEST(Initializer, UniformStaysInRangeAndCoversIt) {
  TableSpec t = Table(InitKind::kUniform);
  t.init_low = -2.0;
  t.init_high = 3.0;
  const std::vector<float> v = Sample(t, 4000, 16);  // 64000 values
  double sum = 0;
  for (float x : v) {
    ASSERT_GE(x, -2.0f);
    ASSERT_LE(x, 3.0f);
    sum += x;
  }
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  EXPECT_LT(*lo, -1.99f);
  EXPECT_GT(*hi, 2.99f);
  // Mean 0.5, standard error 5/sqrt(12 * 64000) ~ 0.0057.
  EXPECT_NEAR(sum / v.size(), 0.5, 0.03);
  // Each fifth of the range gets about a fifth of the values.
  std::vector<int> bins(5, 0);
  for (float x : v) ++bins[std::min(4, static_cast<int>(x + 2.0f))];
  for (int b : bins) EXPECT_NEAR(b, 64000 / 5, 64000 / 5 * 0.05);
}

TEST(Initializer, NormalHasTheRequestedMeanAndStddev) {
  TableSpec t = Table(InitKind::kNormal);
  t.init_mean = 1.5;
  t.init_stddev = 0.25;
  const std::vector<float> v = Sample(t, 4000, 16);
  double sum = 0, sq = 0;
  int within_one_sd = 0;
  for (float x : v) {
    ASSERT_TRUE(std::isfinite(x));
    sum += x;
    sq += static_cast<double>(x) * x;
    within_one_sd += std::abs(x - 1.5) < 0.25;
  }
  const double mean = sum / v.size();
  const double sd = std::sqrt(sq / v.size() - mean * mean);
  EXPECT_NEAR(mean, 1.5, 0.01);  // standard error ~0.001
  EXPECT_NEAR(sd, 0.25, 0.01);
  EXPECT_NEAR(static_cast<double>(within_one_sd) / v.size(), 0.6827, 0.02);
}

TEST(Initializer, NormalWithZeroStddevIsTheMean) {
  TableSpec t = Table(InitKind::kNormal);
  t.init_mean = -3.0;
  t.init_stddev = 0.0;
  for (float x : Row(t, 2, 9, 16)) EXPECT_EQ(x, -3.0f);
}

}  // namespace
}  // namespace gaia::common
