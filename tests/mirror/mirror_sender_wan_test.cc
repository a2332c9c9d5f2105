// The sender's control loop over links of different capacity and round trip
// (thesis §5.3): when the selective barrier fires, and the soft threshold
// per destination. One thread, a fake shard, a fake clock and a simulated
// wire per link (bytes serialize at the link's rate, acks come a round trip
// later); no network and no sleeps.
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "src/mirror/mirror_sender.h"
#include "src/significance/registry.h"
#include "tests/mirror/fake_clock.h"
#include "tests/mirror/fake_shard.h"

namespace gaia::testing {
namespace {

constexpr uint32_t kWidth = 64;
constexpr uint64_t kRows = 1024;

common::TableSpec WideTable() {
  common::TableSpec t;
  t.name = "w";
  t.rows = kRows;
  t.width = kWidth;
  return t;
}

// One link's wire: a batch written at t arrives once the bytes ahead of it
// and its own have serialized at `bytes_per_s`; its ack comes `rtt` after.
struct Wire {
  Wire() = default;
  Wire(double bytes_per_s, absl::Duration rtt, bool acks = true)
      : bytes_per_s(bytes_per_s), rtt(rtt), acks(acks) {}
  double bytes_per_s = 0;
  absl::Duration rtt;
  bool acks = true;             // false: a link whose acks never come
  absl::Time free_at = absl::InfinitePast();
  std::map<absl::Time, std::vector<uint64_t>> acks_due;  // time -> seqs
  size_t seen = 0;              // messages of the attempt accounted for
  int barriers = 0;
  std::vector<rpc::MirrorBatch> batches;
};

class MirrorSenderWanTest : public ::testing::Test {
 protected:
  // Three DCs (this is dc 0), exact values, hard threshold 0.01 relative.
  mirror::MirrorOptions Options() {
    mirror::MirrorOptions o;
    o.job_id = "unit";
    o.dc = 0;
    o.tables = {WideTable()};
    o.overlay = mirror::Overlay({0, 0, 0}, {{0}});
    o.significance = *registry_.Find("relative");
    o.threshold.initial = 0.01;
    o.threshold.decay = significance::Decay::kNone;
    o.threshold.soft_enabled = false;
    o.values = significance::ValueEmission::kExact;
    o.barrier_backlog_ms = 100;
    o.clock = clock_;
    o.connect = links_.connector();
    return o;
  }

  void Start(mirror::MirrorOptions options) {
    sender_ = std::make_unique<mirror::MirrorSender>(std::move(options));
    sender_->Attach(shard_);
    sender_->Bind(std::shared_ptr<server::MirrorTarget>(&shard_, [](server::MirrorTarget*) {}));
    sender_->SetPeers({{1, "peer-1"}, {2, "peer-2"}});
    sender_->Pump();
    ASSERT_EQ(links_.size(), 2u);
    for (size_t i = 0; i < 2; ++i) links_.at(i).events.on_welcome(1);
  }

  FakeLinkState& LinkTo(uint32_t dc) {
    const std::string address = "peer-" + std::to_string(dc);
    return links_.at(links_.at(0).address == address ? 0 : 1);
  }

  // Every column of `rows` rows (from `first`) changes by about `delta`
  // (column 0 by exactly `delta`; the others differ a little, so that rows
  // go out as plain floats, not in the compact +-s form).
  void Update(uint64_t first, uint64_t rows, float delta) {
    std::vector<float> d(kWidth);
    for (uint32_t c = 0; c < kWidth; ++c) d[c] = delta * (1.0f + 0.01f * static_cast<float>(c % 7));
    for (uint64_t row = first; row < first + rows; ++row) {
      shard_.AddLocal(0, row, d);
      const uint64_t ids[] = {row};
      sender_->OnRowsApplied(0, ids, d);
    }
  }

  // Puts what the sender wrote since the last call on the simulated wires.
  void Transmit() {
    const absl::Time now = clock_->Now();
    for (uint32_t dc : {1u, 2u}) {
      Wire& wire = wires_[dc];
      FakeLinkState& link = LinkTo(dc);
      for (; wire.seen < link.written.size(); ++wire.seen) {
        const rpc::MirrorMessage& m = link.written[wire.seen];
        if (m.has_barrier()) {
          ++wire.barriers;
          continue;
        }
        const double seconds = static_cast<double>(m.ByteSizeLong()) / wire.bytes_per_s;
        wire.free_at = std::max(now, wire.free_at) + absl::Seconds(seconds);
        if (wire.acks) wire.acks_due[wire.free_at + wire.rtt].push_back(m.batch().seq());
        wire.batches.push_back(m.batch());
      }
    }
  }

