// Outbox (src/mirror/outbox.h): coalescing, lanes, clock and barrier
// ordering, cancelled entries, byte accounting.
#include "src/mirror/outbox.h"

#include <compare>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "src/common/packing.h"
#include "src/common/process_memory.h"

namespace gaia::mirror {
namespace {

// One (table, row, column) -> value entry of a sealed batch.
struct Element {
  uint32_t table;
  uint64_t row;
  uint32_t col;
  auto operator<=>(const Element&) const = default;
};

// Decodes the updates of a batch, sparse and dense parts (a dense zero is
// "nothing queued"); widths[t] is table t's width. Fails the test on a
// malformed one.
std::map<Element, float> Elements(const rpc::MirrorBatch& batch,
                                  const std::vector<uint32_t>& widths) {
  std::map<Element, float> out;
  auto add = [&out](Element element, float value) {
    const bool inserted = out.emplace(element, value).second;
    EXPECT_TRUE(inserted) << "element sent twice in one batch";
  };
  for (const rpc::TableDelta& delta : batch.updates()) {
    EXPECT_LT(delta.table_id(), widths.size());
    if (delta.table_id() >= widths.size()) continue;
    const uint32_t width = widths[delta.table_id()];
    const std::vector<uint64_t> dense_rows = common::Unpack<uint64_t>(delta.dense_row_ids());
    const std::vector<float> dense = common::Unpack<float>(delta.dense_values());
    EXPECT_EQ(dense.size(), dense_rows.size() * width);
    for (size_t r = 0; r < dense_rows.size(); ++r) {
      for (uint32_t c = 0; c < width && r * width + c < dense.size(); ++c) {
        const float value = dense[r * width + c];
        if (value != 0.0f) add({delta.table_id(), dense_rows[r], c}, value);
      }
    }
    const std::vector<uint64_t> rows = common::Unpack<uint64_t>(delta.sparse_row_ids());
    const std::vector<uint32_t> nnz = common::Unpack<uint32_t>(delta.sparse_row_nnz());
    EXPECT_EQ(rows.size(), nnz.size());
    const std::string& entries = delta.sparse_entries();
    size_t e = 0;
    for (size_t r = 0; r < rows.size() && r < nnz.size(); ++r) {
      for (uint32_t i = 0; i < nnz[r]; ++i, ++e) {
        EXPECT_LE((e + 1) * 8, entries.size());
        if ((e + 1) * 8 > entries.size()) return out;
        uint32_t col;
        float value;
        std::memcpy(&col, entries.data() + e * 8, 4);
        std::memcpy(&value, entries.data() + e * 8 + 4, 4);
        EXPECT_NE(value, 0.0f) << "a zero sent sparse";
        add({delta.table_id(), rows[r], col}, value);
      }
    }
    EXPECT_EQ(e * 8, entries.size());
  }
  return out;
}

// Every row id a batch carries, sparse or dense.
std::set<uint64_t> RowIds(const rpc::MirrorBatch& batch) {
  std::set<uint64_t> rows;
  for (const rpc::TableDelta& delta : batch.updates()) {
    for (uint64_t row : common::Unpack<uint64_t>(delta.sparse_row_ids())) rows.insert(row);
    for (uint64_t row : common::Unpack<uint64_t>(delta.dense_row_ids())) rows.insert(row);
  }
  return rows;
}

// Seals until empty (bounded), returning every batch.
std::vector<rpc::MirrorBatch> Drain(Outbox& outbox, size_t max_bytes) {
  std::vector<rpc::MirrorBatch> batches;
  for (int i = 0; i < 1000; ++i) {
    std::optional<rpc::MirrorBatch> batch = outbox.Seal(max_bytes);
    if (!batch) return batches;
    batches.push_back(std::move(*batch));
  }
  ADD_FAILURE() << "outbox never drained";
  return batches;
}

TEST(Outbox, CoalescesTheSameElement) {
  Outbox outbox({4, 2});
  const std::vector<uint32_t> cols = {1, 3};
  outbox.AddRow(false, 0, 7, cols, std::vector<float>{0.5f, 1.0f});
  outbox.AddRow(false, 0, 7, std::vector<uint32_t>{1}, std::vector<float>{0.25f});
  outbox.AddRow(false, 1, 7, std::vector<uint32_t>{0}, std::vector<float>{2.0f});
  EXPECT_EQ(outbox.queued_rows(), 2u);  // (0, 7) and (1, 7)
  EXPECT_GT(outbox.queued_bytes(), 0u);
  EXPECT_FALSE(outbox.empty());

  const std::vector<rpc::MirrorBatch> batches = Drain(outbox, 1 << 20);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].seq(), 0u);
  EXPECT_FALSE(batches[0].relayed());
  const std::map<Element, float> got = Elements(batches[0], {4, 2});
  const std::map<Element, float> want = {
      {{0, 7, 1}, 0.75f}, {{0, 7, 3}, 1.0f}, {{1, 7, 0}, 2.0f}};
  EXPECT_EQ(got, want);
  EXPECT_EQ(outbox.queued_bytes(), 0u);
  EXPECT_EQ(outbox.queued_rows(), 0u);
  EXPECT_TRUE(outbox.empty());
}

