// The selective barrier's trigger on the link capacity it relies on
// (src/mirror/selective_barrier.h), and the mirror clock a sweep round owes
// (src/mirror/mirror_clock.h): explicit times, no clock read.
#include "src/mirror/selective_barrier.h"

#include <gtest/gtest.h>

#include "src/common/packing.h"
#include "src/mirror/delta_encoding.h"
#include "src/mirror/mirror_clock.h"

namespace gaia::mirror {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1000);

// A link measured to drain `bytes_per_s`, with a round trip of 300 ms.
LinkCapacity Measured(double bytes_per_s) {
  LinkCapacity link;
  link.OnWritten(kT0);
  link.OnAcked(1, kT0 + absl::Milliseconds(300), /*outstanding_after=*/1);
  link.OnAcked(static_cast<uint64_t>(bytes_per_s / 10), kT0 + absl::Milliseconds(400), 0);
  return link;
}

TEST(SelectiveBarrier, DueOnlyWhenTheBacklogOutlastsTheTrigger) {
  SelectiveBarrier barrier(/*backlog_ms=*/100);
  EXPECT_FALSE(barrier.Due(1 << 20, LinkCapacity())) << "an unmeasured link never triggers";
  const LinkCapacity link = Measured(1000);
  EXPECT_FALSE(barrier.Due(100, link));  // 100 ms: not longer
  EXPECT_TRUE(barrier.Due(101, link));
}

TEST(SelectiveBarrier, ALimitOfZeroMakesAnyBacklogDue) {
  SelectiveBarrier barrier(/*backlog_ms=*/0);
  EXPECT_TRUE(barrier.Due(1, LinkCapacity()));
  EXPECT_FALSE(barrier.Due(0, LinkCapacity()));
}

TEST(SelectiveBarrier, AFarFastLinkWithASmallBacklogSendsNone) {
  // 300 ms round trip, 10 MB/s: 100 kB queued drains in 10 ms.
  SelectiveBarrier barrier(/*backlog_ms=*/100);
  Outbox outbox({2});
  barrier.NoteQueued(0, 1);
  EXPECT_TRUE(barrier.Check(100'000, Measured(1e7), outbox).empty());
}

TEST(SelectiveBarrier, ASlowLinkWithALargeBacklogSendsOne) {
  // 250 kB/s: 100 kB queued drains in 400 ms.
  SelectiveBarrier barrier(/*backlog_ms=*/100);
  Outbox outbox({2});
  barrier.NoteQueued(0, 1);
  EXPECT_EQ(barrier.Check(100'000, Measured(250e3), outbox).size(), 1u);
}

TEST(SelectiveBarrier, NamesTheFreshRowsPerTableSortedOnce) {
  SelectiveBarrier barrier(100);
  Outbox outbox({2, 2});
  barrier.NoteQueued(1, 7);
  barrier.NoteQueued(0, 5);
  barrier.NoteQueued(0, 3);
  barrier.NoteQueued(0, 5);
  std::vector<rpc::AspBarrier> out =
      barrier.Check(/*backlog_bytes=*/1000, Measured(10), outbox);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].table_id(), 0u);
  EXPECT_EQ(out[0].barrier_id(), 1u);
  EXPECT_EQ(out[1].table_id(), 1u);
  EXPECT_EQ(out[1].barrier_id(), 2u);
  std::string ids = out[0].row_ids();
  if (out[0].row_bitmap()) {
    ASSERT_TRUE(ExpandRowBitmap(out[0].row_base(), 100, &ids).ok());
  } else {
    ASSERT_TRUE(ExpandVarintRowIds(&ids).ok());
  }
  EXPECT_EQ(common::Unpack<uint64_t>(ids), (std::vector<uint64_t>{3, 5}));
  EXPECT_FALSE(barrier.has_fresh());
  EXPECT_TRUE(barrier.Check(1000, Measured(10), outbox).empty()) << "rows are named once";
}

TEST(SelectiveBarrier, FreshRowsAreForgottenWhenNotDue) {
  SelectiveBarrier barrier(100);
  Outbox outbox({2});
  barrier.NoteQueued(0, 1);
  EXPECT_TRUE(barrier.Check(10, Measured(1e6), outbox).empty());
  EXPECT_FALSE(barrier.has_fresh());
}

TEST(MirrorClock, ARoundOwesTheLargestClockItCovers) {
  MirrorClock clock(MirrorClock::kEvery);
  EXPECT_FALSE(clock.TakeDue().has_value());
  clock.Cover(4);
  clock.Cover(6);
  clock.Cover(5);
  EXPECT_EQ(clock.TakeDue(), 6);
  EXPECT_FALSE(clock.TakeDue().has_value()) << "taken once";
}

TEST(MirrorClock, EveryRoundOwesItsClockUpToTheDoneClock) {
  MirrorClock clock(MirrorClock::kEvery);
  clock.Cover(1);
  EXPECT_EQ(clock.TakeDue(), 1);
  clock.Cover(2);
  EXPECT_EQ(clock.TakeDue(), 2);
  clock.Cover(kDoneClock);
  EXPECT_EQ(clock.TakeDue(), kDoneClock);
}

// gaia_async: the first round's clock (the start line), then nothing, not
// even the done clock.
TEST(MirrorClock, WithoutADsBoundOnlyTheFirstClockIsDue) {
  MirrorClock clock(MirrorClock::kFirstOnly);
  EXPECT_FALSE(clock.TakeDue().has_value()) << "a round with no clock owes none";
  clock.Cover(2);
  clock.Cover(3);
  EXPECT_EQ(clock.TakeDue(), 3);
  clock.Cover(4);
  EXPECT_FALSE(clock.TakeDue().has_value());
  clock.Cover(kDoneClock);
  EXPECT_FALSE(clock.TakeDue().has_value());
}

TEST(MirrorClock, ReceivedClocksRaiseTheGateForKnownOrigins) {
  AspGate gate(/*self=*/0, /*num_dcs=*/3, /*ds=*/1, /*barriers=*/true);
  rpc::MirrorBatch batch;
  rpc::MirrorClock* a = batch.add_clocks();
  a->set_origin_dc(2);
  a->set_clock(9);
  rpc::MirrorClock* bad = batch.add_clocks();
  bad->set_origin_dc(7);
  bad->set_clock(1);
  EXPECT_EQ(ApplyMirrorClocks(batch, 3, gate), 1);
  EXPECT_EQ(gate.mirror_clock(2), 9);
}

}  // namespace
}  // namespace gaia::mirror
