#include "src/wan/net_util.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace gaia::wan {

std::string ErrnoText(int err) {
  char buf[128];
  // GNU strerror_r returns the message pointer (may not use buf).
  const char* msg = strerror_r(err, buf, sizeof(buf));
  return absl::StrCat(msg, " (errno ", err, ")");
}

absl::Status SplitHostPort(const std::string& host_port_string, std::string* host,
                           int* port) {
  // Views into the caller's string (substr of a std::string would copy).
  const std::string_view host_port = host_port_string;
  std::string_view h;
  std::string_view p;
  if (!host_port.empty() && host_port.front() == '[') {
    const size_t close = host_port.find(']');
    if (close == std::string_view::npos || close + 1 >= host_port.size() ||
        host_port[close + 1] != ':') {
      return absl::InvalidArgumentError(absl::StrCat(
          "address '", host_port_string, "' is not of the form [host]:port"));
    }
    h = host_port.substr(1, close - 1);
    p = host_port.substr(close + 2);
  } else {
    const size_t colon = host_port.rfind(':');
    if (colon == std::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("address '", host_port_string, "' is not of the form host:port"));
    }
    h = host_port.substr(0, colon);
    p = host_port.substr(colon + 1);
  }
  if (h.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("address '", host_port_string, "' has an empty host"));
  }
  int value = -1;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (p.empty() || ec != std::errc() || ptr != p.data() + p.size() || value < 0 ||
      value > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "address '", host_port_string, "' has an invalid port (want 0..65535)"));
  }
  *host = std::string(h);
  *port = value;
  return absl::OkStatus();
}

absl::StatusOr<SockAddr> ResolveHostPort(const std::string& host_port) {
  std::string host;
  int port = 0;
  if (absl::Status s = SplitHostPort(host_port, &host, &port); !s.ok()) return s;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  const std::string service = std::to_string(port);
  const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &result);
  if (rc != 0 || result == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot resolve '", host_port, "': ", gai_strerror(rc)));
  }
  SockAddr out;
  std::memcpy(&out.addr, result->ai_addr, result->ai_addrlen);
  out.len = result->ai_addrlen;
  out.family = result->ai_family;
  freeaddrinfo(result);
  return out;
}

void SetNonBlocking(int fd) {
  const int flags = fcntl(fd, F_GETFL, 0);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

void SetNoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

absl::StatusOr<int> ListenTcp(const SockAddr& addr, int backlog) {
  const int fd = socket(addr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", ErrnoText(errno)));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<const sockaddr*>(&addr.addr), addr.len) != 0) {
    const int err = errno;
    close(fd);
    return absl::UnavailableError(absl::StrCat("bind: ", ErrnoText(err)));
  }
  if (listen(fd, backlog) != 0) {
    const int err = errno;
    close(fd);
    return absl::UnavailableError(absl::StrCat("listen: ", ErrnoText(err)));
  }
  return fd;
}

absl::StatusOr<int> LocalPort(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return absl::InternalError(absl::StrCat("getsockname: ", ErrnoText(errno)));
  }
  if (ss.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  }
  if (ss.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  }
  return absl::InternalError("getsockname: unexpected address family");
}

absl::StatusOr<int> StartConnect(const SockAddr& addr) {
  const int fd = socket(addr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", ErrnoText(errno)));
  SetNoDelay(fd);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr.addr), addr.len) != 0 &&
      errno != EINPROGRESS) {
    const int err = errno;
    close(fd);
    return absl::UnavailableError(absl::StrCat("connect: ", ErrnoText(err)));
  }
  return fd;
}

absl::Status ConnectResult(int fd) {
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) return absl::UnavailableError(absl::StrCat("connect: ", ErrnoText(err)));
  return absl::OkStatus();
}

}  // namespace gaia::wan
