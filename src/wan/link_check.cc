#include "src/wan/link_check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "src/common/logging.h"
#include "src/wan/net_util.h"
#include "src/wan/netns_emulator.h"

namespace gaia::wan {
namespace {

using Clock = std::chrono::steady_clock;

// Slack beyond the transfer itself for connecting, the ping-pongs and the
// queue draining after the sender stops.
constexpr std::chrono::seconds kSlack{10};

Clock::time_point After(Clock::time_point t, double seconds) {
  return t + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// Waits until fd is ready for `events`, the deadline passes or *abort is
// set (checked at least every second).
bool WaitFd(int fd, short events, Clock::time_point deadline,
            const std::atomic<bool>* abort = nullptr) {
  while (abort == nullptr || !abort->load()) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p = {fd, events, 0};
    const int rc = poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000)) + 1);
    if (rc > 0) return true;
    if (rc < 0 && errno != EINTR) return false;
  }
  return false;
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Reset(-1); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset(int fd) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

absl::StatusOr<sockaddr_in> Ipv4Addr(const std::string& ip, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("bad address ", ip));
  }
  return addr;
}

int AcceptUntil(int listen_fd, Clock::time_point deadline, const std::atomic<bool>* abort) {
  if (!WaitFd(listen_fd, POLLIN, deadline, abort)) return -1;
  const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd >= 0) SetNoDelay(fd);
  return fd;
}

// What the receiver saw.
struct Received {
  absl::Status status;
  double mbps = 0;
};

// Receiver side of one link, in the destination's namespace. Publishes its
// port (or -1) through `port`; stops waiting for connections once
// *sender_failed is set.
Received Receive(const NetnsDc& dst, double seconds, Clock::time_point deadline,
                 std::promise<int>& port, const std::atomic<bool>* sender_failed) {
  Received r;
  if (absl::Status s = EnterNetns(dst.netns); !s.ok()) {
    port.set_value(-1);
    r.status = s;
    return r;
  }
  absl::StatusOr<sockaddr_in> addr = Ipv4Addr(dst.ip, 0);
  Fd listener(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!addr.ok() || listener.get() < 0 ||
      bind(listener.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr)) != 0 ||
      listen(listener.get(), 4) != 0) {
    port.set_value(-1);
    r.status = absl::UnavailableError(
        absl::StrCat("listen on ", dst.ip, " in ", dst.netns, ": ", ErrnoText(errno)));
    return r;
  }
  absl::StatusOr<int> bound = LocalPort(listener.get());
  port.set_value(bound.ok() ? *bound : -1);
  if (!bound.ok()) {
    r.status = bound.status();
    return r;
  }
  // Connection 1: echo every byte until EOF.
  Fd echo(AcceptUntil(listener.get(), deadline, sender_failed));
  if (echo.get() < 0) {
    r.status = absl::DeadlineExceededError("no ping-pong connection arrived");
    return r;
  }
  while (WaitFd(echo.get(), POLLIN, deadline)) {
    char c;
    const ssize_t n = recv(echo.get(), &c, 1, 0);
    if (n <= 0) break;
    if (send(echo.get(), &c, 1, MSG_NOSIGNAL) != 1) break;
  }
  echo.Reset(-1);
  // Connection 2: count bytes until EOF.
  Fd bulk(AcceptUntil(listener.get(), deadline, sender_failed));
  if (bulk.get() < 0) {
    r.status = absl::DeadlineExceededError("no bulk connection arrived");
    return r;
  }
  std::vector<std::pair<Clock::time_point, uint64_t>> samples;
  std::vector<char> buf(256 * 1024);
  uint64_t total = 0;
  while (WaitFd(bulk.get(), POLLIN, deadline)) {
    const ssize_t n = recv(bulk.get(), buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    total += static_cast<uint64_t>(n);
    samples.emplace_back(Clock::now(), total);
  }
  if (samples.size() < 2) {
    r.status = absl::UnavailableError("the bulk transfer delivered (almost) nothing");
    return r;
  }
  // Steady part: from a quarter of the transfer on.
  const auto skip_until = After(samples.front().first, seconds / 4);
  auto first = std::find_if(samples.begin(), samples.end(),
                            [&](const auto& s) { return s.first >= skip_until; });
  if (first == samples.end() || first + 1 >= samples.end()) first = samples.begin();
  const double window = std::chrono::duration<double>(samples.back().first - first->first).count();
  if (window <= 0) {
    r.status = absl::UnavailableError("the bulk transfer ended at once");
    return r;
  }
  r.mbps = static_cast<double>(samples.back().second - first->second) * 8 / window / 1e6;
  return r;
}

// What the sender saw.
struct Sent {
  absl::Status status;
  double delay_ms = 0;
};

absl::StatusOr<int> ConnectTo(const NetnsDc& dst, int port, Clock::time_point deadline) {
  absl::StatusOr<sockaddr_in> addr = Ipv4Addr(dst.ip, port);
  if (!addr.ok()) return addr.status();
  SockAddr target;
  std::memcpy(&target.addr, &*addr, sizeof(*addr));
  target.len = sizeof(*addr);
  target.family = AF_INET;
  absl::StatusOr<int> fd = StartConnect(target);
  if (!fd.ok()) return fd.status();
  if (!WaitFd(*fd, POLLOUT, deadline)) {
    close(*fd);
    return absl::DeadlineExceededError(absl::StrCat("connect to ", dst.ip, " timed out"));
  }
  if (absl::Status s = ConnectResult(*fd); !s.ok()) {
    close(*fd);
    return s;
  }
  SetNoDelay(*fd);
  return fd;
}

