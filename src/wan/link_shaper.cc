#include "src/wan/link_shaper.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"

namespace gaia::wan {

absl::Status ValidateLinkSettings(double bandwidth_mbps, double delay_ms) {
  if (!std::isfinite(bandwidth_mbps) || bandwidth_mbps < 0 ||
      bandwidth_mbps > kMaxBandwidthMbps) {
    return absl::InvalidArgumentError(
        absl::StrCat("bandwidth_mbps must be in [0, ", kMaxBandwidthMbps,
                     "] (0 = link down), got ", bandwidth_mbps));
  }
  if (!std::isfinite(delay_ms) || delay_ms < 0 || delay_ms > kMaxDelayMs) {
    return absl::InvalidArgumentError(absl::StrCat(
        "delay_ms must be in [0, ", kMaxDelayMs, "], got ", delay_ms));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<LinkShaper>> LinkShaper::Create(
    const LinkSpec& spec, Options options, TimePoint now) {
  if (spec.name.empty()) return absl::InvalidArgumentError("link name is empty");
  if (absl::Status s = ValidateLinkSettings(spec.bandwidth_mbps, spec.delay_ms);
      !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("link '", spec.name, "': ", s.message()));
  }
  if (!std::isfinite(options.burst_ms) || options.burst_ms <= 0 ||
      !std::isfinite(options.catch_up_ms) || options.catch_up_ms < 0) {
    return absl::InvalidArgumentError(
        "LinkShaper::Options: burst_ms must be > 0 and catch_up_ms >= 0");
  }
  std::unique_ptr<LinkShaper> link(new LinkShaper(spec.name, options, now));
  common::MutexLock lock(&link->mu_);
  link->SetLocked(spec.bandwidth_mbps, spec.delay_ms);
  link->tokens_ = link->depth_bytes_;  // start full
  return link;
}

LinkShaper::LinkShaper(std::string name, Options options, TimePoint now)
    : name_(std::move(name)), options_(options), last_refill_(now) {}

void LinkShaper::SetLocked(double bandwidth_mbps, double delay_ms) {
  bandwidth_mbps_ = bandwidth_mbps;
  bytes_per_ns_ = bandwidth_mbps * 1e6 / 8.0 / 1e9;
  depth_bytes_ = std::max(static_cast<double>(options_.min_burst_bytes),
                          bytes_per_ns_ * options_.burst_ms * 1e6);
  catch_up_bytes_ = bytes_per_ns_ * options_.catch_up_ms * 1e6;
  catch_up_window_ = std::chrono::nanoseconds(
      static_cast<int64_t>(std::llround(options_.catch_up_ms * 1e6)));
  tokens_ = std::min(tokens_, depth_bytes_);
  delay_ms_ = delay_ms;
  delay_ = std::chrono::nanoseconds(static_cast<int64_t>(std::llround(delay_ms * 1e6)));
}

void LinkShaper::RefillLocked(TimePoint now) {
  if (now <= last_refill_) return;
  const double elapsed_ns =
      static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                              now - last_refill_)
                              .count());
  const double cap = backlogged_ ? depth_bytes_ + catch_up_bytes_ : depth_bytes_;
  // Above the cap the bucket does not grow, but it keeps what it has.
  tokens_ = std::max(tokens_, std::min(cap, tokens_ + elapsed_ns * bytes_per_ns_));
  // Catch-up tokens left when a backlog ended expire after catch_up_ms.
  if (!backlogged_ && tokens_ > depth_bytes_ && now - backlog_ended_ > catch_up_window_) {
    tokens_ = depth_bytes_;
  }
  last_refill_ = now;
}

absl::Status LinkShaper::SetLink(double bandwidth_mbps, double delay_ms,
                                 TimePoint now) {
  if (absl::Status s = ValidateLinkSettings(bandwidth_mbps, delay_ms); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("link '", name_, "': ", s.message()));
  }
  common::MutexLock lock(&mu_);
  RefillLocked(now);  // tokens earned so far count at the old rate
  SetLocked(bandwidth_mbps, delay_ms);
  return absl::OkStatus();
}

size_t LinkShaper::Available(TimePoint now) {
  common::MutexLock lock(&mu_);
  if (bytes_per_ns_ <= 0) return 0;
  RefillLocked(now);
  return tokens_ >= 1 ? static_cast<size_t>(tokens_) : 0;
}

void LinkShaper::Consume(size_t bytes) {
  common::MutexLock lock(&mu_);
  tokens_ -= static_cast<double>(bytes);
}

void LinkShaper::EndBacklog(TimePoint now) {
  common::MutexLock lock(&mu_);
  if (!backlogged_) return;
  RefillLocked(now);
  backlogged_ = false;
  backlog_ended_ = now;
}

TimePoint LinkShaper::NextAvailable(size_t want_bytes, TimePoint now) {
  common::MutexLock lock(&mu_);
  if (bytes_per_ns_ <= 0) return TimePoint::max();
  RefillLocked(now);
  const double want = std::min(static_cast<double>(want_bytes), depth_bytes_);
  if (tokens_ >= want) return now;
  backlogged_ = true;
  const double wait_ns = std::ceil((want - tokens_) / bytes_per_ns_);
  return now + std::chrono::nanoseconds(static_cast<int64_t>(wait_ns));
}

bool LinkShaper::up() const {
  common::MutexLock lock(&mu_);
  return bytes_per_ns_ > 0;
}

std::chrono::nanoseconds LinkShaper::delay() const {
  common::MutexLock lock(&mu_);
  return delay_;
}

double LinkShaper::bandwidth_mbps() const {
  common::MutexLock lock(&mu_);
  return bandwidth_mbps_;
}

size_t LinkShaper::BandwidthDelayBytes() const {
  common::MutexLock lock(&mu_);
  return static_cast<size_t>(bytes_per_ns_ * static_cast<double>(delay_.count()));
}

size_t LinkShaper::burst_bytes() const {
  common::MutexLock lock(&mu_);
  return static_cast<size_t>(depth_bytes_);
}

void LinkShaper::RecordForwarded(size_t bytes) {
  common::MutexLock lock(&mu_);
  bytes_ += bytes;
  ++chunks_;
}

void LinkShaper::ConnectionOpened() {
  common::MutexLock lock(&mu_);
  ++connections_;
  ++total_connections_;
}

void LinkShaper::ConnectionClosed() {
  common::MutexLock lock(&mu_);
  --connections_;
}

LinkStats LinkShaper::Stats() const {
  common::MutexLock lock(&mu_);
  return LinkStats{.name = name_,
                   .bandwidth_mbps = bandwidth_mbps_,
                   .delay_ms = delay_ms_,
                   .bytes = bytes_,
                   .chunks = chunks_,
                   .connections = connections_,
                   .total_connections = total_connections_};
}

}  // namespace gaia::wan
