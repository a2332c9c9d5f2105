// MirrorReceiver (src/mirror/mirror_receiver.h) alone: messages handed to
// Handle() in the test's thread, a fake shard and fake links; no network.
#include "src/mirror/mirror_receiver.h"

#include <cstdint>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "src/common/packing.h"
#include "src/significance/registry.h"
#include "tests/mirror/fake_shard.h"

namespace gaia::testing {
namespace {

constexpr uint32_t kWidth = kFakeTableWidth;
constexpr uint64_t kRows = kFakeTableRows;

class MirrorReceiverTest : public ::testing::Test {
 protected:
  MirrorReceiverTest() { Start(Options()); }

  // This is dc 0 of two, DS bound 2.
  mirror::MirrorOptions Options() {
    mirror::MirrorOptions o;
    o.job_id = "unit";
    o.dc = 0;
    o.tables = {FakeTable()};
    o.overlay = mirror::Overlay({0, 0}, {{0}});
    o.significance = *registry_.Find("relative");
    return o;
  }

  void Start(mirror::MirrorOptions options) {
    options_ = options;
    receiver_.reset();
    gate_ = std::make_shared<mirror::AspGate>(options.dc, options.overlay.num_dcs(), options.ds,
                                              options.barriers);
    receiver_ = std::make_unique<mirror::MirrorReceiver>(std::move(options), gate_, &forward_);
    receiver_->Attach(shard_);
    receiver_->Bind(std::shared_ptr<server::MirrorTarget>(&shard_, [](server::MirrorTarget*) {}));
  }

  // Sender incarnations (MirrorHello.incarnation) the tests use.
  static constexpr uint64_t kFirstSender = 0x5eed1;
  static constexpr uint64_t kRestartedSender = 0x5eed2;

  rpc::MirrorHello Hello(uint32_t from = 1, uint64_t incarnation = kFirstSender) const {
    rpc::MirrorHello hello;
    hello.set_job_id("unit");
    hello.set_from_dc(from);
    hello.set_to_dc(options_.dc);
    hello.set_shard(0);
    hello.set_layout_fingerprint(mirror::LayoutFingerprint(options_));
    hello.set_incarnation(incarnation);
    return hello;
  }

  // A link whose hello was welcomed.
  std::shared_ptr<FakeInbound> Open(uint32_t from = 1, uint64_t incarnation = kFirstSender) {
    auto link = std::make_shared<FakeInbound>();
    rpc::MirrorMessage m;
    *m.mutable_hello() = Hello(from, incarnation);
    receiver_->Handle(link, m);
    EXPECT_TRUE(link->replies.size() == 1 && link->replies[0].has_welcome());
    return link;
  }

  // A link of dc 1's sender restarted as kRestartedSender.
  std::shared_ptr<FakeInbound> OpenRestarted() { return Open(1, kRestartedSender); }

  static rpc::MirrorMessage BarrierMessage(uint64_t id, uint64_t row) {
    rpc::MirrorMessage m;
    m.mutable_barrier()->set_barrier_id(id);
    m.mutable_barrier()->set_table_id(0);
    common::AppendPacked<uint64_t>(m.mutable_barrier()->mutable_row_ids(), row);
    return m;
  }

  // Batch `seq`: row += (delta, delta).
  static rpc::MirrorMessage Batch(uint64_t seq, uint64_t row, float delta) {
    rpc::MirrorMessage m;
    rpc::MirrorBatch* batch = m.mutable_batch();
    batch->set_seq(seq);
    rpc::TableDelta* d = batch->add_updates();
    d->set_table_id(0);
    common::AppendPacked<uint64_t>(d->mutable_dense_row_ids(), row);
    for (uint32_t c = 0; c < kWidth; ++c) {
      common::AppendPacked<float>(d->mutable_dense_values(), delta);
    }
    return m;
  }

  rpc::MirrorLinkStats InStats() const {
    rpc::MirrorStatusReply reply;
    receiver_->AddStatus(&reply);
    return reply.links(0);
  }

  server::ReadGate::Hold HoldOf(uint64_t row, int64_t shard_clock = 0) const {
    std::string ids;
    common::AppendPacked<uint64_t>(&ids, row);
    return gate_->Check(0, ids, shard_clock);
  }

