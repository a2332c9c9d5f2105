// MirrorSender (src/mirror/mirror_sender.h) alone: one thread, a fake shard,
// fake links and a fake clock; no network and no sleeps. Pump() does what
// the mirror client thread does once. The last tests put a MirrorReceiver
// at the links' far end (its Handle() is the mirror server thread's step)
// to follow a barrier across a link drop.
#include "src/mirror/mirror_sender.h"

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "src/mirror/asp_gate.h"
#include "src/mirror/mirror_receiver.h"
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

  // gaia_async (ds < 0): connects, sends row 3 at clock 1, which must carry
  // the mirror clock 1 (the start line), and acknowledges it.
  void StartAsyncAndAckClockOne() {
    mirror::MirrorOptions options = Options();
    options.ds = -1;
    Start(std::move(options));
    ASSERT_NO_FATAL_FAILURE(Connect());
    Update(3, 0.5f);
    sender_->OnClockAdvanced(1, false);
    const std::optional<rpc::MirrorMessage> m = PumpMessage();
    ASSERT_TRUE(m.has_value() && m->has_batch());
    ASSERT_EQ(m->batch().clocks_size(), 1);
    EXPECT_EQ(m->batch().clocks(0).clock(), 1);
    links_.last().events.on_ack(1);
  }

  // Starts with one row per batch, connects, and sends rows 3 and 5 at
  // clock 1 back to back; the first is acknowledged `round_trip` later, the
  // second `drain` after that, which measures the link's capacity as the
  // second batch's bytes over `drain`.
  void MeasureLink(absl::Duration round_trip, absl::Duration drain,
                   mirror::MirrorOptions options) {
    options.max_batch_bytes = 1;
    Start(std::move(options));
    ASSERT_NO_FATAL_FAILURE(Connect());
    Update(3, 0.5f);
    Update(5, 0.5f);
    sender_->OnClockAdvanced(1, false);
    ASSERT_TRUE(PumpMessage().has_value());
    const uint64_t first_bytes = OutStats().bytes();
    ASSERT_TRUE(PumpMessage().has_value());
    second_batch_bytes_ = OutStats().bytes() - first_bytes;
    clock_->Advance(round_trip);
    links_.last().events.on_ack(1);
    clock_->Advance(drain);
    links_.last().events.on_ack(2);
    ASSERT_GT(OutStats().bandwidth_mbps(), 0.0);
  }
  void MeasureLink(absl::Duration round_trip, absl::Duration drain) {
    MeasureLink(round_trip, drain, Options());
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
  uint64_t second_batch_bytes_ = 0;  // set by MeasureLink
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

// gaia_async sends the first clock (the start line its peers wait for) and
// no other, not even the done clock.
TEST_F(MirrorSenderTest, AsyncModeSendsOnlyItsFirstMirrorClock) {
  ASSERT_NO_FATAL_FAILURE(StartAsyncAndAckClockOne());
  std::optional<rpc::MirrorMessage> m;
  for (int64_t clock = 2; clock <= 3; ++clock) {
    Update(3, 2.0f);
    sender_->OnClockAdvanced(clock, /*all_done=*/clock == 3);
    m = PumpMessage();
    ASSERT_TRUE(m.has_value() && m->has_batch()) << "clock " << clock;
    EXPECT_EQ(m->batch().clocks_size(), 0) << "clock " << clock;
    EXPECT_EQ(ElementsOf(m->batch(), {kWidth}).size(), kWidth) << "clock " << clock;
    links_.last().events.on_ack(static_cast<uint64_t>(clock));
  }
}

// A welcome below what was acknowledged comes from a restarted peer shard:
// what is still held goes again numbered from where it expects (not as a
// gap it would refuse), and the last mirror clock follows, since the peer
// lost it too. In gaia_async that is the first clock, the only one the
// peer's start line waits for.
TEST_F(MirrorSenderTest, ARestartedReceiverGetsHeldBatchesRenumberedAndTheClockAgain) {
  ASSERT_NO_FATAL_FAILURE(StartAsyncAndAckClockOne());
  Update(3, 2.0f);
  sender_->OnClockAdvanced(2, false);
  const std::optional<rpc::MirrorMessage> second = PumpMessage();
  ASSERT_TRUE(second.has_value() && second->has_batch());
  ASSERT_EQ(second->batch().seq(), 2u);
  links_.last().events.on_done(absl::UnavailableError("peer restarted"));
  sender_->Pump();  // ends the call, schedules the retry
  clock_->Advance(absl::Seconds(1));
  ASSERT_NO_FATAL_FAILURE(Connect(/*next_seq=*/1));  // a receiver that knows nothing

  std::optional<rpc::MirrorMessage> m = PumpMessage();
  ASSERT_TRUE(m.has_value() && m->has_batch());
  EXPECT_EQ(m->batch().seq(), 1u) << "the held batch keeps its old number: a gap";
  EXPECT_EQ(ElementsOf(m->batch(), {kWidth}), ElementsOf(second->batch(), {kWidth}));
  m = PumpMessage();
  ASSERT_TRUE(m.has_value() && m->has_batch());
  EXPECT_EQ(m->batch().seq(), 2u);
  ASSERT_EQ(m->batch().clocks_size(), 1);
  EXPECT_EQ(m->batch().clocks(0).clock(), 1);
  EXPECT_EQ(m->batch().updates_size(), 0) << "acknowledged data is not sent again";
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

TEST_F(MirrorSenderTest, CapacityIsMeasuredWhileBatchesDrainAndTheRoundTripApart) {
  ASSERT_NO_FATAL_FAILURE(MeasureLink(absl::Seconds(2), absl::Milliseconds(500)));
  EXPECT_NEAR(OutStats().bandwidth_mbps(), second_batch_bytes_ / 0.5 * 8 / 1e6, 1e-12);
  EXPECT_DOUBLE_EQ(OutStats().rtt_ms(), 2000);
}

TEST_F(MirrorSenderTest, ALoneBatchMeasuresTheRoundTripNotTheCapacity) {
  Start(Options());
  ASSERT_NO_FATAL_FAILURE(Connect());
  Update(3, 0.5f);
  sender_->OnClockAdvanced(1, false);
  ASSERT_TRUE(PumpMessage().has_value());
  clock_->Advance(absl::Seconds(2));
  links_.last().events.on_ack(1);
  EXPECT_EQ(OutStats().bandwidth_mbps(), 0.0);
  EXPECT_DOUBLE_EQ(OutStats().rtt_ms(), 2000);
}

TEST_F(MirrorSenderTest, SlowLinkGetsABarrierAheadOfTheRowsAndCompression) {
  ASSERT_NO_FATAL_FAILURE(MeasureLink(absl::Seconds(1), absl::Seconds(10)));  // a few B/s
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

TEST_F(MirrorSenderTest, FastLinkGetsNoBarrierWhateverItsRoundTrip) {
  // 10 s round trip, but the second batch drained 1 ms after the first.
  ASSERT_NO_FATAL_FAILURE(MeasureLink(absl::Seconds(10), absl::Milliseconds(1)));
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
  ASSERT_NO_FATAL_FAILURE(MeasureLink(absl::Seconds(1), absl::Seconds(10), std::move(options)));
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

// The sweep of clock t scores against the hard threshold in force at t,
// 0.3 / sqrt(t) here: a row kept back at the initial 0.3 goes out at the
// first clock whose decayed threshold it exceeds, and not before; a row
// below every threshold reached stays back. A sweep that used the initial
// threshold would never send row 3 or 5; one with no threshold would send
// all three at clock 1.
TEST_F(MirrorSenderTest, SweepUsesTheHardThresholdDecayedToItsClock) {
  mirror::MirrorOptions options = Options();
  options.threshold.initial = 0.3;
  options.threshold.decay = significance::Decay::kInverseSqrt;
  Start(std::move(options));
  ASSERT_NO_FATAL_FAILURE(Connect());
  Update(3, 0.2f);   // 0.2 / 1.2 = 0.167: above 0.3 / sqrt(t) from t = 4 (0.150; 0.173 at 3)
  Update(5, 0.11f);  // 0.11 / 1.11 = 0.099: from t = 10 (0.095; 0.100 at 9)
  Update(6, 0.01f);  // 0.01 / 1.01 = 0.0099: not before t = 919
  const std::map<uint64_t, int64_t> first_clock = {{3, 4}, {5, 10}};
  std::map<uint64_t, int64_t> sent_at;
  for (int64_t t = 1; t <= 12; ++t) {
    sender_->OnClockAdvanced(t, false);
    const std::optional<rpc::MirrorMessage> m = PumpMessage();
    ASSERT_TRUE(m.has_value() && m->has_batch()) << "clock " << t << " sent nothing";
    ASSERT_EQ(m->batch().clocks_size(), 1);
    EXPECT_EQ(m->batch().clocks(0).clock(), t);
    for (const auto& [key, value] : ElementsOf(m->batch(), {kWidth})) {
      const uint64_t row = std::get<1>(key);
      EXPECT_FALSE(sent_at.count(row) && sent_at[row] != t) << "row " << row << " sent twice";
      sent_at[row] = t;
    }
    links_.last().events.on_ack(m->batch().seq());
  }
  EXPECT_EQ(sent_at, first_clock);
  rpc::MirrorStatusReply status;
  sender_->AddStatus(&status);
  EXPECT_NEAR(status.hard_threshold(), 0.3 / std::sqrt(12.0), 1e-12);
}

// Following the learning rate (the default once an app reports one), the
// sweep after the rate halves uses half the initial threshold: a row kept
// back at 0.3 goes out at the first clock after the report.
TEST_F(MirrorSenderTest, SweepUsesTheThresholdScaledByTheReportedLearningRate) {
  mirror::MirrorOptions options = Options();
  options.threshold.initial = 0.3;
  options.threshold.decay = significance::Decay::kLearningRate;
  Start(std::move(options));
  ASSERT_NO_FATAL_FAILURE(Connect());
  sender_->OnLearningRate(0.1);
  Update(3, 0.2f);  // 0.2 / 1.2 = 0.167: between 0.15 and 0.3
  // The rows clock t's sweep sent.
  auto sweep = [this](int64_t t) {
    sender_->OnClockAdvanced(t, false);
    std::set<uint64_t> rows;
    const std::optional<rpc::MirrorMessage> m = PumpMessage();
    EXPECT_TRUE(m.has_value() && m->has_batch()) << "clock " << t << " sent nothing";
    if (!m.has_value() || !m->has_batch()) return rows;
    for (const auto& [key, value] : ElementsOf(m->batch(), {kWidth})) rows.insert(std::get<1>(key));
    links_.last().events.on_ack(m->batch().seq());
    return rows;
  };
  EXPECT_TRUE(sweep(1).empty());
  EXPECT_TRUE(sweep(2).empty()) << "the threshold moved without a new learning rate";
  sender_->OnLearningRate(0.05);
  EXPECT_EQ(sweep(3), std::set<uint64_t>{3});
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

// The sender's links lead to a real receiver (dc 1) with its read gate, over
// its own fake shard: what the sender writes is handed to the receiver when
// the test says, and the receiver's acks go back to the sender. Links drop
// between the two, as a relay restart would cut them.
class SenderToReceiverTest : public MirrorSenderTest {
 protected:
  SenderToReceiverTest() {
    mirror::MirrorOptions o = Options();
    o.dc = 1;
    gate_ = std::make_shared<mirror::AspGate>(o.dc, o.overlay.num_dcs(), o.ds, o.barriers);
    receiver_ = std::make_unique<mirror::MirrorReceiver>(std::move(o), gate_, &forward_);
    receiver_->Attach(peer_shard_);
    receiver_->Bind(
        std::shared_ptr<server::MirrorTarget>(&peer_shard_, [](server::MirrorTarget*) {}));
  }
  // Barriers for any backlog at all once the link is measured, so the test
  // does not depend on how the link's capacity is estimated.
  mirror::MirrorOptions BarrierOptions() {
    mirror::MirrorOptions o = Options();
    o.barrier_backlog_ms = 0.001;
    return o;
  }

  // Opens a link attempt; the receiver answers its hello, the sender gets
  // the receiver's welcome.
  void Reconnect() {
    const size_t before = links_.size();
    sender_->Pump();
    ASSERT_EQ(links_.size(), before + 1) << "no new link attempt";
    inbound_ = std::make_shared<FakeInbound>();
    rpc::MirrorMessage hello;
    *hello.mutable_hello() = links_.last().hello;
    receiver_->Handle(inbound_, hello);
    ASSERT_FALSE(inbound_->replies.empty());
    ASSERT_TRUE(inbound_->replies.back().has_welcome()) << inbound_->replies.back().DebugString();
    links_.last().events.on_welcome(inbound_->replies.back().welcome().next_seq());
  }

  // The link ends (both ways) before anything more crosses it; the sender
  // notices and its reconnect backoff passes.
  void DropLink() {
    links_.last().events.on_done(absl::UnavailableError("relay restarted"));
    sender_->Pump();
    clock_->Advance(absl::Seconds(1));
  }

  // Everything the sender writes now, one message per Pump, until a Pump
  // writes nothing (at most 20).
  std::vector<rpc::MirrorMessage> PumpAll() {
    std::vector<rpc::MirrorMessage> out;
    for (int i = 0; i < 20; ++i) {
      std::optional<rpc::MirrorMessage> m = PumpMessage();
      if (!m) break;
      out.push_back(std::move(*m));
    }
    return out;
  }

  // Hands `m` to the receiver; its acks reach the sender unless the link
  // is about to lose them.
  void Deliver(const rpc::MirrorMessage& m, bool acks_arrive = true) {
    const size_t before = inbound_->replies.size();
    receiver_->Handle(inbound_, m);
    for (size_t i = before; acks_arrive && i < inbound_->replies.size(); ++i) {
      if (inbound_->replies[i].has_ack()) {
        links_.last().events.on_ack(inbound_->replies[i].ack().acked_through());
      }
    }
  }

  // Whether the receiver holds local reads of `row` for a barrier.
  bool Held(uint64_t row) const {
    std::string ids;
    common::AppendPacked<uint64_t>(&ids, row);
    return gate_->Check(0, ids, /*shard_clock=*/0).kind == server::ReadGate::Hold::kBarrier;
  }

  // Connects and measures the link as slow: three batches outstanding at
  // once, acknowledged a second apart (tens of bytes per second, however
  // the sender estimates capacity from its acks). Rows 0..2 cross.
  void ConnectSlowLink() {
    ASSERT_NO_FATAL_FAILURE(Reconnect());
    std::vector<rpc::MirrorMessage> sent;
    for (int64_t c = 1; c <= 3; ++c) {
      Update(static_cast<uint64_t>(c - 1), 0.5f);
      sender_->OnClockAdvanced(c, false);
      for (rpc::MirrorMessage& m : PumpAll()) sent.push_back(std::move(m));
    }
    for (const rpc::MirrorMessage& m : sent) {
      clock_->Advance(absl::Seconds(1));
      Deliver(m);
    }
    ASSERT_EQ(OutStats().unacked_batches(), 0u);
  }

  // Rows 6 and 7 change at clock 4 on the slow link: a barrier naming them,
  // then the batch carrying them. Neither is delivered yet.
  void SendBarrierAndBatch(rpc::MirrorMessage* barrier, rpc::MirrorMessage* batch) {
    Update(6, 0.5f);
    Update(7, 0.5f);
    sender_->OnClockAdvanced(4, false);
    const std::vector<rpc::MirrorMessage> out = PumpAll();
    ASSERT_EQ(out.size(), 2u);
    ASSERT_TRUE(out[0].has_barrier()) << "rows queued on a slow link got no barrier first";
    ASSERT_TRUE(out[1].has_batch());
    EXPECT_TRUE(ElementsOf(out[1].batch(), {kWidth}).count({0, 7, 1}));
    EXPECT_GE(out[1].batch().barriers_through(), out[0].barrier().barrier_id());
    *barrier = out[0];
    *batch = out[1];
  }

  // After a reconnect: the same barrier again, ahead of the same batch.
  void ExpectBarrierResentAheadOfBatch(const rpc::MirrorMessage& barrier,
                                       const rpc::MirrorMessage& batch,
                                       std::vector<rpc::MirrorMessage>* again) {
    *again = PumpAll();
    ASSERT_EQ(again->size(), 2u);
    ASSERT_TRUE((*again)[0].has_barrier()) << "the batch went before its barrier";
    EXPECT_EQ((*again)[0].barrier().barrier_id(), barrier.barrier().barrier_id());
    ASSERT_TRUE((*again)[1].has_batch());
    EXPECT_EQ((*again)[1].batch().seq(), batch.batch().seq());
    EXPECT_EQ(OutStats().retransmitted(), 1u);
  }

  FakeShard peer_shard_{{FakeTable()}};
  FakeForward forward_;
  std::shared_ptr<mirror::AspGate> gate_;
  std::unique_ptr<mirror::MirrorReceiver> receiver_;
  std::shared_ptr<FakeInbound> inbound_;  // the receiver's end of the current link
};

// The barrier arrived, the batch releasing it did not: the rows stay held
// across the drop, the barrier goes again ahead of the batch, and the reads
// open when that batch is applied, not before.
TEST_F(SenderToReceiverTest, BarrierHeldAcrossADropIsReleasedByTheResentBatch) {
  Start(BarrierOptions());
  ASSERT_NO_FATAL_FAILURE(ConnectSlowLink());
  rpc::MirrorMessage barrier, batch;
  ASSERT_NO_FATAL_FAILURE(SendBarrierAndBatch(&barrier, &batch));
  Deliver(barrier);
  EXPECT_TRUE(Held(6) && Held(7));
  DropLink();  // the batch is lost with the link
  EXPECT_TRUE(Held(6) && Held(7)) << "released without the data";

  ASSERT_NO_FATAL_FAILURE(Reconnect());
  std::vector<rpc::MirrorMessage> again;
  ASSERT_NO_FATAL_FAILURE(ExpectBarrierResentAheadOfBatch(barrier, batch, &again));
  Deliver(again[0]);
  EXPECT_TRUE(Held(6) && Held(7));
  EXPECT_FLOAT_EQ(peer_shard_.value(0, 6, 0), 1.0f);
  const int reopened = peer_shard_.reopened();
  Deliver(again[1]);
  EXPECT_FALSE(Held(6) || Held(7)) << "the data arrived but the reads stay held";
  EXPECT_EQ(gate_->blocked_rows(), 0u);
  EXPECT_GT(peer_shard_.reopened(), reopened) << "held reads were not woken";
  EXPECT_FLOAT_EQ(peer_shard_.value(0, 6, 0), 1.5f);
  EXPECT_FLOAT_EQ(peer_shard_.value(0, 7, 1), 1.5f);

  // Acknowledged: another drop brings back neither the rows' hold nor their
  // data.
  DropLink();
  ASSERT_NO_FATAL_FAILURE(Reconnect());
  for (const rpc::MirrorMessage& m : PumpAll()) Deliver(m);
  EXPECT_FALSE(Held(6) || Held(7));
  EXPECT_FLOAT_EQ(peer_shard_.value(0, 6, 0), 1.5f);
}

// Both the barrier and its batch were lost: after the reconnect the barrier
// holds the rows first, and the batch right behind it opens them.
TEST_F(SenderToReceiverTest, BarrierLostWithItsBatchIsResentAheadOfIt) {
  Start(BarrierOptions());
  ASSERT_NO_FATAL_FAILURE(ConnectSlowLink());
  rpc::MirrorMessage barrier, batch;
  ASSERT_NO_FATAL_FAILURE(SendBarrierAndBatch(&barrier, &batch));
  DropLink();
  EXPECT_FALSE(Held(6));

  ASSERT_NO_FATAL_FAILURE(Reconnect());
  std::vector<rpc::MirrorMessage> again;
  ASSERT_NO_FATAL_FAILURE(ExpectBarrierResentAheadOfBatch(barrier, batch, &again));
  Deliver(again[0]);
  EXPECT_TRUE(Held(6) && Held(7));
  Deliver(again[1]);
  EXPECT_FALSE(Held(6) || Held(7));
  EXPECT_FLOAT_EQ(peer_shard_.value(0, 7, 0), 1.5f);
}

// The batch was applied but its ack was lost with the link: the receiver's
// welcome skips it, and whatever the sender re-sends (the barrier it still
// thinks unreleased) must not hold the rows again, for no data will follow.
TEST_F(SenderToReceiverTest, BarrierResentAfterItsBatchWasAppliedHoldsNothing) {
  Start(BarrierOptions());
  ASSERT_NO_FATAL_FAILURE(ConnectSlowLink());
  rpc::MirrorMessage barrier, batch;
  ASSERT_NO_FATAL_FAILURE(SendBarrierAndBatch(&barrier, &batch));
  Deliver(barrier);
  Deliver(batch, /*acks_arrive=*/false);
  EXPECT_FALSE(Held(6) || Held(7));
  DropLink();

  ASSERT_NO_FATAL_FAILURE(Reconnect());
  for (const rpc::MirrorMessage& m : PumpAll()) {
    EXPECT_FALSE(m.has_batch() && m.batch().seq() == batch.batch().seq())
        << "re-sent a batch the welcome said was applied";
    Deliver(m);
  }
  EXPECT_FALSE(Held(6) || Held(7)) << "a stale barrier holds reads that nothing will release";
  EXPECT_EQ(gate_->blocked_rows(), 0u);
  EXPECT_FLOAT_EQ(peer_shard_.value(0, 6, 0), 1.5f) << "applied twice";
  EXPECT_EQ(OutStats().unacked_batches(), 0u);
}

}  // namespace
}  // namespace gaia::testing
