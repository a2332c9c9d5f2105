#include "apps/common/convergence.h"

#include <vector>

#include "gtest/gtest.h"

namespace gaia::apps {
namespace {

TEST(ConvergedAt, FollowsTheTwoPercentRule) {
  const std::vector<double> obj = {100, 90, 80, 70, 60, 50, 45, 44, 43.5, 43.2, 43.1, 43.0};
  EXPECT_FALSE(ConvergedAt(obj, 10, 0.02).has_value());
  std::vector<double> flat(15, 10.0);
  flat[0] = 100;
  EXPECT_EQ(ConvergedAt(flat, 10, 0.02), 11u);
}

TEST(ConvergedAt, FirstIndexWithinToleranceOfWindowAgo) {
  const std::vector<double> obj = {100, 90, 80, 79.5, 79.4, 79.39};
  EXPECT_EQ(ConvergedAt(obj, 2, 0.01), 4u);  // |79.4 - 80| < 0.8
  EXPECT_EQ(ConvergedAt(obj, 2, 0.0001), std::nullopt);
  EXPECT_EQ(ConvergedAt(std::vector<double>{}, 2, 0.5), std::nullopt);
}

}  // namespace
}  // namespace gaia::apps