  // Pumps at the current time until the sender writes nothing more.
  void PumpUntilQuiet() {
    for (int i = 0; i < 1000; ++i) {
      const size_t before = LinkTo(1).written.size() + LinkTo(2).written.size();
      sender_->Pump();
      Transmit();
      if (LinkTo(1).written.size() + LinkTo(2).written.size() == before) return;
    }
    FAIL() << "the sender kept writing";
  }

  // Pumps and delivers acks in time order until `until`, then sets the
  // clock there. Bounded: every step either writes or delivers.
  void RunUntil(absl::Time until) {
    for (int step = 0; step < 100000; ++step) {
      PumpUntilQuiet();
      absl::Time next = until;
      uint32_t next_dc = 0;
      for (uint32_t dc : {1u, 2u}) {
        if (!wires_[dc].acks_due.empty() && wires_[dc].acks_due.begin()->first < next) {
          next = wires_[dc].acks_due.begin()->first;
          next_dc = dc;
        }
      }
      if (next_dc == 0) {
        clock_->Advance(until - clock_->Now());
        PumpUntilQuiet();
        return;
      }
      clock_->Advance(next - clock_->Now());
      auto due = wires_[next_dc].acks_due.begin();
      const uint64_t through = due->second.back();
      wires_[next_dc].acks_due.erase(due);
      LinkTo(next_dc).events.on_ack(through);
    }
    FAIL() << "the simulation did not settle";
  }

  rpc::MirrorLinkStats Stats(uint32_t dc) const {
    rpc::MirrorStatusReply reply;
    sender_->AddStatus(&reply);
    for (const rpc::MirrorLinkStats& s : reply.links()) {
      if (s.peer_dc() == dc) return s;
    }
    return {};
  }

  // The sum of every element of `row` that reached `dc`, column 0.
  float Received(uint32_t dc, uint64_t row) {
    float sum = 0;
    for (const rpc::MirrorBatch& batch : wires_[dc].batches) {
      const auto elements = ElementsOf(batch, {kWidth});
      auto it = elements.find({0, row, 0});
      if (it != elements.end()) sum += it->second;
    }
    return sum;
  }

