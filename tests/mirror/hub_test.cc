// Hub forwarding's walk over a received batch (src/mirror/hub.h).
#include "src/mirror/hub.h"

#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "src/common/packing.h"

namespace gaia::mirror {
namespace {

struct Row {
  uint32_t dc;
  bool relayed;
  uint32_t table;
  uint64_t row;
  std::vector<uint32_t> cols;
  std::vector<float> vals;
};

TEST(Hub, EveryRowAndClockGoesToEveryTargetButClocksNotBackToTheirOrigin) {
  rpc::MirrorBatch batch;
  rpc::TableDelta* delta = batch.add_updates();
  delta->set_table_id(1);
  common::AppendPacked<uint64_t>(delta->mutable_dense_row_ids(), 6);
  for (float v : {1.0f, 2.0f, 3.0f}) common::AppendPacked<float>(delta->mutable_dense_values(), v);
  common::AppendPacked<uint64_t>(delta->mutable_sparse_row_ids(), 9);
  common::AppendPacked<uint32_t>(delta->mutable_sparse_row_nnz(), 1);
  common::AppendPacked<uint32_t>(delta->mutable_sparse_entries(), 2);
  common::AppendPacked<float>(delta->mutable_sparse_entries(), -4.0f);
  for (uint32_t origin : {2u, 0u}) {
    rpc::MirrorClock* clock = batch.add_clocks();
    clock->set_origin_dc(origin);
    clock->set_clock(5);
  }
  const std::vector<Overlay::Forward> targets = {{2, true}, {3, true}};
  const std::vector<uint32_t> widths = {1, 3};
  std::vector<Row> rows;
  std::vector<std::tuple<uint32_t, uint32_t, int64_t>> clocks;
  ForwardThroughHub(
      targets, batch, widths,
      [&](const Overlay::Forward& to, uint32_t table, uint64_t row, std::span<const uint32_t> cols,
          std::span<const float> vals) {
        rows.push_back({to.dc, to.relayed, table, row, {cols.begin(), cols.end()},
                        {vals.begin(), vals.end()}});
      },
      [&](const Overlay::Forward& to, uint32_t origin, int64_t clock) {
        clocks.emplace_back(to.dc, origin, clock);
      });
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].dc, 2u);
  EXPECT_TRUE(rows[0].relayed);
  EXPECT_EQ(rows[0].row, 6u);
  EXPECT_EQ(rows[0].cols, (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_EQ(rows[0].vals, (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(rows[3].dc, 3u);
  EXPECT_EQ(rows[3].row, 9u);
  EXPECT_EQ(rows[3].cols, (std::vector<uint32_t>{2}));
  EXPECT_EQ(rows[3].vals, (std::vector<float>{-4}));
  // Origin 2's clock goes to dc 3 only; origin 0's to both.
  EXPECT_EQ(clocks, (std::vector<std::tuple<uint32_t, uint32_t, int64_t>>{
                        {3, 2, 5}, {2, 0, 5}, {3, 0, 5}}));
}

TEST(Hub, NoTargetsNoCalls) {
  rpc::MirrorBatch batch;
  batch.add_clocks()->set_origin_dc(1);
  int calls = 0;
  ForwardThroughHub(
      {}, batch, {},
      [&](const Overlay::Forward&, uint32_t, uint64_t, std::span<const uint32_t>,
          std::span<const float>) { ++calls; },
      [&](const Overlay::Forward&, uint32_t, int64_t) { ++calls; });
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace gaia::mirror