TEST(Outbox, OneLanePerBatchFlaggedCorrectly) {
  Outbox outbox({2});
  for (uint64_t row = 0; row < 6; ++row) {
    // Even rows are the sender's own, odd rows relayed into the group.
    outbox.AddRow(row % 2 == 1, 0, row, std::vector<uint32_t>{0},
                  std::vector<float>{static_cast<float>(row + 1)});
  }
  // The same element in both lanes stays apart: each lane is its own stream.
  outbox.AddRow(true, 0, 0, std::vector<uint32_t>{1}, std::vector<float>{9.0f});

  const std::vector<rpc::MirrorBatch> batches = Drain(outbox, 1 << 20);
  ASSERT_EQ(batches.size(), 2u);
  std::set<bool> lanes;
  for (const rpc::MirrorBatch& batch : batches) {
    lanes.insert(batch.relayed());
    for (const auto& [element, value] : Elements(batch, {2})) {
      if (element.row == 0 && element.col == 1) {
        EXPECT_TRUE(batch.relayed());
        EXPECT_EQ(value, 9.0f);
        continue;
      }
      EXPECT_EQ(batch.relayed(), element.row % 2 == 1) << "row " << element.row;
      EXPECT_EQ(value, static_cast<float>(element.row + 1));
    }
  }
  EXPECT_EQ(lanes, (std::set<bool>{false, true}));
  EXPECT_EQ(outbox.queued_bytes(), 0u);
}

TEST(Outbox, ClocksFollowEveryQueuedRow) {
  Outbox outbox({3});
  constexpr uint64_t kRows = 20;
  for (uint64_t row = 0; row < kRows; ++row) {
    outbox.AddRow(false, 0, row, std::vector<uint32_t>{static_cast<uint32_t>(row % 3)},
                  std::vector<float>{1.0f + static_cast<float>(row)});
  }
  outbox.AddClock(false, /*origin=*/0, 3);
  outbox.AddClock(false, /*origin=*/2, 4);
  outbox.AddClock(false, /*origin=*/0, 5);  // replaces 3
  // About two rows (20 bytes each) per batch.
  const std::vector<rpc::MirrorBatch> batches = Drain(outbox, 40);
  ASSERT_GE(batches.size(), 5u);
  std::set<uint64_t> rows;
  for (size_t i = 0; i < batches.size(); ++i) {
    const bool last = i + 1 == batches.size();
    if (!last) {
      EXPECT_EQ(batches[i].clocks_size(), 0) << "clock overtook rows in batch " << i;
    }
    for (const auto& [element, value] : Elements(batches[i], {3})) {
      EXPECT_TRUE(rows.insert(element.row).second) << "row " << element.row << " sent twice";
      EXPECT_EQ(value, 1.0f + static_cast<float>(element.row));
    }
  }
  EXPECT_EQ(rows.size(), kRows);
  const rpc::MirrorBatch& last = batches.back();
  std::map<uint32_t, int64_t> clocks;
  for (const rpc::MirrorClock& c : last.clocks()) {
    EXPECT_TRUE(clocks.emplace(c.origin_dc(), c.clock()).second) << "origin twice";
  }
  EXPECT_EQ(clocks, (std::map<uint32_t, int64_t>{{0, 5}, {2, 4}}));
  EXPECT_EQ(outbox.queued_bytes(), 0u);
  EXPECT_TRUE(outbox.empty());

  // A clock alone is a batch of its own.
  outbox.AddClock(false, 1, 9);
  const std::vector<rpc::MirrorBatch> alone = Drain(outbox, 40);
  ASSERT_EQ(alone.size(), 1u);
  EXPECT_EQ(alone[0].updates_size(), 0);
  ASSERT_EQ(alone[0].clocks_size(), 1);
  EXPECT_EQ(alone[0].clocks(0).origin_dc(), 1u);
  EXPECT_EQ(alone[0].clocks(0).clock(), 9);
}

