#include "tests/wan/tcp_test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace gaia::wan::testing {
namespace {

int MillisUntil(Clock::time_point deadline, int cap_ms = 20) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(left, 0, cap_ms));
}

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

bool WaitFor(int fd, short events, Clock::time_point deadline) {
  while (Clock::now() < deadline) {
    pollfd p{.fd = fd, .events = events, .revents = 0};
    const int rc = poll(&p, 1, MillisUntil(deadline));
    if (rc > 0) return true;
    if (rc < 0 && errno != EINTR) return false;
  }
  return false;
}

}  // namespace

int ListenLocal(int* port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr = Loopback(0);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(fd, 64) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return -1;
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

int ConnectLocal(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr = Loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

int DeadPort() {
  int port = 0;
  const int fd = ListenLocal(&port);
  if (fd >= 0) close(fd);
  return port;
}

int AcceptUntil(int listen_fd, Clock::time_point deadline) {
  if (!WaitFor(listen_fd, POLLIN, deadline)) return -1;
  return accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
}

bool WriteAll(int fd, const std::string& data, Clock::time_point deadline) {
  size_t done = 0;
  while (done < data.size()) {
    if (!WaitFor(fd, POLLOUT, deadline)) return false;
    const ssize_t n =
        send(fd, data.data() + done, data.size() - done, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
    if (n > 0) done += static_cast<size_t>(n);
  }
  return true;
}

bool ReadExactly(int fd, size_t n, std::string* out, Clock::time_point deadline) {
  out->clear();
  char buf[65536];
  while (out->size() < n) {
    if (!WaitFor(fd, POLLIN, deadline)) return false;
    const ssize_t r = recv(fd, buf, std::min(sizeof(buf), n - out->size()), MSG_DONTWAIT);
    if (r == 0) return false;
    if (r < 0 && errno != EAGAIN && errno != EINTR) return false;
    if (r > 0) out->append(buf, static_cast<size_t>(r));
  }
  return true;
}

bool ReadUntilClosed(int fd, Clock::time_point deadline, std::string* out) {
  char buf[65536];
  while (true) {
    if (!WaitFor(fd, POLLIN, deadline)) return false;
    const ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (r == 0) return true;
    if (r < 0 && errno != EAGAIN && errno != EINTR) return true;  // reset
    if (r > 0 && out != nullptr) out->append(buf, static_cast<size_t>(r));
  }
}

bool BytesArriving(int fd, std::chrono::milliseconds wait, size_t* bytes) {
  *bytes = 0;
  const auto deadline = Clock::now() + wait;
  char buf[65536];
  while (Clock::now() < deadline) {
    if (!WaitFor(fd, POLLIN, deadline)) break;
    const ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (r == 0) return false;
    if (r < 0 && errno != EAGAIN && errno != EINTR) return false;
    if (r > 0) *bytes += static_cast<size_t>(r);
  }
  return true;
}

Sink::Sink(Clock::time_point deadline) {
  listen_fd_ = ListenLocal(&port_);
  thread_ = std::thread([this, deadline] { Run(deadline); });
}

Sink::~Sink() { Stop(); }

void Sink::Stop() { Stop(true); }

void Sink::Stop(bool now) {
  if (now) stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  listen_fd_ = -1;
}

void Sink::Run(Clock::time_point deadline) {
  std::vector<pollfd> fds = {{.fd = listen_fd_, .events = POLLIN, .revents = 0}};
  std::vector<char> buf(256 * 1024);
  uint64_t total = 0;
  while (!stop_ && Clock::now() < deadline) {
    if (poll(fds.data(), fds.size(), MillisUntil(deadline)) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        fds.push_back({.fd = fd, .events = POLLIN, .revents = 0});
        per_connection_.push_back(0);
      }
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t r = recv(fds[i].fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (r > 0) {
        total += static_cast<uint64_t>(r);
        per_connection_[i - 1] += static_cast<uint64_t>(r);
        samples_.push_back({Clock::now(), total});
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        close(fds[i].fd);
        fds[i].fd = -1;  // poll ignores negative fds
      }
    }
  }
  for (size_t i = 1; i < fds.size(); ++i) {
    if (fds[i].fd >= 0) close(fds[i].fd);
  }
}

double SteadyRateMbps(const std::vector<Sink::Sample>& samples, uint64_t skip_bytes,
                      double* window_s) {
  auto first = std::find_if(samples.begin(), samples.end(),
                            [&](const Sink::Sample& s) { return s.total >= skip_bytes; });
  if (first == samples.end() || first == samples.end() - 1) return 0;
  const Sink::Sample& last = samples.back();
  const double seconds = std::chrono::duration<double>(last.time - first->time).count();
  if (window_s != nullptr) *window_s = seconds;
  if (seconds <= 0) return 0;
  return static_cast<double>(last.total - first->total) * 8.0 / seconds / 1e6;
}

Sender::Sender(int port, Clock::time_point deadline) {
  thread_ = std::thread([this, port, deadline] {
    const int fd = ConnectLocal(port);
    if (fd < 0) return;
    const std::string chunk(256 * 1024, 'x');
    while (Clock::now() < deadline) {
      if (!WaitFor(fd, POLLOUT, deadline)) break;
      const ssize_t n = send(fd, chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EINTR) break;
      if (n > 0) sent_ += static_cast<uint64_t>(n);
    }
    close(fd);
  });
}

Sender::~Sender() { Join(); }

void Sender::Join() {
  if (thread_.joinable()) thread_.join();
}

EchoServer::EchoServer(std::string on_eof) : on_eof_(std::move(on_eof)) {
  listen_fd_ = ListenLocal(&port_);
  thread_ = std::thread([this] { Run(); });
}

EchoServer::~EchoServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
}

void EchoServer::Run() {
  std::vector<pollfd> fds = {{.fd = listen_fd_, .events = POLLIN, .revents = 0}};
  char buf[65536];
  while (!stop_) {
    if (poll(fds.data(), fds.size(), 20) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        fds.push_back({.fd = fd, .events = POLLIN, .revents = 0});
      }
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t r = recv(fds[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
      const auto write_deadline = Clock::now() + std::chrono::seconds(2);
      if (r > 0) {
        WriteAll(fds[i].fd, std::string(buf, static_cast<size_t>(r)), write_deadline);
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        if (r == 0 && !on_eof_.empty()) WriteAll(fds[i].fd, on_eof_, write_deadline);
        close(fds[i].fd);
        fds[i].fd = -1;
      }
    }
  }
  for (size_t i = 1; i < fds.size(); ++i) {
    if (fds[i].fd >= 0) close(fds[i].fd);
  }
}

}  // namespace gaia::wan::testing
