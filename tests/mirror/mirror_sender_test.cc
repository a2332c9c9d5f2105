// MirrorSender (src/mirror/mirror_sender.h) alone: one thread, a fake shard,
// fake links and a fake clock; no network and no sleeps. Pump() does what
// the mirror client thread does once.
#include "src/mirror/mirror_sender.h"

#include <cstdint>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "src/significance/registry.h"
#include "tests/mirror/fake_clock.h"
#include "tests/mirror/fake_shard.h"

namespace gaia::testing {
namespace {

constexpr uint32_t kWidth = kFakeTableWidth;
constexpr uint64_t kRows = kFakeTableRows;

class MirrorSenderTest : public ::testing::Test {
 protected:
  // Two DCs (this is dc 0), exact float32 values, a fixed hard threshold of
  // 0.01 relative and no soft threshold unless a test says otherwise.
  mirror::MirrorOptions Options() {
    mirror::MirrorOptions o;
    o.job_id = "unit";
    o.dc = 0;
    o.tables = {FakeTable()};
    o.overlay = mirror::Overlay({0, 0}, {{0}});
    o.significance = *registry_.Find("relative");
    o.threshold.initial = 0.01;
    o.threshold.decay = significance::Decay::kNone;
    o.threshold.soft_enabled = false;
    o.values = significance::ValueEmission::kExact;
    o.clock = clock_;
    o.connect = links_.connector();
    o.reconnect_backoff_ms = 200;
    return o;
  }

  void Start(mirror::MirrorOptions options) {
    sender_ = std::make_unique<mirror::MirrorSender>(std::move(options));
    sender_->Attach(shard_);
    sender_->Bind(std::shared_ptr<server::MirrorTarget>(&shard_, [](server::MirrorTarget*) {}));
    sender_->SetPeers({{1, "peer-1"}});
  }

  // Connects the link and welcomes it at `next_seq`.
  void Connect(uint64_t next_seq = 1) {
    const size_t before = links_.size();
    sender_->Pump();
    ASSERT_EQ(links_.size(), before + 1);
    links_.last().events.on_welcome(next_seq);
  }

  // A local update of `delta` to every column of `row`, as the shard reports it.
  void Update(uint64_t row, float delta) {
    const std::vector<float> d(kWidth, delta);
    shard_.AddLocal(0, row, d);
    const uint64_t rows[] = {row};
    sender_->OnRowsApplied(0, rows, d);
  }

  // Pumps once; the message written on the link then, if any.
  std::optional<rpc::MirrorMessage> PumpMessage() {
    const size_t before = links_.last().written.size();
    sender_->Pump();
    if (links_.last().written.size() == before) return std::nullopt;
    return links_.last().written.back();
  }

  // Connects, sends batch 1 (one row at clock 1), then the link ends with
  // `why` before the batch is acknowledged.
  void SendOneBatchThenDrop(const char* why) {
    Start(Options());
    ASSERT_NO_FATAL_FAILURE(Connect());
    Update(3, 0.5f);
    sender_->OnClockAdvanced(1, false);
    ASSERT_TRUE(PumpMessage().has_value());
    links_.last().events.on_done(absl::UnavailableError(why));
  }

  rpc::MirrorLinkStats OutStats() const {
    rpc::MirrorStatusReply reply;
    sender_->AddStatus(&reply);
    return reply.links(0);
  }