// A hub forwards what arrives in a batch not marked relayed, clocks
// included: a clock of this group must never ride in a relayed batch, or the
// other groups' DS bound waits for it (seen as an 11-DC hub job stalling).
TEST(Outbox, AClockTravelsInTheLaneOfItsUpdates) {
  Outbox outbox({1});
  outbox.AddRow(false, 0, 1, std::vector<uint32_t>{0}, std::vector<float>{1.0f});
  outbox.AddClock(/*relayed=*/false, /*origin=*/0, 7);
  outbox.AddRow(true, 0, 2, std::vector<uint32_t>{0}, std::vector<float>{2.0f});
  outbox.AddClock(/*relayed=*/true, /*origin=*/5, 6);
  const std::vector<rpc::MirrorBatch> batches = Drain(outbox, 1 << 20);
  std::map<uint32_t, bool> clock_lane;  // origin -> relayed
  for (const rpc::MirrorBatch& batch : batches) {
    for (const rpc::MirrorClock& c : batch.clocks()) clock_lane[c.origin_dc()] = batch.relayed();
  }
  EXPECT_EQ(clock_lane, (std::map<uint32_t, bool>{{0, false}, {5, true}}));

  // Own lane empty, relayed rows queued after the own clock: the own clock
  // goes in a batch of its own lane, not with the relayed rows.
  outbox.AddClock(false, 0, 8);
  outbox.AddRow(true, 0, 3, std::vector<uint32_t>{0}, std::vector<float>{3.0f});
  for (const rpc::MirrorBatch& batch : Drain(outbox, 1 << 20)) {
    for (const rpc::MirrorClock& c : batch.clocks()) {
      EXPECT_FALSE(batch.relayed()) << "clock of origin " << c.origin_dc() << " in a relayed batch";
    }
  }
  EXPECT_TRUE(outbox.empty());
}

// After a reconnect the latest clock of each origin goes again, in its own
// lane and behind what is queued, for a peer that may have restarted.
TEST(Outbox, RepeatClocksQueuesTheLatestOfEachOriginAgain) {
  Outbox outbox({1});
  outbox.RepeatClocks();
  EXPECT_TRUE(outbox.empty()) << "nothing added, nothing to repeat";
  outbox.AddClock(false, 0, 3);
  outbox.AddClock(false, 0, 7);
  outbox.AddClock(true, 5, 6);
  Drain(outbox, 1 << 20);
  ASSERT_TRUE(outbox.empty());

  outbox.AddRow(false, 0, 1, std::vector<uint32_t>{0}, std::vector<float>{1.0f});
  outbox.RepeatClocks();
  std::map<uint32_t, std::pair<int64_t, bool>> clocks;  // origin -> (clock, relayed)
  bool own_clock_sent = false;  // a batch's clocks are in effect after its rows
  for (const rpc::MirrorBatch& batch : Drain(outbox, 1 << 20)) {
    if (batch.updates_size() > 0) {
      EXPECT_FALSE(own_clock_sent) << "a row after the clock";
    }
    for (const rpc::MirrorClock& c : batch.clocks()) {
      clocks[c.origin_dc()] = {c.clock(), batch.relayed()};
      if (c.origin_dc() == 0) own_clock_sent = true;
    }
  }
  EXPECT_EQ(clocks, (std::map<uint32_t, std::pair<int64_t, bool>>{{0, {7, false}},
                                                                   {5, {6, true}}}));
  EXPECT_TRUE(outbox.empty());
}

TEST(Outbox, BarriersThroughOnTheBatchThatEmptiesIt) {
  Outbox outbox({1});
  for (uint64_t row = 0; row < 10; ++row) {
    outbox.AddRow(false, 0, row, std::vector<uint32_t>{0}, std::vector<float>{1.0f});
  }
  EXPECT_EQ(outbox.NextBarrierId(), 1u);
  EXPECT_EQ(outbox.NextBarrierId(), 2u);
  const std::vector<rpc::MirrorBatch> batches = Drain(outbox, 40);
  ASSERT_GE(batches.size(), 3u);
  for (size_t i = 0; i + 1 < batches.size(); ++i) {
    EXPECT_EQ(batches[i].barriers_through(), 0u) << "batch " << i << " released too early";
  }
  EXPECT_EQ(batches.back().barriers_through(), 2u);
  EXPECT_TRUE(outbox.empty());

  // A barrier with nothing queued is released by a batch of its own, once.
  EXPECT_EQ(outbox.NextBarrierId(), 3u);
  EXPECT_FALSE(outbox.empty());
  const std::vector<rpc::MirrorBatch> release = Drain(outbox, 40);
  ASSERT_EQ(release.size(), 1u);
  EXPECT_EQ(release[0].barriers_through(), 3u);
  EXPECT_EQ(release[0].updates_size(), 0);
  EXPECT_TRUE(outbox.empty());
  EXPECT_FALSE(outbox.Seal(40).has_value());
}

