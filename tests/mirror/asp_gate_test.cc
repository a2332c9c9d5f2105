// AspGate (src/mirror/asp_gate.h, DESIGN.md §4.2.3-4): selective barriers
// and the DS bound on local reads.
#include "src/mirror/asp_gate.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "src/common/packing.h"

namespace gaia::mirror {
namespace {

using Hold = server::ReadGate::Hold;

std::string Rows(const std::vector<uint64_t>& rows) {
  std::string packed;
  for (uint64_t row : rows) common::AppendPacked<uint64_t>(&packed, row);
  return packed;
}

rpc::AspBarrier Barrier(uint64_t id, uint32_t table, const std::vector<uint64_t>& rows) {
  rpc::AspBarrier barrier;
  barrier.set_barrier_id(id);
  barrier.set_table_id(table);
  barrier.set_row_ids(Rows(rows));
  return barrier;
}

Hold::Kind KindOf(const AspGate& gate, uint32_t table, const std::vector<uint64_t>& rows,
                  int64_t shard_clock = 0) {
  return gate.Check(table, Rows(rows), shard_clock).kind;
}

TEST(AspGate, BarrierBlocksExactlyItsRows) {
  AspGate gate(/*self=*/0, /*num_dcs=*/3, /*ds=*/-1, /*barriers=*/true);
  EXPECT_EQ(KindOf(gate, 0, {5}), Hold::kNone);
  ASSERT_TRUE(gate.AddBarrier(1, Barrier(1, 0, {5, 6})));
  EXPECT_EQ(gate.blocked_rows(), 2u);

  const Hold hold = gate.Check(0, Rows({5}), 0);
  EXPECT_EQ(hold.kind, Hold::kBarrier);
  EXPECT_EQ(hold.peer, 1u);
  EXPECT_EQ(KindOf(gate, 0, {7, 6}), Hold::kBarrier);  // one blocked row is enough
  EXPECT_EQ(KindOf(gate, 0, {4, 7}), Hold::kNone);     // other rows
  EXPECT_EQ(KindOf(gate, 1, {5, 6}), Hold::kNone);     // other table
  EXPECT_EQ(KindOf(gate, 0, {}), Hold::kNone);

  EXPECT_EQ(gate.ReleaseBarriers(1, 0), 0u);            // nothing through 0
  EXPECT_EQ(gate.ReleaseBarriers(2, 1), 0u);            // another peer's ids
  EXPECT_EQ(KindOf(gate, 0, {5}), Hold::kBarrier);
  EXPECT_EQ(gate.ReleaseBarriers(1, 3), 2u);            // through >= id
  EXPECT_EQ(KindOf(gate, 0, {5, 6}), Hold::kNone);
  EXPECT_EQ(gate.blocked_rows(), 0u);
}

TEST(AspGate, ReleasedBarrierArrivingAgainIsIgnored) {
  AspGate gate(0, 2, -1, true);
  ASSERT_TRUE(gate.AddBarrier(1, Barrier(1, 0, {3})));
  ASSERT_TRUE(gate.AddBarrier(1, Barrier(2, 0, {4})));
  EXPECT_EQ(gate.ReleaseBarriers(1, 2), 2u);
  // A re-send after a reconnect, of ids already released.
  EXPECT_FALSE(gate.AddBarrier(1, Barrier(1, 0, {3})));
  EXPECT_FALSE(gate.AddBarrier(1, Barrier(2, 0, {9})));
  EXPECT_EQ(KindOf(gate, 0, {3, 4, 9}), Hold::kNone);
  EXPECT_EQ(gate.blocked_rows(), 0u);
  // A newer one still works.
  EXPECT_TRUE(gate.AddBarrier(1, Barrier(3, 0, {9})));
  EXPECT_EQ(KindOf(gate, 0, {9}), Hold::kBarrier);
  EXPECT_EQ(gate.ReleaseBarriers(1, 2), 0u);  // not past what was released
  EXPECT_EQ(KindOf(gate, 0, {9}), Hold::kBarrier);
}

TEST(AspGate, RowNamedByTwoBarriersStaysBlockedUntilBoth) {
  AspGate gate(0, 3, -1, true);
  ASSERT_TRUE(gate.AddBarrier(1, Barrier(1, 0, {5})));
  ASSERT_TRUE(gate.AddBarrier(1, Barrier(2, 0, {5, 8})));
  EXPECT_EQ(gate.blocked_rows(), 2u);
  EXPECT_EQ(gate.ReleaseBarriers(1, 1), 0u);  // row 5 still named by barrier 2
  EXPECT_EQ(KindOf(gate, 0, {5}), Hold::kBarrier);
  EXPECT_EQ(gate.ReleaseBarriers(1, 2), 2u);
  EXPECT_EQ(KindOf(gate, 0, {5}), Hold::kNone);

  // Two peers naming one row: each release lifts only its own barrier.
  ASSERT_TRUE(gate.AddBarrier(1, Barrier(3, 0, {11})));
  ASSERT_TRUE(gate.AddBarrier(2, Barrier(1, 0, {11})));
  EXPECT_EQ(gate.ReleaseBarriers(1, 3), 0u);
  EXPECT_EQ(KindOf(gate, 0, {11}), Hold::kBarrier);
  EXPECT_EQ(gate.ReleaseBarriers(2, 1), 1u);
  EXPECT_EQ(KindOf(gate, 0, {11}), Hold::kNone);
}

// A restarted sender numbers its barriers from 1 again and never releases
// its predecessor's.
TEST(AspGate, ForgetBarriersLiftsOnePeersBarriersAndRestartsItsIds) {
  AspGate gate(0, 3, -1, true);
  ASSERT_TRUE(gate.AddBarrier(1, Barrier(1, 0, {3})));
  ASSERT_EQ(gate.ReleaseBarriers(1, 1), 1u);
  ASSERT_TRUE(gate.AddBarrier(1, Barrier(2, 0, {4, 5})));
  ASSERT_TRUE(gate.AddBarrier(2, Barrier(1, 0, {5})));  // another peer's

  EXPECT_EQ(gate.ForgetBarriers(1), 1u);  // row 4; row 5 is still dc 2's
  EXPECT_EQ(KindOf(gate, 0, {4}), Hold::kNone);
  EXPECT_EQ(KindOf(gate, 0, {5}), Hold::kBarrier);
  EXPECT_EQ(gate.ForgetBarriers(7), 0u);  // unknown DC: nothing

  // Id 1 counts again for dc 1's new sender, released by its own batches.
  EXPECT_TRUE(gate.AddBarrier(1, Barrier(1, 0, {6})));
  EXPECT_EQ(KindOf(gate, 0, {6}), Hold::kBarrier);
  EXPECT_EQ(gate.ReleaseBarriers(1, 1), 1u);
  EXPECT_EQ(gate.ReleaseBarriers(2, 1), 1u);
  EXPECT_EQ(gate.blocked_rows(), 0u);
}

TEST(AspGate, BarriersOffBlockNothing) {
  AspGate gate(0, 2, -1, /*barriers=*/false);
  EXPECT_FALSE(gate.AddBarrier(1, Barrier(1, 0, {5})));
  EXPECT_EQ(KindOf(gate, 0, {5}), Hold::kNone);
  EXPECT_EQ(gate.blocked_rows(), 0u);
}

// Thesis §5.2.4: a DC stops reading once its clock is DS ahead of the
// slowest other DC's mirror clock (shard_clock - mirror_clock >= ds).
TEST(AspGate, DsBoundHoldsReadsOnceDsClocksAheadOfTheSlowestMirror) {
  AspGate gate(/*self=*/0, /*num_dcs=*/3, /*ds=*/2, /*barriers=*/false);
  EXPECT_EQ(KindOf(gate, 0, {1}, 0), Hold::kNone);
  EXPECT_EQ(KindOf(gate, 0, {1}, 1), Hold::kNone);  // 1 - 0 < ds
  Hold hold = gate.Check(0, Rows({1}), 2);          // 2 - 0 == ds
  EXPECT_EQ(hold.kind, Hold::kClock);
  EXPECT_EQ(KindOf(gate, 0, {1}, 3), Hold::kClock);  // 3 - 0 > ds

  gate.SetMirrorClock(1, 5);
  gate.SetMirrorClock(2, 3);
  EXPECT_EQ(KindOf(gate, 0, {1}, 4), Hold::kNone);  // 4 - 3 < ds
  hold = gate.Check(0, Rows({1}), 5);               // 5 - 3 == ds: dc 2 is slowest
  EXPECT_EQ(hold.kind, Hold::kClock);
  EXPECT_EQ(hold.peer, 2u);
  EXPECT_EQ(KindOf(gate, 5, {}, 5), Hold::kClock);  // every read, any table

  gate.SetMirrorClock(2, 4);
  EXPECT_EQ(KindOf(gate, 0, {1}, 5), Hold::kNone);
  hold = gate.Check(0, Rows({1}), 7);  // 7 - 5 == ds now for dc 1 too
  EXPECT_EQ(hold.kind, Hold::kClock);

  gate.SetMirrorClock(2, 1);  // never lowered
  EXPECT_EQ(gate.mirror_clock(2), 4);
  EXPECT_EQ(gate.mirror_clock(1), 5);
  EXPECT_EQ(gate.mirror_clock(0), 0);

  // A finished DC (clock INT64_MAX) never holds anybody back; this DC's own
  // entry is not a mirror.
  constexpr int64_t kDone = std::numeric_limits<int64_t>::max();
  gate.SetMirrorClock(1, kDone);
  gate.SetMirrorClock(2, kDone);
  EXPECT_EQ(KindOf(gate, 0, {1}, 1000000), Hold::kNone);
  EXPECT_EQ(KindOf(gate, 0, {1}, kDone - 1), Hold::kNone);
  EXPECT_EQ(KindOf(gate, 0, {1}, kDone), Hold::kNone);
}

// ds = 1 is lockstep: a DC reads at clock c only once every other DC's
// mirror clock has reached c. The very first reads (every clock 0) pass.
TEST(AspGate, DsOneIsLockstepAndNeverHoldsTheFirstClock) {
  AspGate gate(/*self=*/1, /*num_dcs=*/2, /*ds=*/1, /*barriers=*/false);
  EXPECT_EQ(KindOf(gate, 0, {1}, 0), Hold::kNone);
  EXPECT_EQ(KindOf(gate, 0, {1}, 1), Hold::kClock);
  gate.SetMirrorClock(0, 1);
  EXPECT_EQ(KindOf(gate, 0, {1}, 1), Hold::kNone);
  EXPECT_EQ(KindOf(gate, 0, {1}, 2), Hold::kClock);
  // Far ahead of a mirror near INT64_MAX: no overflow.
  gate.SetMirrorClock(0, std::numeric_limits<int64_t>::max() - 1);
  EXPECT_EQ(KindOf(gate, 0, {1}, std::numeric_limits<int64_t>::max() - 1), Hold::kNone);
  EXPECT_EQ(KindOf(gate, 0, {1}, std::numeric_limits<int64_t>::max()), Hold::kClock);
}

TEST(AspGate, BarrierAndClockTogether) {
  AspGate gate(1, 2, 2, true);
  ASSERT_TRUE(gate.AddBarrier(0, Barrier(1, 0, {2})));
  EXPECT_EQ(KindOf(gate, 0, {3}, 1), Hold::kNone);
  EXPECT_EQ(KindOf(gate, 0, {2}, 1), Hold::kBarrier);
  const Hold hold = gate.Check(0, Rows({3}), 2);
  EXPECT_EQ(hold.kind, Hold::kClock);
  EXPECT_EQ(hold.peer, 0u);
}

// gaia_async: no DS bound, only the start line. Reads past clock 0 wait
// until every other DC's first mirror clock is in; from then on a DC may be
// any distance ahead.
TEST(AspGate, NegativeDsKeepsOnlyTheStartLine) {
  AspGate gate(/*self=*/0, /*num_dcs=*/3, /*ds=*/-1, /*barriers=*/false);
  EXPECT_EQ(KindOf(gate, 0, {1}, 0), Hold::kNone);
  EXPECT_EQ(KindOf(gate, 0, {1}, 1), Hold::kClock);
  gate.SetMirrorClock(1, 1);
  const Hold hold = gate.Check(0, Rows({1}), 5);
  EXPECT_EQ(hold.kind, Hold::kClock);
  EXPECT_EQ(hold.peer, 2u);  // dc 1 has crossed the line, dc 2 has not
  gate.SetMirrorClock(2, 3);
  EXPECT_EQ(KindOf(gate, 0, {1}, 1), Hold::kNone);
  EXPECT_EQ(KindOf(gate, 0, {1}, 1000000), Hold::kNone);
  EXPECT_EQ(KindOf(gate, 0, {1}, std::numeric_limits<int64_t>::max()), Hold::kNone);
}

TEST(AspGate, ReadReleasedAccountsPerDcAndKind) {
  AspGate gate(0, 3, 1, true);
  gate.ReadReleased(Hold{Hold::kBarrier, 1}, 0.5);
  gate.ReadReleased(Hold{Hold::kClock, 2}, 0.25);
  gate.ReadReleased(Hold{Hold::kClock, 2}, 0.125);
  gate.ReadReleased(Hold{Hold::kNone, 1}, 7.0);      // not held: not counted
  gate.ReadReleased(Hold{Hold::kBarrier, 9}, 7.0);   // unknown DC: ignored
  EXPECT_DOUBLE_EQ(gate.barrier_blocked_s(1), 0.5);
  EXPECT_DOUBLE_EQ(gate.clock_stall_s(1), 0.0);
  EXPECT_DOUBLE_EQ(gate.clock_stall_s(2), 0.375);
  EXPECT_DOUBLE_EQ(gate.barrier_blocked_s(2), 0.0);
  EXPECT_DOUBLE_EQ(gate.barrier_blocked_s(0), 0.0);
  EXPECT_DOUBLE_EQ(gate.barrier_blocked_s(9), 0.0);
}

}  // namespace
}  // namespace gaia::mirror
