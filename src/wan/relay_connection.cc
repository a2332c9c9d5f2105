#include "src/wan/relay_connection.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "src/common/logging.h"
#include "src/wan/net_util.h"

namespace gaia::wan {
namespace {

// Upper bound on reads per Pump, so one busy pipe cannot starve the others
// sharing the event loop.
constexpr int kMaxReadsPerPump = 8;

bool WouldBlock(int err) { return err == EAGAIN || err == EWOULDBLOCK; }

}  // namespace

size_t Pipe::QueueLimit() const {
  const double bytes_per_ms = link_->bandwidth_mbps() * 1e3 / 8.0;
  const size_t extra = std::max(limits_->queue_limit_bytes,
                                static_cast<size_t>(bytes_per_ms * limits_->queue_limit_ms));
  return std::min(limits_->max_queue_bytes, link_->BandwidthDelayBytes() + extra);
}

absl::Status Pipe::Flush(FdState& dst, TimePoint now) {
  // A down link holds everything it already carries.
  if (queue_.empty() || !link_->up()) return absl::OkStatus();
  while (!queue_.empty() && dst.writable) {
    Chunk& chunk = queue_.front();
    if (chunk.release > now) break;
    const ssize_t n = send(dst.fd, chunk.data.data() + chunk.offset,
                           chunk.data.size() - chunk.offset, MSG_NOSIGNAL);
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      if (WouldBlock(err)) {
        dst.writable = false;
        break;
      }
      return absl::UnavailableError(absl::StrCat("send: ", ErrnoText(err)));
    }
    chunk.offset += static_cast<size_t>(n);
    queued_ -= static_cast<size_t>(n);
    link_->RecordForwarded(static_cast<size_t>(n));
    if (chunk.offset == chunk.data.size()) queue_.pop_front();
  }
  return absl::OkStatus();
}

absl::Status Pipe::Fill(FdState& src, std::vector<char>& scratch) {
  for (int reads = 0; reads < kMaxReadsPerPump && src.readable && !src_eof_; ++reads) {
    const size_t limit = QueueLimit();
    if (queued_ >= limit) break;  // backpressure: let TCP push back on the sender
    TimePoint now = SteadyClock::now();
    const size_t allowed = link_->Available(now);
    if (allowed == 0) break;
    const size_t want =
        std::min({allowed, scratch.size(), limits_->read_chunk_bytes, limit - queued_});
    const ssize_t n = recv(src.fd, scratch.data(), want, 0);
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      if (WouldBlock(err)) {
        src.readable = false;
        link_->EndBacklog(SteadyClock::now());
        break;
      }
      return absl::UnavailableError(absl::StrCat("recv: ", ErrnoText(err)));
    }
    // A short read means the source is drained for now.
    if (static_cast<size_t>(n) < want) link_->EndBacklog(SteadyClock::now());
    now = SteadyClock::now();
    const TimePoint release = now + link_->delay();
    if (n == 0) {
      src_eof_ = true;
      eof_release_ = release;
      break;
    }
    link_->Consume(static_cast<size_t>(n));
    queue_.push_back(Chunk{std::string(scratch.data(), static_cast<size_t>(n)), 0, release});
    queued_ += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

void Pipe::MaybeForwardEof(FdState& dst, TimePoint now) {
  if (!src_eof_ || dst_shut_ || !queue_.empty() || now < eof_release_ || !link_->up()) {
    return;
  }
  // ENOTCONN etc. mean the peer is gone already; the other direction will
  // report it if it matters.
  shutdown(dst.fd, SHUT_WR);
  dst_shut_ = true;
}

absl::Status Pipe::Pump(FdState& src, FdState& dst, std::vector<char>& scratch) {
  if (absl::Status s = Flush(dst, SteadyClock::now()); !s.ok()) return s;
  if (absl::Status s = Fill(src, scratch); !s.ok()) return s;
  // With little or no delay the bytes just read may be due already.
  const TimePoint now = SteadyClock::now();
  if (absl::Status s = Flush(dst, now); !s.ok()) return s;
  MaybeForwardEof(dst, now);
  return absl::OkStatus();
}

TimePoint Pipe::NextDeadline(const FdState& src, const FdState& dst,
                             TimePoint now) const {
  if (!link_->up()) return TimePoint::max();  // SetLink wakes the loop
  TimePoint next = TimePoint::max();
  // Held bytes (and a held EOF) are due at their release time; an
  // unwritable destination is waited for with EPOLLOUT instead.
  if (!queue_.empty() && dst.writable) next = queue_.front().release;
  if (src_eof_ && !dst_shut_ && queue_.empty()) next = std::min(next, eof_release_);
  if (src.readable && !src_eof_ && queued_ < QueueLimit()) {
    // Wake when a worthwhile amount of tokens has accumulated: about
    // min_wake_ms of the rate, at least min_wake_bytes.
    const double bytes_per_ms = link_->bandwidth_mbps() * 1e3 / 8.0;
    const size_t want = std::max(limits_->min_wake_bytes,
                                 static_cast<size_t>(bytes_per_ms * limits_->min_wake_ms));
    next = std::min(next, link_->NextAvailable(want, now));
  }
  return next;
}

Connection::Connection(uint64_t id, std::string label, int client_fd, int target_fd,
                       LinkShaper* forward, LinkShaper* backward,
                       const PipeLimits* limits)
    : id_(id),
      label_(std::move(label)),
      forward_link_(forward),
      backward_link_(backward),
      client_{.fd = client_fd},
      target_{.fd = target_fd},
      forward_(forward, limits),
      backward_(backward, limits) {}

Connection::~Connection() {
  if (counted_) {
    forward_link_->ConnectionClosed();
    if (backward_link_ != forward_link_) backward_link_->ConnectionClosed();
  }
  // Closing also removes the fds from the epoll set.
  if (client_.fd >= 0) close(client_.fd);
  if (target_.fd >= 0) close(target_.fd);
}

void Connection::ApplyEvents(uint32_t events, FdState& fd) {
  // Errors and hang-ups are surfaced by the next recv/send.
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) fd.readable = true;
  if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) fd.writable = true;
}

void Connection::OnClientEvents(uint32_t events) { ApplyEvents(events, client_); }
void Connection::OnTargetEvents(uint32_t events) { ApplyEvents(events, target_); }

bool Connection::Service(std::vector<char>& scratch) {
  auto log = gaia::common::Logger("wan");
  if (connecting_) {
    if (!target_.writable) return true;
    if (absl::Status s = ConnectResult(target_.fd); !s.ok()) {
      log->warn("{}: cannot reach target: {}; closing client", label_, std::string(s.message()));
      return false;
    }
    connecting_ = false;
    counted_ = true;
    forward_link_->ConnectionOpened();
    if (backward_link_ != forward_link_) backward_link_->ConnectionOpened();
    log->debug("{}: connected", label_);
  }
  if (absl::Status s = forward_.Pump(client_, target_, scratch); !s.ok()) {
    log->info("{}: client->target: {}; closing both sides", label_, std::string(s.message()));
    return false;
  }
  if (absl::Status s = backward_.Pump(target_, client_, scratch); !s.ok()) {
    log->info("{}: target->client: {}; closing both sides", label_, std::string(s.message()));
    return false;
  }
  if (forward_.done() && backward_.done()) {
    log->debug("{}: closed by both peers", label_);
    return false;
  }
  return true;
}

TimePoint Connection::NextDeadline(TimePoint now) const {
  if (connecting_) return TimePoint::max();
  return std::min(forward_.NextDeadline(client_, target_, now),
                  backward_.NextDeadline(target_, client_, now));
}

}  // namespace gaia::wan