// Rows leave oldest first, and a barrier is released by the batch carrying
// the last row queued before it, even while newer rows keep the outbox busy.
TEST(Outbox, BarrierReleasedOnceItsRowsAreOutNotWhenTheOutboxEmpties) {
  Outbox outbox({1});
  for (uint64_t row = 0; row < 5; ++row) {
    outbox.AddRow(false, 0, row, std::vector<uint32_t>{0}, std::vector<float>{1.0f});
  }
  EXPECT_EQ(outbox.NextBarrierId(), 1u);
  for (uint64_t row = 5; row < 10; ++row) {
    outbox.AddRow(false, 0, row, std::vector<uint32_t>{0}, std::vector<float>{1.0f});
  }
  // Row 2 again: it keeps its place in the queue.
  outbox.AddRow(false, 0, 2, std::vector<uint32_t>{0}, std::vector<float>{1.0f});
  EXPECT_EQ(outbox.NextBarrierId(), 2u);
  std::vector<uint64_t> order;
  uint64_t released_after_row = 0;
  for (int i = 0; i < 100; ++i) {
    std::optional<rpc::MirrorBatch> batch = outbox.Seal(10);  // one row per batch
    if (!batch) break;
    const std::set<uint64_t> rows = RowIds(*batch);
    ASSERT_EQ(rows.size(), 1u);
    order.push_back(*rows.begin());
    if (batch->barriers_through() == 1) released_after_row = order.back();
    if (order.back() == 2) {
      EXPECT_EQ(Elements(*batch, {1}).at({0, 2, 0}), 2.0f);
    }
  }
  EXPECT_EQ(order, (std::vector<uint64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(released_after_row, 4u);  // with row 4, not at the end
  EXPECT_TRUE(outbox.empty());
}

// A long-running queue compacts what it has sent and keeps its order.
TEST(Outbox, StaysInOrderAcrossCompaction) {
  Outbox outbox({2});
  uint64_t next_row = 0, expect = 0;
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 700; ++i, ++next_row) {
      outbox.AddRow(false, 0, next_row, std::vector<uint32_t>{0, 1},
                    std::vector<float>{1.0f, static_cast<float>(next_row + 1)});
    }
    for (int i = 0; i < 500; ++i) {
      std::optional<rpc::MirrorBatch> batch = outbox.Seal(10);  // one dense row
      ASSERT_TRUE(batch.has_value());
      const std::map<Element, float> got = Elements(*batch, {2});
      ASSERT_EQ(got.size(), 2u);
      ASSERT_EQ(got.begin()->first.row, expect);
      ASSERT_EQ(got.rbegin()->second, static_cast<float>(expect + 1));
      ++expect;
    }
  }
  for (const rpc::MirrorBatch& batch : Drain(outbox, 1 << 20)) {
    for (uint64_t row : RowIds(batch)) EXPECT_EQ(row, expect++);
  }
  EXPECT_EQ(expect, next_row);
}

TEST(Outbox, CancelledEntriesAreNotSent) {
  Outbox outbox({2});
  outbox.AddRow(false, 0, 3, std::vector<uint32_t>{0, 1}, std::vector<float>{1.0f, 2.0f});
  outbox.AddRow(false, 0, 3, std::vector<uint32_t>{0}, std::vector<float>{-1.0f});
  outbox.AddRow(false, 0, 4, std::vector<uint32_t>{1}, std::vector<float>{0.5f});
  outbox.AddRow(false, 0, 4, std::vector<uint32_t>{1}, std::vector<float>{-0.5f});
  const std::vector<rpc::MirrorBatch> batches = Drain(outbox, 1 << 20);
  ASSERT_EQ(batches.size(), 1u);
  const std::map<Element, float> want = {{{0, 3, 1}, 2.0f}};
  EXPECT_EQ(Elements(batches[0], {2}), want);
  EXPECT_EQ(RowIds(batches[0]), std::set<uint64_t>{3});  // row 4 is not sent at all
  EXPECT_EQ(outbox.queued_bytes(), 0u);

  // Only cancelled rows queued: nothing to send.
  outbox.AddRow(true, 0, 5, std::vector<uint32_t>{0}, std::vector<float>{0.25f});
  outbox.AddRow(true, 0, 5, std::vector<uint32_t>{0}, std::vector<float>{-0.25f});
  EXPECT_FALSE(outbox.Seal(1 << 20).has_value());
  EXPECT_EQ(outbox.queued_bytes(), 0u);
  EXPECT_EQ(outbox.queued_rows(), 0u);
  EXPECT_TRUE(outbox.empty());
}

