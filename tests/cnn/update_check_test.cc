// A non-finite weight change is refused before it is pushed, with the clock,
// the parameter block and the element named.
#include "apps/cnn/update_check.h"

#include <cmath>
#include <limits>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gaia::cnn {
namespace {

using ::testing::HasSubstr;

const std::vector<ParamBlock> kLayout = {{"conv1.weight", 0, 4, true},
                                         {"conv1.bias", 4, 2, true},
                                         {"norm1.running_mean", 6, 2, false}};

TEST(UpdateCheck, FiniteUpdatePasses) {
  std::vector<float> update(8, 0.5f);
  EXPECT_TRUE(CheckUpdateFinite(update, kLayout, 3).ok());
}

TEST(UpdateCheck, NanNamesClockBlockAndElement) {
  std::vector<float> update(8, 0.0f);
  update[5] = std::nanf("");
  const absl::Status s = CheckUpdateFinite(update, kLayout, 12);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("clock 12"));
  EXPECT_THAT(s.message(), HasSubstr("conv1.bias at element 1 of 2"));
  EXPECT_THAT(s.message(), HasSubstr("nan"));
  EXPECT_THAT(s.message(), HasSubstr("not pushed"));
}

TEST(UpdateCheck, InfinitiesAreNamedWithTheirSign) {
  std::vector<float> update(8, 0.0f);
  update[7] = -std::numeric_limits<float>::infinity();
  EXPECT_THAT(CheckUpdateFinite(update, kLayout, 0).message(),
              HasSubstr("norm1.running_mean at element 1 of 2 is -inf"));
  update[7] = 0;
  update[0] = std::numeric_limits<float>::infinity();
  EXPECT_THAT(CheckUpdateFinite(update, kLayout, 0).message(),
              HasSubstr("conv1.weight at element 0 of 4 is inf"));
}

TEST(UpdateCheck, ElementPastEveryBlockIsNamedByOffset) {
  std::vector<float> update(10, 0.0f);
  update[9] = std::nanf("");
  EXPECT_THAT(CheckUpdateFinite(update, kLayout, 1).message(),
              HasSubstr("element 9 of the parameter vector"));
}

}  // namespace
}  // namespace gaia::cnn
