#include "apps/common/table_shape.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gaia::apps {
namespace {

using ::testing::HasSubstr;

TEST(TableShape, AcceptsATableThatFits) {
  TableNeeds needs;
  needs.name = "R";
  needs.width = 16;
  needs.min_rows = 1000;
  EXPECT_TRUE(CheckTableShape({"R", 16, 1000}, needs).ok());
  EXPECT_TRUE(CheckTableShape({"R", 16, 5000}, needs).ok()) << "more rows are fine";
  needs.width = 0;
  needs.min_rows = 0;
  EXPECT_TRUE(CheckTableShape({"R", 3, 0}, needs).ok()) << "0 = any";
}

TEST(TableShape, WrongWidthNamesTheTableBothWidthsAndTheFlag) {
  TableNeeds needs;
  needs.name = "R";
  needs.width = 8;
  needs.width_source = "--rank=8";
  absl::Status s = CheckTableShape({"R", 4, 120}, needs);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("table 'R' has width 4 but --rank=8 needs width 8"));
  needs.width_source = "";
  EXPECT_THAT(CheckTableShape({"R", 4, 120}, needs).message(),
              HasSubstr("but the app needs width 8"));
}

TEST(TableShape, TooFewRowsSaysWhyMoreAreNeeded) {
  TableNeeds needs;
  needs.name = "R";
  needs.width = 4;
  needs.min_rows = 500;
  needs.rows_source = "the data has item id 499";
  absl::Status s = CheckTableShape({"R", 4, 120}, needs);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("table 'R' has only 120 rows but the data has item "
                                     "id 499 (needs >= 500)"));
}

}  // namespace
}  // namespace gaia::apps