// A row mostly queued goes dense (DESIGN: smaller than (column, value)
// pairs); the values are the same either way.
TEST(Outbox, MostlyFullRowGoesDenseWithTheSameValues) {
  Outbox outbox({4});
  outbox.AddRow(false, 0, 2, std::vector<uint32_t>{0, 1, 2}, std::vector<float>{1, 2, 3});
  outbox.AddRow(false, 0, 6, std::vector<uint32_t>{3}, std::vector<float>{4});
  const std::vector<rpc::MirrorBatch> batches = Drain(outbox, 1 << 20);
  ASSERT_EQ(batches.size(), 1u);
  const std::map<Element, float> want = {
      {{0, 2, 0}, 1.0f}, {{0, 2, 1}, 2.0f}, {{0, 2, 2}, 3.0f}, {{0, 6, 3}, 4.0f}};
  EXPECT_EQ(Elements(batches[0], {4}), want);
  ASSERT_EQ(batches[0].updates_size(), 1);
  EXPECT_EQ(common::Unpack<uint64_t>(batches[0].updates(0).dense_row_ids()),
            std::vector<uint64_t>{2});
  EXPECT_EQ(common::Unpack<uint64_t>(batches[0].updates(0).sparse_row_ids()),
            std::vector<uint64_t>{6});
  EXPECT_EQ(outbox.packed_elements(), 4u + 1u);  // the dense row counts its width
  EXPECT_EQ(outbox.queued_bytes(), 0u);
}

TEST(Outbox, ColumnsInAnyOrderAndRepeatedSumIntoTheQueuedRow) {
  Outbox outbox({8});
  outbox.AddRow(false, 0, 3, std::vector<uint32_t>{2, 6}, std::vector<float>{1, 1});
  // Out of order, column 5 twice, columns 2 and 6 again, 0 new.
  outbox.AddRow(false, 0, 3, std::vector<uint32_t>{6, 5, 0, 5, 2},
                std::vector<float>{0.5f, 2, 4, 0.25f, -1});
  // 2 cancelled to 0: still counted as queued, never sent.
  EXPECT_EQ(outbox.queued_bytes(), Outbox::kQueuedRowBytes + 4 * Outbox::kQueuedEntryBytes);
  const std::vector<rpc::MirrorBatch> batches = Drain(outbox, 1 << 20);
  ASSERT_EQ(batches.size(), 1u);
  const std::map<Element, float> want = {
      {{0, 3, 0}, 4.0f}, {{0, 3, 5}, 2.25f}, {{0, 3, 6}, 1.5f}};
  EXPECT_EQ(Elements(batches[0], {8}), want);
  EXPECT_EQ(outbox.queued_bytes(), 0u);
}

// A wide table whose rows each get a few columns (LDA's word-topic counts)
// costs the outbox what it queues, not the table's width per row: 4,096
// rows of width 2^16 with one column each would be 1 GiB as dense floats.
TEST(Outbox, MemoryFollowsQueuedColumnsNotTheRowWidth) {
  constexpr uint32_t kWidth = 1 << 16;
  constexpr uint64_t kRows = 4096;
  const uint64_t before = common::ResidentSetBytes();
  ASSERT_GT(before, 0u) << "/proc/self/statm unreadable";
  Outbox outbox({kWidth});
  for (uint64_t row = 0; row < kRows; ++row) {
    const uint32_t col = static_cast<uint32_t>(row * 7919 % kWidth);
    outbox.AddRow(false, 0, row, std::vector<uint32_t>{col}, std::vector<float>{1.0f});
  }
  const uint64_t after = common::ResidentSetBytes();
  const uint64_t grown = after > before ? after - before : 0;
  EXPECT_LT(grown, uint64_t{64} << 20) << "the outbox grew by " << grown << " bytes";
  EXPECT_EQ(outbox.queued_rows(), kRows);
  EXPECT_EQ(outbox.queued_bytes(), kRows * (Outbox::kQueuedRowBytes + Outbox::kQueuedEntryBytes));
  uint64_t sent = 0;
  for (const rpc::MirrorBatch& batch : Drain(outbox, 1 << 20)) {
    sent += Elements(batch, {kWidth}).size();
  }
  EXPECT_EQ(sent, kRows);
  EXPECT_TRUE(outbox.empty());
}

}  // namespace
}  // namespace gaia::mirror
