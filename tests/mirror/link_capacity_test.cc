// A link's capacity and round trip (src/mirror/link_capacity.h), kept apart:
// explicit times, no clock read.
#include "src/mirror/link_capacity.h"

#include <cmath>

#include <gtest/gtest.h>

namespace gaia::mirror {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1000);

absl::Time At(double ms) { return kT0 + absl::Microseconds(static_cast<int64_t>(ms * 1000)); }

// One batch of `bytes` written on an idle link at `sent_ms`, acked at
// `acked_ms` with nothing else outstanding.
void Isolated(LinkCapacity& link, uint64_t bytes, double sent_ms, double acked_ms) {
  link.OnWritten(At(sent_ms));
  link.OnAcked(bytes, At(acked_ms), /*outstanding_after=*/0);
}

TEST(LinkCapacity, UnmeasuredUntilASample) {
  LinkCapacity link;
  EXPECT_FALSE(link.measured());
  EXPECT_EQ(link.bytes_per_s(), 0.0);
  EXPECT_EQ(link.rtt_ms(), 0.0);
  EXPECT_TRUE(std::isinf(link.DrainMs(1)));
  EXPECT_EQ(link.QueuedBeyondFlight(5000), 5000u);
}

TEST(LinkCapacity, TheRoundTripOfALoneBatchIsNotACapacity) {
  // The old estimate (bytes over the time since sent) made this link
  // 10 kB / 300 ms = 33 kB/s, whatever it could carry.
  LinkCapacity link;
  Isolated(link, 10'000, 0, 300);
  EXPECT_DOUBLE_EQ(link.rtt_ms(), 300);
  EXPECT_FALSE(link.measured());
}

TEST(LinkCapacity, RoundTripIsTheSmallestRecentTime) {
  LinkCapacity link;
  Isolated(link, 1000, 0, 300);
  Isolated(link, 1000, 1000, 1280);
  Isolated(link, 1000, 2000, 2310);
  EXPECT_DOUBLE_EQ(link.rtt_ms(), 280);
}

TEST(LinkCapacity, BatchesDrainingBackToBackMeasureIt) {
  LinkCapacity link;
  link.OnWritten(At(0));
  link.OnWritten(At(0));  // a second batch behind the first
  link.OnAcked(50'000, At(350), /*outstanding_after=*/50'000);
  EXPECT_FALSE(link.measured()) << "the first ack after idle holds the round trip";
  link.OnAcked(50'000, At(400), /*outstanding_after=*/0);  // drained in 50 ms
  EXPECT_DOUBLE_EQ(link.bytes_per_s(), 1e6);
  EXPECT_DOUBLE_EQ(link.mbps(), 8.0);
  EXPECT_DOUBLE_EQ(link.DrainMs(100'000), 100);
}

TEST(LinkCapacity, TwoSizesOfLoneBatchesMeasureIt) {
  LinkCapacity link;
  Isolated(link, 10'000, 0, 310);          // 300 ms + 10 ms at 1 MB/s
  Isolated(link, 110'000, 1000, 1410);     // 300 ms + 110 ms
  EXPECT_NEAR(link.bytes_per_s(), 1e6, 1);
  EXPECT_DOUBLE_EQ(link.rtt_ms(), 310);
}

TEST(LinkCapacity, JitterIsNotTakenForSerialization) {
  LinkCapacity link;
  Isolated(link, 10'000, 0, 300);
  Isolated(link, 12'000, 1000, 1020);  // 20 ms more: under a tenth of 300 ms
  EXPECT_FALSE(link.measured());
}

TEST(LinkCapacity, TheLargestRecentSampleWinsAndOldOnesExpire) {
  LinkCapacity link;
  link.OnWritten(At(0));
  link.OnAcked(1000, At(100), 1);
  link.OnAcked(100'000, At(200), 1);  // 1 MB/s
  for (size_t i = 0; i < LinkCapacity::kWindow - 1; ++i) {
    link.OnAcked(10'000, At(300 + 100.0 * i), 1);  // 100 kB/s
  }
  EXPECT_DOUBLE_EQ(link.bytes_per_s(), 1e6);
  link.OnAcked(10'000, At(300 + 100.0 * LinkCapacity::kWindow), 1);
  EXPECT_DOUBLE_EQ(link.bytes_per_s(), 1e5);
}

TEST(LinkCapacity, OutstandingBytesWithinTheFlightAreNotQueued) {
  LinkCapacity link;
  Isolated(link, 10'000, 0, 100);     // round trip 100 ms
  link.OnWritten(At(1000));
  link.OnAcked(10'000, At(1100), 10'000);
  link.OnAcked(100'000, At(1200), 0);  // 1 MB/s: 100 kB in flight per round trip
  EXPECT_EQ(link.QueuedBeyondFlight(60'000), 0u);
  EXPECT_EQ(link.QueuedBeyondFlight(300'000), 200'000u);
}

TEST(LinkCapacity, AReconnectEndsTheBusyPeriod) {
  LinkCapacity link;
  link.OnWritten(At(0));
  link.OnWritten(At(0));
  link.OnAcked(1000, At(100), 1000);
  link.OnReconnect();
  // The re-sent batch's ack is a round trip again, not a drain interval.
  link.OnWritten(At(5000));
  link.OnAcked(1000, At(5100), 0);
  EXPECT_FALSE(link.measured());
  EXPECT_DOUBLE_EQ(link.rtt_ms(), 100);
}

}  // namespace
}  // namespace gaia::mirror
