// ParamRows: the model's flat parameter vector over table rows, and the
// split of one DC's push into its workers' shares.
#include "apps/cnn/param_rows.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gaia::cnn {
namespace {

using ::testing::ElementsAre;

TEST(ParamRows, RowsCoverEveryParameterWithTheLastRowPartlyUsed) {
  const ParamRows rows(1000, 256);
  EXPECT_EQ(rows.rows(), 4u);
  EXPECT_EQ(rows.padded_size(), 1024u);
  EXPECT_THAT(rows.AllRows(), ElementsAre(0u, 1u, 2u, 3u));
  EXPECT_EQ(ParamRows(1024, 256).rows(), 4u);
  EXPECT_EQ(ParamRows(1025, 256).rows(), 5u);
  EXPECT_EQ(ParamRows(0, 256).rows(), 0u);
}

TEST(ParamRows, SharesAreContiguousBalancedAndCoverEveryRowOnce) {
  for (size_t params : {1u, 7u, 1000u, 215418u}) {
    for (uint32_t ranks = 1; ranks <= 9; ++ranks) {
      const ParamRows rows(params, 100);
      uint64_t next = 0, smallest = ~uint64_t{0}, largest = 0;
      for (uint32_t r = 0; r < ranks; ++r) {
        const RowRange share = rows.Share(r, ranks);
        EXPECT_EQ(share.begin, next) << params << " params, rank " << r << " of " << ranks;
        next = share.end;
        smallest = std::min(smallest, share.size());
        largest = std::max(largest, share.size());
      }
      EXPECT_EQ(next, rows.rows());
      EXPECT_LE(largest - smallest, 1u);
    }
  }
}

TEST(ParamRows, RowIdsListARange) {
  EXPECT_THAT(ParamRows(10, 2).RowIds({2, 5}), ElementsAre(2u, 3u, 4u));
  EXPECT_TRUE(ParamRows(10, 2).RowIds({3, 3}).empty());
}

}  // namespace
}  // namespace gaia::cnn