  significance::Registry registry_{1e-3};
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  FakeLinks links_;
  FakeShard shard_{{WideTable()}};
  std::unique_ptr<mirror::MirrorSender> sender_;
  std::map<uint32_t, Wire> wires_;
};

TEST_F(MirrorSenderWanTest, BarriersFollowTheBacklogNotTheRoundTrip) {
  // dc 1: far and fast (300 ms, 1 Gbit/s); dc 2: near and slow (20 ms,
  // 2 Mbit/s). Each clock (1 s) queues one batch of 90-170 kB for both:
  // about 1 ms on dc 1's link, 0.4-0.7 s on dc 2's. Acked bytes over the
  // time since sent made dc 1's link look as slow as its batch over 300 ms,
  // so its backlog always looked 300 ms long.
  wires_[1] = Wire(125e6, absl::Milliseconds(300));
  wires_[2] = Wire(250e3, absl::Milliseconds(20));
  ASSERT_NO_FATAL_FAILURE(Start(Options()));
  for (int64_t clock = 1; clock <= 6; ++clock) {
    Update(0, 300 + 60 * clock, 0.5f);
    sender_->OnClockAdvanced(clock, false);
    RunUntil(clock_->Now() + absl::Seconds(1));
  }
  EXPECT_EQ(wires_[1].barriers, 0) << "a far link that keeps up needs no barrier";
  EXPECT_GE(wires_[2].barriers, 4) << "a slow link with a backlog announces it";
  EXPECT_NEAR(Stats(1).rtt_ms(), 301, 2);
  EXPECT_NEAR(Stats(2).bandwidth_mbps(), 2.0, 0.2);
}

TEST_F(MirrorSenderWanTest, SoftThresholdIsPerDestinationAndBestEffort) {
  // dc 1 acks at once; dc 2's acks never come, so its link never has room.
  wires_[1] = Wire(125e6, absl::Milliseconds(10));
  wires_[2] = Wire(125e6, absl::Milliseconds(10), /*acks=*/false);
  mirror::MirrorOptions options = Options();
  options.threshold.soft_enabled = true;
  options.threshold.min_soft_ratio = 0.1;
  ASSERT_NO_FATAL_FAILURE(Start(options));
  Update(0, 1, 0.5f);  // significant: both links get it, dc 2 never acks it
  for (int64_t clock = 1; clock <= 4; ++clock) {
    sender_->OnClockAdvanced(clock, false);
    RunUntil(clock_->Now() + absl::Seconds(1));
  }
  // dc 1's ratio halved at each clock end (down to the 0.1 floor); dc 2's
  // halved once, while it was still idle, and doubled back.
  EXPECT_DOUBLE_EQ(Stats(1).soft_threshold(), 0.01 * 0.1) << "halved at each spare clock end";
  EXPECT_DOUBLE_EQ(Stats(2).soft_threshold(), 0.01) << "a busy link keeps the hard bar";
  const int barriers_before = wires_[2].barriers;

  // About 0.0045 relative: under the hard bar, over dc 1's soft one.
  Update(3, 1, 0.0045f);
  sender_->OnClockAdvanced(5, false);
  RunUntil(clock_->Now() + absl::Seconds(1));
  EXPECT_FLOAT_EQ(Received(1, 3), 0.0045f) << "dc 1 has room: sent";
  EXPECT_EQ(Received(2, 3), 0.0f) << "dc 2 is busy: parked";
  EXPECT_EQ(Stats(2).parked_rows(), 1u);

  // After a second one dc 2's parked sum is still under the hard bar; after
  // a third (up to 0.0143 over a value of ~1.014) it is significant there
  // and goes out, barrier rules and all.
  Update(3, 1, 0.0045f);
  sender_->OnClockAdvanced(6, false);
  RunUntil(clock_->Now() + absl::Seconds(1));
  EXPECT_EQ(Received(2, 3), 0.0f);
  Update(3, 1, 0.0045f);
  sender_->OnClockAdvanced(7, false);
  RunUntil(clock_->Now() + absl::Seconds(1));
  EXPECT_NEAR(Received(1, 3), 0.0135f, 1e-6);
  EXPECT_NEAR(Received(2, 3), 0.0135f, 1e-6) << "nothing lost, nothing doubled";
  EXPECT_EQ(Stats(2).parked_rows(), 0u);
  EXPECT_EQ(wires_[2].barriers, barriers_before) << "soft rows never trigger barriers";

  // The final flush takes whatever is parked.
  Update(5, 1, 0.003f);
  sender_->OnClockAdvanced(8, false);
  RunUntil(clock_->Now() + absl::Seconds(1));
  EXPECT_EQ(Received(2, 5), 0.0f);
  sender_->OnClockAdvanced(9, /*all_done=*/true);
  RunUntil(clock_->Now() + absl::Seconds(1));
  EXPECT_FLOAT_EQ(Received(2, 5), 0.003f);
  EXPECT_FLOAT_EQ(Received(1, 5), 0.003f);
}

TEST_F(MirrorSenderWanTest, ParkedRowsGoOnceTheLinkHasRoom) {
  wires_[1] = Wire(125e6, absl::Milliseconds(10));
  wires_[2] = Wire(125e6, absl::Milliseconds(10), /*acks=*/false);
  mirror::MirrorOptions options = Options();
  options.threshold.soft_enabled = true;
  ASSERT_NO_FATAL_FAILURE(Start(options));
  Update(0, 1, 0.5f);
  for (int64_t clock = 1; clock <= 3; ++clock) {
    sender_->OnClockAdvanced(clock, false);
    RunUntil(clock_->Now() + absl::Seconds(1));
  }
  Update(3, 1, 0.0045f);
  sender_->OnClockAdvanced(4, false);
  RunUntil(clock_->Now() + absl::Seconds(1));
  ASSERT_EQ(Stats(2).parked_rows(), 1u);
  // dc 2's receiver catches up: everything is acknowledged.
  LinkTo(2).events.on_ack(wires_[2].batches.back().seq());
  RunUntil(clock_->Now() + absl::Milliseconds(100));
  EXPECT_EQ(Stats(2).parked_rows(), 0u);
  EXPECT_FLOAT_EQ(Received(2, 3), 0.0045f);
}

}  // namespace
}  // namespace gaia::testing
