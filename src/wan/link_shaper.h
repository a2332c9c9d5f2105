// LinkShaper: one emulated, directed DC->DC WAN link (e.g. "a->b").
//
// A link has a bandwidth (token bucket) and a fixed one-way delay. Several
// TCP connections may share one link: they draw from the same bucket and add
// to the same counters. The shaper itself moves no bytes; the Relay asks it
// how many bytes may enter the link now (Available/Consume), stamps each
// admitted chunk with `now + delay()` and writes it out no earlier than that.
//
// Time is always passed in by the caller (steady clock), so the bucket can be
// unit-tested with made-up times.
//
// Bucket depth (the largest burst the link lets through at once):
//   depth_bytes = max(min_burst_bytes, bandwidth * burst_ms)
// With the defaults (16 KiB, 2 ms) a 1000 Mbit/s link bursts at most 250 KB
// after being idle, a 10 Mbit/s link 16 KiB. Small depth keeps the rate
// honest over windows of a few milliseconds.
//
// Catch-up: while a sender is waiting for tokens (NextAvailable found too
// few), the bucket may fill beyond its depth by up to catch_up_ms of rate.
// A real link with a backlog transmits continuously; the relay thread, on a
// loaded machine, may be descheduled for several milliseconds and would
// otherwise lose those tokens (measured: -10..-25% at 100..1000 Mbit/s on a
// busy 2-core host). Once a consumer finds its source empty (EndBacklog) the
// bucket stops growing beyond its depth and the extra tokens expire within
// catch_up_ms, so a link idle for longer bursts at most depth_bytes.
//
// Bandwidth 0 means "down": nothing enters and nothing already inside leaves
// the link until it is set up again (outage emulation).
//
// Thread-safe: every method may be called from any thread.
//
// Example:
//   auto link = LinkShaper::Create({.name = "a->b", .bandwidth_mbps = 100,
//                                   .delay_ms = 20});
//   size_t n = (*link)->Available(now);   // read at most n bytes
//   (*link)->Consume(read_bytes);         // release them at now + delay()
#ifndef GAIA_SRC_WAN_LINK_SHAPER_H_
#define GAIA_SRC_WAN_LINK_SHAPER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/common/mutex.h"

namespace gaia::wan {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

// Largest accepted values; beyond these a config is certainly a typo.
inline constexpr double kMaxBandwidthMbps = 1e6;  // 1 Tbit/s
inline constexpr double kMaxDelayMs = 600e3;      // 10 minutes

// Static description of a link, as in the relay config.
struct LinkSpec {
  std::string name;            // unique within a relay, e.g. "us-east->eu-west"
  double bandwidth_mbps = 0;   // Mbit/s (1e6 bit/s); 0 = link down
  double delay_ms = 0;         // fixed one-way delay added to every byte
};

// Snapshot of a link's settings and counters.
struct LinkStats {
  std::string name;
  double bandwidth_mbps = 0;
  double delay_ms = 0;
  uint64_t bytes = 0;               // bytes forwarded (written to the far side)
  uint64_t chunks = 0;              // writes that forwarded those bytes
  int64_t connections = 0;          // connections open now using this link
  uint64_t total_connections = 0;   // connections ever opened on this link
};

// Checks bandwidth/delay ranges; the error names the offending value.
absl::Status ValidateLinkSettings(double bandwidth_mbps, double delay_ms);

class LinkShaper {
 public:
  struct Options {
    // Bucket depth in milliseconds of the current rate (see file comment).
    double burst_ms = 2.0;
    // Lower bound on the bucket depth, so slow links still pass
    // reasonably sized chunks.
    size_t min_burst_bytes = 16 * 1024;
    // Extra tokens (in ms of rate) a backlogged link may accumulate while
    // its relay thread runs late; see the file comment. 0 disables.
    double catch_up_ms = 50.0;
  };

  // Fails with InvalidArgument on a bad spec (negative/NaN/huge values or an
  // empty name). The bucket starts full.
  static absl::StatusOr<std::unique_ptr<LinkShaper>> Create(
      const LinkSpec& spec, Options options, TimePoint now = SteadyClock::now());
  static absl::StatusOr<std::unique_ptr<LinkShaper>> Create(const LinkSpec& spec) {
    return Create(spec, Options());
  }

  LinkShaper(const LinkShaper&) = delete;
  LinkShaper& operator=(const LinkShaper&) = delete;

  const std::string& name() const { return name_; }

  // Changes the link at runtime. Tokens earned so far at the old rate are
  // kept (up to the new depth). A new delay applies to bytes admitted from
  // now on; bytes already inside keep their release time (order is kept by
  // the relay's FIFO queues). bandwidth_mbps == 0 takes the link down.
  absl::Status SetLink(double bandwidth_mbps, double delay_ms,
                       TimePoint now = SteadyClock::now());

  // Whole bytes that may enter the link at `now` (0 when down).
  size_t Available(TimePoint now);
  // Takes `bytes` (at most what Available() just offered) from the bucket.
  // May go slightly negative if callers on several threads raced past
  // Available; later callers then wait longer.
  void Consume(size_t bytes);
  // A consumer found its source empty: the backlog is gone. The bucket
  // stops growing beyond its depth; catch-up tokens it holds stay usable
  // for catch_up_ms (the source is often empty only because the relay ran
  // late and TCP flow control held the sender back), then expire.
  void EndBacklog(TimePoint now);
  // Earliest time at which at least min(want_bytes, depth) bytes are
  // available; TimePoint::max() while the link is down. If fewer are
  // available now, the link counts as backlogged (see catch-up above).
  TimePoint NextAvailable(size_t want_bytes, TimePoint now);

  bool up() const;
  std::chrono::nanoseconds delay() const;
  double bandwidth_mbps() const;
  // Bytes the link can hold in flight: bandwidth * delay.
  size_t BandwidthDelayBytes() const;
  size_t burst_bytes() const;

  // Counters, maintained by the relay.
  void RecordForwarded(size_t bytes);
  void ConnectionOpened();
  void ConnectionClosed();

  LinkStats Stats() const;

 private:
  LinkShaper(std::string name, Options options, TimePoint now);
  // Adds tokens earned since last_refill_. REQUIRES: mu_ held.
  void RefillLocked(TimePoint now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SetLocked(double bandwidth_mbps, double delay_ms)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  const std::string name_;
  const Options options_;

  mutable common::Mutex mu_;
  double bandwidth_mbps_ ABSL_GUARDED_BY(mu_) = 0;
  double bytes_per_ns_ ABSL_GUARDED_BY(mu_) = 0;
  double depth_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  double tokens_ ABSL_GUARDED_BY(mu_) = 0;
  double catch_up_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::chrono::nanoseconds catch_up_window_ ABSL_GUARDED_BY(mu_){0};
  bool backlogged_ ABSL_GUARDED_BY(mu_) = false;
  TimePoint backlog_ended_ ABSL_GUARDED_BY(mu_);
  TimePoint last_refill_ ABSL_GUARDED_BY(mu_);
  double delay_ms_ ABSL_GUARDED_BY(mu_) = 0;
  std::chrono::nanoseconds delay_ ABSL_GUARDED_BY(mu_){0};
  uint64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t chunks_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t connections_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t total_connections_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace gaia::wan

#endif  // GAIA_SRC_WAN_LINK_SHAPER_H_