// Sender side of one link, in the source's namespace.
Sent Send(const NetnsDc& src, const NetnsDc& dst, double seconds, Clock::time_point deadline,
          int port) {
  Sent s;
  if (absl::Status st = EnterNetns(src.netns); !st.ok()) {
    s.status = st;
    return s;
  }
  absl::StatusOr<int> ping_fd = ConnectTo(dst, port, deadline);
  if (!ping_fd.ok()) {
    s.status = ping_fd.status();
    return s;
  }
  Fd ping(*ping_fd);
  std::vector<double> rtts;
  for (int i = 0; i < kPingPongs; ++i) {
    const char c = 'p';
    const auto t0 = Clock::now();
    char back = 0;
    if (send(ping.get(), &c, 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1 ||
        !WaitFd(ping.get(), POLLIN, deadline) || recv(ping.get(), &back, 1, MSG_DONTWAIT) != 1) {
      s.status = absl::UnavailableError("ping-pong failed");
      return s;
    }
    rtts.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  ping.Reset(-1);
  std::nth_element(rtts.begin(), rtts.begin() + rtts.size() / 2, rtts.end());
  s.delay_ms = rtts[rtts.size() / 2] / 2;

  absl::StatusOr<int> bulk_fd = ConnectTo(dst, port, deadline);
  if (!bulk_fd.ok()) {
    s.status = bulk_fd.status();
    return s;
  }
  Fd bulk(*bulk_fd);
  const std::string chunk(64 * 1024, 'x');
  const auto stop = std::min(After(Clock::now(), seconds), deadline);
  while (Clock::now() < stop) {
    if (!WaitFd(bulk.get(), POLLOUT, stop)) break;
    const ssize_t n = send(bulk.get(), chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      s.status = absl::UnavailableError(absl::StrCat("send: ", ErrnoText(errno)));
      return s;
    }
  }
  shutdown(bulk.get(), SHUT_WR);
  // Wait for the receiver to see EOF and close, so the measurement covers
  // every byte sent.
  char c;
  while (WaitFd(bulk.get(), POLLIN, deadline) && recv(bulk.get(), &c, 1, 0) > 0) {
  }
  return s;
}

absl::StatusOr<LinkMeasurement> MeasureLink(const NetnsDc& src, const NetnsDc& dst,
                                            double seconds) {
  const auto deadline = After(Clock::now(), seconds) + kSlack;
  std::promise<int> port_promise;
  std::future<int> port_future = port_promise.get_future();
  Received received;
  Sent sent;
  std::atomic<bool> sender_failed{false};
  // Network namespaces are per thread: each side gets a thread of its own
  // that enters its namespace and ends with it.
  std::thread receiver(
      [&] { received = Receive(dst, seconds, deadline, port_promise, &sender_failed); });
  const int port = port_future.get();
  if (port > 0) {
    std::thread sender([&] {
      sent = Send(src, dst, seconds, deadline, port);
      if (!sent.status.ok()) sender_failed = true;
    });
    sender.join();
  }
  receiver.join();
  const std::string link = absl::StrCat(src.dc, "->", dst.dc);
  // The sender's error first: when it fails, the receiver only sees nothing
  // arrive.
  if (!sent.status.ok()) {
    return absl::UnavailableError(absl::StrCat(link, ": ", sent.status.message()));
  }
  if (!received.status.ok()) {
    return absl::UnavailableError(absl::StrCat(link, ": ", received.status.message()));
  }
  LinkMeasurement m;
  m.from = src.dc;
  m.to = dst.dc;
  m.mbps = received.mbps;
  m.delay_ms = sent.delay_ms;
  return m;
}

}  // namespace

absl::StatusOr<std::vector<LinkMeasurement>> CheckLinks(const NetnsPlan& plan,
                                                        const LinkMatrix& matrix,
                                                        double seconds_per_link) {
  if (!(seconds_per_link > 0 && seconds_per_link <= 600)) {
    return absl::InvalidArgumentError(
        absl::StrCat("seconds per link must be in (0, 600], got ", seconds_per_link));
  }
  std::vector<LinkMeasurement> out;
  for (const NetnsLink& link : plan.links) {
    const NetnsDc* src = plan.FindDc(link.from);
    const NetnsDc* dst = plan.FindDc(link.to);
    if (src == nullptr || dst == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("plan has link ", link.from, "->", link.to, " but not both DCs"));
    }
    absl::StatusOr<LinkMeasurement> m = MeasureLink(*src, *dst, seconds_per_link);
    if (!m.ok()) return m.status();
    const std::optional<LinkParams> set = matrix.Find(link.from, link.to);
    m->set_mbps = set ? set->bandwidth_mbps : link.bandwidth_mbps;
    m->set_delay_ms = set ? set->delay_ms : link.delay_ms;
    m->delay_in_kernel = plan.kernel_delay;
    common::Logger("wan")->debug("wan check {}->{}: {:.2f} Mbit/s (set {}), {:.2f} ms", m->from,
                                 m->to, m->mbps, m->set_mbps, m->delay_ms);
    out.push_back(*std::move(m));
  }
  return out;
}

double RateErrorPercent(const LinkMeasurement& m) {
  return m.set_mbps > 0 ? (m.mbps / m.set_mbps - 1) * 100 : 0;
}

}  // namespace gaia::wan