  significance::Registry registry_{1e-3};
  FakeShard shard_{{FakeTable()}};
  FakeForward forward_;
  mirror::MirrorOptions options_;
  std::shared_ptr<mirror::AspGate> gate_;
  std::unique_ptr<mirror::MirrorReceiver> receiver_;
};

TEST_F(MirrorReceiverTest, WelcomesAGoodHelloAtTheNextSequenceNumber) {
  std::shared_ptr<FakeInbound> link = Open();
  EXPECT_EQ(link->replies[0].welcome().next_seq(), 1u);
  EXPECT_EQ(link->peer, 1);
  EXPECT_EQ(link->reads, 1);
}

TEST_F(MirrorReceiverTest, RefusesAHelloFromAnotherJobOrLayout) {
  for (int which = 0; which < 3; ++which) {
    rpc::MirrorHello hello = Hello();
    if (which == 0) hello.set_job_id("other");
    if (which == 1) hello.set_layout_fingerprint(hello.layout_fingerprint() + 1);
    if (which == 2) hello.set_from_dc(0);  // itself
    auto link = std::make_shared<FakeInbound>();
    rpc::MirrorMessage m;
    *m.mutable_hello() = hello;
    receiver_->Handle(link, m);
    ASSERT_TRUE(link->failed.has_value()) << which;
    EXPECT_TRUE(absl::IsFailedPrecondition(*link->failed)) << which;
  }
  rpc::MirrorStatusReply status;
  receiver_->AddStatus(&status);
  EXPECT_EQ(status.rejected_peers(), 3u);
}

TEST_F(MirrorReceiverTest, BatchBeforeHelloIsRefused) {
  auto link = std::make_shared<FakeInbound>();
  receiver_->Handle(link, Batch(1, 2, 1.0f));
  EXPECT_TRUE(link->failed.has_value());
  EXPECT_FLOAT_EQ(shard_.value(0, 2, 0), 1.0f);
}

TEST_F(MirrorReceiverTest, AppliesInOrderAtMostOnceAndAcks) {
  std::shared_ptr<FakeInbound> link = Open();
  receiver_->Handle(link, Batch(1, 2, 0.5f));
  EXPECT_EQ(link->last_ack(), 1u);
  EXPECT_FLOAT_EQ(shard_.value(0, 2, 1), 1.5f);
  receiver_->Handle(link, Batch(1, 2, 0.5f));  // re-sent after a reconnect
  EXPECT_EQ(link->last_ack(), 1u);
  EXPECT_FLOAT_EQ(shard_.value(0, 2, 1), 1.5f) << "applied twice";
  EXPECT_EQ(InStats().duplicates(), 1u);
  EXPECT_EQ(InStats().elements(), kWidth);
  // A reconnect is welcomed at the next batch.
  std::shared_ptr<FakeInbound> again = Open();
  EXPECT_EQ(again->replies[0].welcome().next_seq(), 2u);
  EXPECT_TRUE(link->failed.has_value()) << "the superseded stream ends";
}

TEST_F(MirrorReceiverTest, SequenceGapEndsTheStreamAndChangesNothing) {
  std::shared_ptr<FakeInbound> link = Open();
  receiver_->Handle(link, Batch(3, 2, 0.5f));
  EXPECT_TRUE(link->failed.has_value());
  EXPECT_FLOAT_EQ(shard_.value(0, 2, 0), 1.0f);
  EXPECT_EQ(Open()->replies[0].welcome().next_seq(), 1u);
}

TEST_F(MirrorReceiverTest, RejectedBatchIsAckedButNeitherAppliedNorForwarded) {
  std::shared_ptr<FakeInbound> link = Open();
  rpc::MirrorMessage bad = Batch(1, kRows + 5, 0.5f);  // a row the shard lacks
  receiver_->Handle(link, bad);
  EXPECT_EQ(link->last_ack(), 1u);
  EXPECT_FALSE(link->failed.has_value());
  EXPECT_EQ(InStats().rejected(), 1u);
  EXPECT_TRUE(forward_.forwarded.empty());
  receiver_->Handle(link, Batch(2, 1, 0.5f));
  EXPECT_EQ(link->last_ack(), 2u);
  ASSERT_EQ(forward_.forwarded.size(), 1u);
  EXPECT_EQ(forward_.forwarded[0].first, 1u);
}

TEST_F(MirrorReceiverTest, BarrierHoldsItsRowsUntilTheBatchThatReleasesIt) {
  std::shared_ptr<FakeInbound> link = Open();
  rpc::MirrorMessage m;
  rpc::AspBarrier* barrier = m.mutable_barrier();
  barrier->set_barrier_id(1);
  barrier->set_table_id(0);
  common::AppendPacked<uint64_t>(barrier->mutable_row_ids(), 4);
  receiver_->Handle(link, m);
  EXPECT_EQ(InStats().barriers(), 1u);
  EXPECT_EQ(HoldOf(4).kind, server::ReadGate::Hold::kBarrier);
  EXPECT_EQ(HoldOf(5).kind, server::ReadGate::Hold::kNone);
  rpc::MirrorMessage data = Batch(1, 4, 0.5f);
  data.mutable_batch()->set_barriers_through(1);
  const int reopened = shard_.reopened();
  receiver_->Handle(link, data);
  EXPECT_EQ(HoldOf(4).kind, server::ReadGate::Hold::kNone);
  EXPECT_GT(shard_.reopened(), reopened) << "held reads are re-checked";
}

TEST_F(MirrorReceiverTest, BarrierNamingARowNotHeldHereIsRejected) {
  std::shared_ptr<FakeInbound> link = Open();
  rpc::MirrorMessage m;
  m.mutable_barrier()->set_barrier_id(1);
  m.mutable_barrier()->set_table_id(0);
  common::AppendPacked<uint64_t>(m.mutable_barrier()->mutable_row_ids(), kRows);
  receiver_->Handle(link, m);
  EXPECT_EQ(InStats().rejected(), 1u);
  EXPECT_EQ(InStats().barriers(), 0u);
  EXPECT_EQ(link->reads, 2) << "the link goes on";
}

TEST_F(MirrorReceiverTest, MirrorClockLiftsTheDsBound) {
  std::shared_ptr<FakeInbound> link = Open();
  EXPECT_EQ(HoldOf(1, /*shard_clock=*/3).kind, server::ReadGate::Hold::kClock);
  rpc::MirrorMessage m = Batch(1, 1, 0.5f);
  rpc::MirrorClock* clock = m.mutable_batch()->add_clocks();
  clock->set_origin_dc(1);
  clock->set_clock(2);
  receiver_->Handle(link, m);
  EXPECT_EQ(HoldOf(1, 3).kind, server::ReadGate::Hold::kNone);
  EXPECT_EQ(InStats().mirror_clock(), 2);
}

// DESIGN.md §5: a restarted sender announces a new incarnation, so nothing
// it sends is mistaken for a duplicate of its predecessor's batches.
TEST_F(MirrorReceiverTest, NewIncarnationStartsAgainAtSequenceOne) {
  std::shared_ptr<FakeInbound> old_sender = Open();
  receiver_->Handle(old_sender, Batch(1, 2, 0.5f));
  receiver_->Handle(old_sender, Batch(2, 2, 0.5f));
  ASSERT_FLOAT_EQ(shard_.value(0, 2, 0), 2.0f);

  std::shared_ptr<FakeInbound> restarted = OpenRestarted();
  EXPECT_EQ(restarted->replies[0].welcome().next_seq(), 1u);
  EXPECT_TRUE(old_sender->failed.has_value()) << "the old sender's stream ends";
  receiver_->Handle(restarted, Batch(1, 2, 0.25f));
  EXPECT_EQ(restarted->last_ack(), 1u);
  EXPECT_FLOAT_EQ(shard_.value(0, 2, 0), 2.25f) << "dropped as a duplicate";
  receiver_->Handle(restarted, Batch(1, 2, 0.25f));  // now a true duplicate
  EXPECT_FLOAT_EQ(shard_.value(0, 2, 0), 2.25f);
  EXPECT_EQ(InStats().duplicates(), 1u);
}

TEST_F(MirrorReceiverTest, ReconnectOfTheSameIncarnationResumes) {
  std::shared_ptr<FakeInbound> link = Open();
  receiver_->Handle(link, Batch(1, 2, 0.5f));
  receiver_->Handle(link, Batch(2, 2, 0.5f));
  std::shared_ptr<FakeInbound> again = Open();
  EXPECT_EQ(again->replies[0].welcome().next_seq(), 3u);
  receiver_->Handle(again, Batch(2, 2, 0.5f));  // re-sent: acked, not applied
  EXPECT_EQ(again->last_ack(), 2u);
  receiver_->Handle(again, Batch(3, 2, 0.5f));
  EXPECT_EQ(again->last_ack(), 3u);
  EXPECT_FLOAT_EQ(shard_.value(0, 2, 0), 2.5f);
}

// Barrier ids start at 1 per sender, and only the sender that installed a
// barrier releases it: a restarted one never will.
TEST_F(MirrorReceiverTest, NewIncarnationLiftsTheOldSendersBarriers) {
  std::shared_ptr<FakeInbound> old_sender = Open();
  receiver_->Handle(old_sender, BarrierMessage(1, 4));
  rpc::MirrorMessage releases = Batch(1, 4, 0.5f);
  releases.mutable_batch()->set_barriers_through(1);
  receiver_->Handle(old_sender, releases);
  receiver_->Handle(old_sender, BarrierMessage(2, 5));  // its batch never comes
  ASSERT_EQ(HoldOf(5).kind, server::ReadGate::Hold::kBarrier);

  const int reopened = shard_.reopened();
  std::shared_ptr<FakeInbound> restarted = OpenRestarted();
  EXPECT_EQ(HoldOf(5).kind, server::ReadGate::Hold::kNone) << "held for good";
  EXPECT_GT(shard_.reopened(), reopened) << "held reads are re-checked";

  // The new sender's barrier 1 blocks (its predecessor's ids are
  // forgotten) until the new sender's batch releases it.
  receiver_->Handle(restarted, BarrierMessage(1, 6));
  EXPECT_EQ(HoldOf(6).kind, server::ReadGate::Hold::kBarrier);
  rpc::MirrorMessage data = Batch(1, 6, 0.5f);
  data.mutable_batch()->set_barriers_through(1);
  receiver_->Handle(restarted, data);
  EXPECT_EQ(HoldOf(6).kind, server::ReadGate::Hold::kNone);
}

// The old sender's messages still queued when the new one's hello arrived
// (and its later hellos) must not touch what the new one numbers.
TEST_F(MirrorReceiverTest, ReplacedIncarnationIsRefusedAndItsQueuedMessagesDropped) {
  std::shared_ptr<FakeInbound> old_sender = Open();
  std::shared_ptr<FakeInbound> restarted = OpenRestarted();
  receiver_->Handle(old_sender, Batch(1, 2, 0.5f));
  receiver_->Handle(old_sender, BarrierMessage(1, 3));
  EXPECT_FLOAT_EQ(shard_.value(0, 2, 0), 1.0f);
  EXPECT_EQ(HoldOf(3).kind, server::ReadGate::Hold::kNone);
  EXPECT_FALSE(old_sender->last_ack().has_value()) << "nothing acked on a superseded stream";

  auto stale = std::make_shared<FakeInbound>();
  rpc::MirrorMessage hello;
  *hello.mutable_hello() = Hello(1, kFirstSender);
  receiver_->Handle(stale, hello);
  ASSERT_TRUE(stale->failed.has_value());
  EXPECT_TRUE(absl::IsFailedPrecondition(*stale->failed)) << *stale->failed;
  EXPECT_FALSE(restarted->failed.has_value()) << "the newer sender keeps its stream";
  rpc::MirrorStatusReply status;
  receiver_->AddStatus(&status);
  EXPECT_EQ(status.rejected_peers(), 1u);

  receiver_->Handle(restarted, Batch(1, 2, 0.5f));
  EXPECT_EQ(restarted->last_ack(), 1u);
  EXPECT_FLOAT_EQ(shard_.value(0, 2, 0), 1.5f);
}

TEST_F(MirrorReceiverTest, OversizedMessageIsRefused) {
  mirror::MirrorOptions options = Options();
  options.max_message_bytes = 64;  // a hello fits, eight rows do not
  Start(std::move(options));
  std::shared_ptr<FakeInbound> link = Open();
  rpc::MirrorMessage big = Batch(1, 1, 0.5f);
  rpc::TableDelta* d = big.mutable_batch()->mutable_updates(0);
  for (uint64_t row = 2; row < kRows; ++row) {
    common::AppendPacked<uint64_t>(d->mutable_dense_row_ids(), row);
    for (uint32_t c = 0; c < kWidth; ++c) {
      common::AppendPacked<float>(d->mutable_dense_values(), 0.5f);
    }
  }
  receiver_->Handle(link, big);
  ASSERT_TRUE(link->failed.has_value());
  EXPECT_TRUE(absl::IsInvalidArgument(*link->failed));
  EXPECT_FLOAT_EQ(shard_.value(0, 1, 0), 1.0f);
}

TEST_F(MirrorReceiverTest, IdleUntilAMessageIsQueued) {
  rpc::MirrorStatusReply status;
  EXPECT_TRUE(receiver_->AddStatus(&status));
  receiver_->Enqueue(std::make_shared<FakeInbound>(), Batch(1, 1, 0.5f));
  EXPECT_FALSE(receiver_->AddStatus(&status));
}

// A link whose message waits in the queue has no read pending: only Fail
// ends it, and gRPC's server shutdown waits for every link to end (a mirror
// test hung in Mirror::Stop under load while a message sat in the queue).
TEST_F(MirrorReceiverTest, StopEndsEveryLinkItHoldsAndLaterOnesAtOnce) {
  std::shared_ptr<FakeInbound> accepted = Open();
  auto queued = std::make_shared<FakeInbound>();
  receiver_->Enqueue(queued, Batch(1, 1, 0.5f));
  receiver_->Stop();
  ASSERT_TRUE(accepted->failed.has_value());
  EXPECT_TRUE(absl::IsUnavailable(*accepted->failed));
  ASSERT_TRUE(queued->failed.has_value()) << "a queued message's link was dropped unended";
  EXPECT_TRUE(absl::IsUnavailable(*queued->failed));
  EXPECT_FLOAT_EQ(shard_.value(0, 1, 0), 1.0f) << "the queued batch is not applied";

  auto late = std::make_shared<FakeInbound>();
  receiver_->Enqueue(late, Batch(1, 1, 0.5f));
  ASSERT_TRUE(late->failed.has_value()) << "a message after Stop leaves its link unended";
}

}  // namespace
}  // namespace gaia::testing
