// Comparing DC copies of a model (src/cli/model_io.h): what the launcher
// reports as dc_max_difference, and when it must refuse to report one.
#include "src/cli/model_io.h"

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace gaia::cli {
namespace {

// Three tables of different sizes, every value distinct.
Model ThreeTables() {
  Model model;
  model.values = {{1.0f, 2.0f, 3.0f, 4.0f}, {-0.5f, 0.25f}, {10.0f, 20.0f, 30.0f}};
  return model;
}

TEST(MaxAbsDifference, EqualCopiesDifferByZero) {
  const absl::StatusOr<double> diff = MaxAbsDifference(ThreeTables(), ThreeTables());
  ASSERT_TRUE(diff.ok()) << diff.status();
  EXPECT_EQ(*diff, 0.0);
}

TEST(MaxAbsDifference, IsTheLargestDifferenceOverEveryTable) {
  Model other = ThreeTables();
  other.values[0][1] += 0.5f;
  other.values[1][0] -= 0.125f;
  const absl::StatusOr<double> diff = MaxAbsDifference(ThreeTables(), other);
  ASSERT_TRUE(diff.ok()) << diff.status();
  EXPECT_DOUBLE_EQ(*diff, 0.5);
}

// A comparison that stopped at table 0 (or at any table before the last)
// would call these copies equal.
TEST(MaxAbsDifference, DifferenceOnlyInTheLastTableIsFound) {
  Model other = ThreeTables();
  other.values.back().back() += 2.0f;
  const absl::StatusOr<double> diff = MaxAbsDifference(ThreeTables(), other);
  ASSERT_TRUE(diff.ok()) << diff.status();
  EXPECT_DOUBLE_EQ(*diff, 2.0);
}

TEST(MaxAbsDifference, NanInEitherCopyIsAFailureNamingTheElement) {
  for (int which = 0; which < 2; ++which) {
    Model a = ThreeTables();
    Model b = ThreeTables();
    (which == 0 ? a : b).values[2][1] = std::numeric_limits<float>::quiet_NaN();
    const absl::StatusOr<double> diff = MaxAbsDifference(a, b);
    ASSERT_FALSE(diff.ok()) << "copy " << which << ": a NaN was reported as " << *diff;
    EXPECT_TRUE(absl::IsDataLoss(diff.status())) << diff.status();
    EXPECT_NE(diff.status().message().find("table 2 element 1"), std::string::npos)
        << diff.status();
    // One bad copy is a disagreement, not a divergence of the model.
    EXPECT_EQ(diff.status().message().find("diverged"), std::string::npos) << diff.status();
  }
  // NaN in the same place in both copies is no agreement either: the model
  // diverged, and the message says so.
  Model a = ThreeTables();
  a.values[0][0] = std::numeric_limits<float>::quiet_NaN();
  const absl::StatusOr<double> both = MaxAbsDifference(a, a);
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.status().message().find("the model diverged"), std::string::npos)
      << both.status();
}

TEST(MaxAbsDifference, InfinityIsAFailure) {
  Model a = ThreeTables();
  a.values[1][1] = std::numeric_limits<float>::infinity();
  EXPECT_TRUE(absl::IsDataLoss(MaxAbsDifference(a, a).status()));
}

TEST(MaxAbsDifference, DifferentTableCountsAreAFailure) {
  Model fewer = ThreeTables();
  fewer.values.pop_back();
  for (const auto& [a, b] : {std::pair{fewer, ThreeTables()}, std::pair{ThreeTables(), fewer}}) {
    const absl::StatusOr<double> diff = MaxAbsDifference(a, b);
    ASSERT_FALSE(diff.ok()) << "reported " << *diff;
    EXPECT_TRUE(absl::IsInvalidArgument(diff.status())) << diff.status();
  }
  EXPECT_FALSE(MaxAbsDifference(Model(), ThreeTables()).ok());
}

TEST(MaxAbsDifference, DifferentTableSizesAreAFailure) {
  // One row fewer, or one column more: the shared prefix still agrees.
  Model shorter = ThreeTables();
  shorter.values[1].pop_back();
  Model longer = ThreeTables();
  longer.values[2].push_back(40.0f);
  for (const Model& other : {shorter, longer}) {
    for (const auto& [a, b] : {std::pair{other, ThreeTables()}, std::pair{ThreeTables(), other}}) {
      const absl::StatusOr<double> diff = MaxAbsDifference(a, b);
      ASSERT_FALSE(diff.ok()) << "reported " << *diff;
      EXPECT_TRUE(absl::IsInvalidArgument(diff.status())) << diff.status();
    }
  }
}

}  // namespace
}  // namespace gaia::cli
