#include "src/wan/link_shaper.h"

#include <chrono>
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace gaia::wan {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

double Millis(SteadyClock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

std::unique_ptr<LinkShaper> MakeLink(double mbps, double delay_ms, TimePoint t0) {
  auto link = LinkShaper::Create({.name = "a->b", .bandwidth_mbps = mbps, .delay_ms = delay_ms},
                                 LinkShaper::Options(), t0);
  EXPECT_TRUE(link.ok()) << link.status();
  return link.ok() ? *std::move(link) : nullptr;
}

TEST(LinkShaper, BucketDepthIsMaxOfFloorAndTwoMillisecondsOfRate) {
  const TimePoint t0 = SteadyClock::now();
  EXPECT_EQ(MakeLink(10, 0, t0)->burst_bytes(), 16u * 1024);      // 2 ms = 2500 B
  EXPECT_EQ(MakeLink(1000, 0, t0)->burst_bytes(), 250000u);       // 2 ms of 125 MB/s
}

TEST(LinkShaper, StartsFullThenRefillsAtRate) {
  const TimePoint t0 = SteadyClock::now();
  auto link = MakeLink(8, 0, t0);  // 8 Mbit/s = 1000 bytes per ms
  ASSERT_EQ(link->Available(t0), 16u * 1024);
  link->Consume(16 * 1024);
  EXPECT_EQ(link->Available(t0), 0u);
  EXPECT_NEAR(static_cast<double>(link->Available(t0 + milliseconds(3))), 3000, 1);
  // Never more than the depth, however long it was idle.
  EXPECT_EQ(link->Available(t0 + std::chrono::seconds(10)), 16u * 1024);
}

TEST(LinkShaper, LongRunRateIsExact) {
  const TimePoint t0 = SteadyClock::now();
  auto link = MakeLink(100, 0, t0);  // 12.5 MB/s
  uint64_t admitted = 0;
  TimePoint t = t0;
  link->Consume(link->Available(t));  // drop the initial burst
  for (int i = 0; i < 10000; ++i) {  // 1 s in 100 us steps
    t += microseconds(100);
    const size_t n = link->Available(t);
    link->Consume(n);
    admitted += n;
  }
  EXPECT_NEAR(static_cast<double>(admitted), 12.5e6, 12.5e6 * 0.001);
}

TEST(LinkShaper, BackloggedLinkCatchesUpAfterALateWakeUp) {
  const TimePoint t0 = SteadyClock::now();
  auto link = MakeLink(8, 0, t0);  // 1000 B/ms, depth 16384 B, catch-up 50 ms
  link->Consume(link->Available(t0));
  // A sender waits for tokens, but the relay thread only runs 80 ms later:
  // it may use depth + 50 ms of rate, not just the depth.
  link->NextAvailable(1000, t0);
  const TimePoint late = t0 + milliseconds(80);
  EXPECT_NEAR(static_cast<double>(link->Available(late)), 16384 + 50000, 1);
  // Once the source is drained the backlog ends: the bucket stops growing
  // and the catch-up tokens expire after catch_up_ms.
  link->Consume(100);
  link->EndBacklog(late);
  EXPECT_NEAR(static_cast<double>(link->Available(late + milliseconds(10))), 66284, 1);
  EXPECT_EQ(link->Available(late + std::chrono::seconds(1)), 16384u);
}

TEST(LinkShaper, NextAvailableSaysWhenTokensSuffice) {
  const TimePoint t0 = SteadyClock::now();
  auto link = MakeLink(8, 0, t0);
  link->Consume(link->Available(t0));
  const TimePoint when = link->NextAvailable(4000, t0);
  EXPECT_NEAR(Millis(when - t0), 4.0, 0.01);
  EXPECT_GE(link->Available(when), 4000u);
  // Requests above the depth are capped to it.
  auto fresh = MakeLink(8, 0, t0);
  fresh->Consume(fresh->Available(t0));
  const TimePoint full = fresh->NextAvailable(1 << 30, t0);
  EXPECT_NEAR(Millis(full - t0), 16.384, 0.01);
}

TEST(LinkShaper, ZeroBandwidthIsDownUntilSetAgain) {
  const TimePoint t0 = SteadyClock::now();
  auto link = MakeLink(0, 5, t0);
  EXPECT_FALSE(link->up());
  EXPECT_EQ(link->Available(t0 + std::chrono::seconds(1)), 0u);
  EXPECT_EQ(link->NextAvailable(1, t0), TimePoint::max());
  ASSERT_TRUE(link->SetLink(8, 5, t0 + std::chrono::seconds(1)).ok());
  EXPECT_TRUE(link->up());
  EXPECT_GT(link->Available(t0 + std::chrono::seconds(2)), 0u);
}

TEST(LinkShaper, SetLinkChangesRateAndDelay) {
  const TimePoint t0 = SteadyClock::now();
  auto link = MakeLink(8, 10, t0);
  EXPECT_EQ(link->delay(), milliseconds(10));
  EXPECT_EQ(link->BandwidthDelayBytes(), 10000u);
  link->Consume(link->Available(t0));
  ASSERT_TRUE(link->SetLink(16, 2.5, t0).ok());
  EXPECT_EQ(link->delay(), microseconds(2500));
  EXPECT_NEAR(static_cast<double>(link->Available(t0 + milliseconds(1))), 2000, 1);
  LinkStats stats = link->Stats();
  EXPECT_EQ(stats.bandwidth_mbps, 16);
  EXPECT_EQ(stats.delay_ms, 2.5);
}

TEST(LinkShaper, RejectsBadSettings) {
  EXPECT_FALSE(LinkShaper::Create({.name = "x", .bandwidth_mbps = -1}).ok());
  EXPECT_FALSE(LinkShaper::Create({.name = "x", .bandwidth_mbps = 1, .delay_ms = -2}).ok());
  EXPECT_FALSE(LinkShaper::Create(
                   {.name = "x", .bandwidth_mbps = std::numeric_limits<double>::quiet_NaN()})
                   .ok());
  EXPECT_FALSE(LinkShaper::Create({.name = "", .bandwidth_mbps = 1}).ok());
  auto link = LinkShaper::Create({.name = "x", .bandwidth_mbps = 1});
  ASSERT_TRUE(link.ok());
  absl::Status s = (*link)->SetLink(1, std::numeric_limits<double>::infinity());
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_NE(s.message().find("delay_ms"), absl::string_view::npos) << s;
}

TEST(LinkShaper, CountsBytesAndConnections) {
  auto link = LinkShaper::Create({.name = "x", .bandwidth_mbps = 1});
  ASSERT_TRUE(link.ok());
  (*link)->ConnectionOpened();
  (*link)->ConnectionOpened();
  (*link)->ConnectionClosed();
  (*link)->RecordForwarded(100);
  (*link)->RecordForwarded(23);
  const LinkStats stats = (*link)->Stats();
  EXPECT_EQ(stats.name, "x");
  EXPECT_EQ(stats.bytes, 123u);
  EXPECT_EQ(stats.chunks, 2u);
  EXPECT_EQ(stats.connections, 1);
  EXPECT_EQ(stats.total_connections, 2u);
}

}  // namespace
}  // namespace gaia::wan