  significance::Registry registry_{1e-3};
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  FakeLinks links_;
  FakeShard shard_{{FakeTable()}};
  std::unique_ptr<mirror::MirrorSender> sender_;
};

TEST_F(MirrorSenderTest, HelloNamesThisShardAndTheLayout) {
  Start(Options());
  sender_->Pump();
  ASSERT_EQ(links_.size(), 1u);
  const rpc::MirrorHello& hello = links_.last().hello;
  EXPECT_EQ(links_.last().address, "peer-1");
  EXPECT_EQ(hello.job_id(), "unit");
  EXPECT_EQ(hello.from_dc(), 0u);
  EXPECT_EQ(hello.to_dc(), 1u);
  EXPECT_EQ(hello.layout_fingerprint(), mirror::LayoutFingerprint(Options()));
}

TEST_F(MirrorSenderTest, SignificantRowsLeaveWithTheClockBehindThem) {
  Start(Options());
  ASSERT_NO_FATAL_FAILURE(Connect());
  Update(3, 0.5f);      // |0.5| / 1.5: significant
  Update(5, 0.001f);    // 0.001 / 1.001 < 0.01: kept back
  sender_->OnClockAdvanced(1, /*all_done=*/false);
  const std::optional<rpc::MirrorMessage> m = PumpMessage();
  ASSERT_TRUE(m.has_value() && m->has_batch());
  EXPECT_EQ(m->batch().seq(), 1u);
  const auto elements = ElementsOf(m->batch(), {kWidth});
  EXPECT_EQ(elements.size(), kWidth);
  EXPECT_FLOAT_EQ(elements.at({0, 3, 0}), 0.5f);
  ASSERT_EQ(m->batch().clocks_size(), 1);
  EXPECT_EQ(m->batch().clocks(0).origin_dc(), 0u);
  EXPECT_EQ(m->batch().clocks(0).clock(), 1);
  EXPECT_FALSE(PumpMessage().has_value());  // nothing more until acked or queued
}

TEST_F(MirrorSenderTest, FinalFlushSendsEverythingAndTheDoneClock) {
  Start(Options());
  ASSERT_NO_FATAL_FAILURE(Connect());
  Update(5, 0.001f);
  sender_->OnClockAdvanced(1, /*all_done=*/true);
  const std::optional<rpc::MirrorMessage> m = PumpMessage();
  ASSERT_TRUE(m.has_value() && m->has_batch());
  EXPECT_FLOAT_EQ(ElementsOf(m->batch(), {kWidth}).at({0, 5, 1}), 0.001f);
  ASSERT_EQ(m->batch().clocks_size(), 1);
  EXPECT_EQ(m->batch().clocks(0).clock(), mirror::kDoneClock);
  rpc::MirrorStatusReply status;
  sender_->AddStatus(&status);
  EXPECT_TRUE(status.final_flush_done());
}

TEST_F(MirrorSenderTest, FlushRunsUnderTheStoreLockAndQueuesEverything) {
  Start(Options());
  Update(1, 0.001f);
  Update(2, 0.002f);
  EXPECT_EQ(sender_->Flush(), 2 * kWidth);
  shard_.ShutDown();  // RunWithStoreLocked refuses now
  Update(3, 0.5f);
  EXPECT_EQ(sender_->Flush(), 0u);
}

TEST_F(MirrorSenderTest, AsyncModeSendsNoMirrorClocks) {
  mirror::MirrorOptions options = Options();
  options.ds = -1;
  Start(std::move(options));
  ASSERT_NO_FATAL_FAILURE(Connect());
  Update(3, 0.5f);
  sender_->OnClockAdvanced(1, false);
  const std::optional<rpc::MirrorMessage> m = PumpMessage();
  ASSERT_TRUE(m.has_value() && m->has_batch());
  EXPECT_EQ(m->batch().clocks_size(), 0);
}

TEST_F(MirrorSenderTest, ReconnectWaitsForTheBackoffThenResendsWhatWasNotAcked) {
  ASSERT_NO_FATAL_FAILURE(SendOneBatchThenDrop("relay died"));
  sender_->Pump();  // ends the call, schedules the retry
  EXPECT_TRUE(links_.last().destroyed);
  sender_->Pump();
  EXPECT_EQ(links_.size(), 1u) << "reconnected before the backoff passed";
  clock_->Advance(absl::Milliseconds(199));
  sender_->Pump();
  EXPECT_EQ(links_.size(), 1u);
  clock_->Advance(absl::Milliseconds(1));
  ASSERT_NO_FATAL_FAILURE(Connect(/*next_seq=*/1));  // batch 1 never arrived
  const std::optional<rpc::MirrorMessage> again = PumpMessage();
  ASSERT_TRUE(again.has_value() && again->has_batch());
  EXPECT_EQ(again->batch().seq(), 1u);
  EXPECT_EQ(OutStats().retransmitted(), 1u);
}

TEST_F(MirrorSenderTest, WelcomePastABatchDropsItInsteadOfResending) {
  ASSERT_NO_FATAL_FAILURE(SendOneBatchThenDrop("gone"));
  sender_->Pump();
  clock_->Advance(absl::Seconds(1));
  ASSERT_NO_FATAL_FAILURE(Connect(/*next_seq=*/2));  // batch 1 was applied
  EXPECT_FALSE(PumpMessage().has_value());
  EXPECT_EQ(OutStats().unacked_batches(), 0u);
}

TEST_F(MirrorSenderTest, BandwidthIsAckedBytesOverTheBusyTime) {
  Start(Options());
  ASSERT_NO_FATAL_FAILURE(Connect());
  Update(3, 0.5f);
  sender_->OnClockAdvanced(1, false);
  ASSERT_TRUE(PumpMessage().has_value());
  const uint64_t bytes = OutStats().bytes();
  EXPECT_EQ(OutStats().bandwidth_mbps(), 0.0);  // not measured before the first ack
  clock_->Advance(absl::Seconds(2));
  links_.last().events.on_ack(1);
  EXPECT_NEAR(OutStats().bandwidth_mbps(), bytes / 2.0 * 8 / 1e6, 1e-12);
}

TEST_F(MirrorSenderTest, SlowLinkGetsABarrierAheadOfTheRowsAndCompression) {
  Start(Options());
  ASSERT_NO_FATAL_FAILURE(Connect());
  Update(3, 0.5f);
  sender_->OnClockAdvanced(1, false);
  ASSERT_TRUE(PumpMessage().has_value());
  clock_->Advance(absl::Seconds(10));  // a few bytes per second
  links_.last().events.on_ack(1);
  Update(6, 0.5f);
  sender_->OnClockAdvanced(2, false);
  const std::optional<rpc::MirrorMessage> first = PumpMessage();
  ASSERT_TRUE(first.has_value() && first->has_barrier()) << "the barrier goes first";
  EXPECT_EQ(first->barrier().barrier_id(), 1u);
  EXPECT_EQ(first->barrier().table_id(), 0u);
  const std::optional<rpc::MirrorMessage> data = PumpMessage();
  ASSERT_TRUE(data.has_value() && data->has_batch());
  EXPECT_TRUE(ElementsOf(data->batch(), {kWidth}).count({0, 6, 0}));
  EXPECT_EQ(data->batch().barriers_through(), 1u);
  EXPECT_TRUE(links_.last().compressed.back()) << "a link under 200 Mbit/s is gzipped";
  EXPECT_EQ(OutStats().barriers(), 1u);
}

TEST_F(MirrorSenderTest, FastLinkGetsNoBarrier) {
  Start(Options());
  ASSERT_NO_FATAL_FAILURE(Connect());
  Update(3, 0.5f);
  sender_->OnClockAdvanced(1, false);
  ASSERT_TRUE(PumpMessage().has_value());
  clock_->Advance(absl::Microseconds(200));  // ~100 kB/s: the next row drains at once
  links_.last().events.on_ack(1);
  Update(6, 0.5f);
  sender_->OnClockAdvanced(2, false);
  const std::optional<rpc::MirrorMessage> next = PumpMessage();
  ASSERT_TRUE(next.has_value());
  EXPECT_TRUE(next->has_batch());
  EXPECT_EQ(OutStats().barriers(), 0u);
}

TEST_F(MirrorSenderTest, NoBarriersWhenTurnedOff) {
  mirror::MirrorOptions options = Options();
  options.barriers = false;
  Start(std::move(options));
  ASSERT_NO_FATAL_FAILURE(Connect());
  Update(3, 0.5f);
  sender_->OnClockAdvanced(1, false);
  ASSERT_TRUE(PumpMessage().has_value());
  clock_->Advance(absl::Seconds(10));
  links_.last().events.on_ack(1);
  Update(6, 0.5f);
  sender_->OnClockAdvanced(2, false);
  const std::optional<rpc::MirrorMessage> next = PumpMessage();
  ASSERT_TRUE(next.has_value());
  EXPECT_TRUE(next->has_batch());
}

TEST_F(MirrorSenderTest, SoftThresholdHalvesAfterAnIdleClockAndRecoversAfterABusyOne) {
  mirror::MirrorOptions options = Options();
  options.threshold.soft_enabled = true;
  Start(std::move(options));
  auto soft = [this] {
    rpc::MirrorStatusReply status;
    sender_->AddStatus(&status);
    return status.soft_threshold() / status.hard_threshold();
  };
  ASSERT_NO_FATAL_FAILURE(Connect());
  // Sends what is queued (the clock at least) and acknowledges it.
  auto drain = [this] {
    const std::optional<rpc::MirrorMessage> m = PumpMessage();
    ASSERT_TRUE(m.has_value() && m->has_batch());
    links_.last().events.on_ack(m->batch().seq());
  };
  sender_->OnClockAdvanced(1, false);  // nothing queued or unacked: idle
  EXPECT_DOUBLE_EQ(soft(), 0.5);
  ASSERT_NO_FATAL_FAILURE(drain());
  sender_->OnClockAdvanced(2, false);
  EXPECT_DOUBLE_EQ(soft(), 0.25);
  ASSERT_NO_FATAL_FAILURE(drain());
  Update(3, 0.5f);
  sender_->OnClockAdvanced(3, false);  // idle during clock 2; queues row 3
  EXPECT_DOUBLE_EQ(soft(), 0.125);
  sender_->OnClockAdvanced(4, false);  // row 3 still waits: a busy clock
  EXPECT_DOUBLE_EQ(soft(), 0.25);
}

TEST_F(MirrorSenderTest, QueueBoundDefersTheRoundUntilTheLinkDrains) {
  mirror::MirrorOptions options = Options();
  options.max_queued_bytes = 16;  // two elements' worth: one row at a time
  Start(std::move(options));
  ASSERT_NO_FATAL_FAILURE(Connect());
  for (uint64_t row = 0; row < 4; ++row) Update(row, 0.5f);
  sender_->OnClockAdvanced(1, false);
  rpc::MirrorStatusReply status;
  EXPECT_FALSE(sender_->AddStatus(&status)) << "the round is still open";
  std::map<std::tuple<uint32_t, uint64_t, uint32_t>, float> seen;
  bool clock_seen = false;
  for (int i = 0; i < 20 && !clock_seen; ++i) {
    const std::optional<rpc::MirrorMessage> m = PumpMessage();
    if (!m.has_value()) continue;  // this pass resumed the round
    ASSERT_TRUE(m->has_batch());
    for (const auto& [key, value] : ElementsOf(m->batch(), {kWidth})) seen[key] = value;
    if (m->batch().clocks_size() > 0) {
      clock_seen = true;
      EXPECT_EQ(seen.size(), 4 * kWidth) << "the clock waits for the round's data";
    }
    links_.last().events.on_ack(m->batch().seq());
  }
  EXPECT_TRUE(clock_seen);
  EXPECT_EQ(seen.size(), 4 * kWidth);
  EXPECT_GT(OutStats().messages(), 1u);
}

TEST_F(MirrorSenderTest, HubForwardsRowsAndClocksToTheOtherGroupsHub) {
  // Four DCs in groups {0, 1} and {2, 3}; this is dc 1, hub towards {2, 3}.
  mirror::MirrorOptions options = Options();
  options.dc = 1;
  options.overlay = mirror::Overlay({0, 0, 1, 1}, {{0, 1}, {2, 2}});
  Start(std::move(options));
  sender_->SetPeers({{0, "peer-0"}, {2, "peer-2"}});
  sender_->Pump();
  ASSERT_EQ(links_.size(), 2u);
  for (size_t i = 0; i < 2; ++i) links_.at(i).events.on_welcome(1);
  rpc::MirrorBatch batch;  // from dc 0: row 4 += (1, 2), dc 0 at clock 3
  rpc::TableDelta* delta = batch.add_updates();
  delta->set_table_id(0);
  common::AppendPacked<uint64_t>(delta->mutable_dense_row_ids(), 4);
  common::AppendPacked<float>(delta->mutable_dense_values(), 1.0f);
  common::AppendPacked<float>(delta->mutable_dense_values(), 2.0f);
  rpc::MirrorClock* clock = batch.add_clocks();
  clock->set_origin_dc(0);
  clock->set_clock(3);
  sender_->Forward(/*from=*/0, batch);
  sender_->Pump();
  for (size_t i = 0; i < 2; ++i) {
    FakeLinkState& link = links_.at(i);
    if (link.hello.to_dc() == 0) {
      EXPECT_TRUE(link.written.empty()) << "nothing goes back to where it came from";
      continue;
    }
    ASSERT_EQ(link.written.size(), 1u);
    const rpc::MirrorBatch& sent = link.written[0].batch();
    EXPECT_FALSE(sent.relayed());
    EXPECT_FLOAT_EQ(ElementsOf(sent, {kWidth}).at({0, 4, 1}), 2.0f);
    ASSERT_EQ(sent.clocks_size(), 1);
    EXPECT_EQ(sent.clocks(0).origin_dc(), 0u);
  }
}

TEST_F(MirrorSenderTest, StopEndsTheLinks) {
  Start(Options());
  ASSERT_NO_FATAL_FAILURE(Connect());
  sender_->Stop();
  EXPECT_TRUE(links_.last().cancelled);
  EXPECT_TRUE(links_.last().destroyed);
  EXPECT_EQ(sender_->Flush(), 0u);
}

}  // namespace
}  // namespace gaia::testing
