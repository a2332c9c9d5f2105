// Counts between the table (float32) and the sampler (integers), and the
// split of a clock's changes into sparse and dense rows.
#include "apps/lda/table_counts.h"

#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gaia::lda {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ToCounts, CopiesWholeNumbers) {
  const std::vector<float> in = {0, 3, -2, 16777216};
  const std::vector<uint64_t> rows = {5, 9};
  std::vector<int32_t> out(4);
  ASSERT_TRUE(ToCounts(in, rows, 2, "word_topic", std::span<int32_t>(out)).ok());
  EXPECT_THAT(out, ElementsAre(0, 3, -2, 16777216));
  std::vector<int64_t> wide(4);
  ASSERT_TRUE(ToCounts(in, rows, 2, "word_topic", std::span<int64_t>(wide)).ok());
  EXPECT_THAT(wide, ElementsAre(0, 3, -2, 16777216));
}

TEST(ToCounts, NamesTheRowAndColumnOfAnythingElse) {
  const std::vector<uint64_t> rows = {5, 9};
  std::vector<int32_t> out(4);
  for (float bad : {0.5f, std::nanf(""), 1e10f, -INFINITY}) {
    const std::vector<float> in = {1, 2, 3, bad};
    const absl::Status s = ToCounts(in, rows, 2, "word_topic", std::span<int32_t>(out));
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << bad;
    EXPECT_THAT(s.message(), HasSubstr("table word_topic row 9 column 1")) << bad;
  }
}

TEST(SplitRowDeltas, SparseWhenFewChangesDenseOtherwiseUnchangedRowsLeftOut) {
  // Width 4: a row with 1 change goes sparse (8 bytes < 16), 2 changes dense.
  const std::vector<int32_t> delta = {0, 0, 0, 0,    // row 10: nothing
                                      0, -1, 0, 0,   // row 11: one change
                                      1, 0, 0, -1};  // row 12: two changes
  const std::vector<uint64_t> rows = {10, 11, 12};
  const RowDeltas d = SplitRowDeltas(delta, rows, 4);
  EXPECT_EQ(d.changes, 3u);
  ASSERT_EQ(d.sparse.size(), 1u);
  EXPECT_EQ(d.sparse[0].row, 11u);
  EXPECT_THAT(d.sparse[0].cols, ElementsAre(1u));
  EXPECT_THAT(d.sparse[0].values, ElementsAre(-1.0f));
  EXPECT_THAT(d.dense_rows, ElementsAre(12u));
  EXPECT_THAT(d.dense_values, ElementsAre(1.0f, 0.0f, 0.0f, -1.0f));
}

}  // namespace
}  // namespace gaia::lda
