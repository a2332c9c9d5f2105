// Small POSIX socket helpers for the WAN relay (internal).
#ifndef GAIA_SRC_WAN_NET_UTIL_H_
#define GAIA_SRC_WAN_NET_UTIL_H_

#include <sys/socket.h>

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace gaia::wan {

// A resolved socket address.
struct SockAddr {
  sockaddr_storage addr{};
  socklen_t len = 0;
  int family = 0;
};

// Splits "host:port" or "[v6host]:port". Port must be 0..65535 and is
// required; host must be non-empty.
absl::Status SplitHostPort(const std::string& host_port, std::string* host, int* port);

// Resolves "host:port" (numeric or by name) to its first address.
absl::StatusOr<SockAddr> ResolveHostPort(const std::string& host_port);

// Creates a non-blocking listening TCP socket bound to `addr`
// (SO_REUSEADDR). Returns the fd.
absl::StatusOr<int> ListenTcp(const SockAddr& addr, int backlog = 128);

// Port a bound socket listens on.
absl::StatusOr<int> LocalPort(int fd);

// Starts a non-blocking connect to `addr`. Returns the fd; the connect may
// still be in progress (wait for writability, then check ConnectResult).
absl::StatusOr<int> StartConnect(const SockAddr& addr);

// After a non-blocking connect became writable: OK or the connect error.
absl::Status ConnectResult(int fd);

// Sets O_NONBLOCK / TCP_NODELAY. Errors are ignored (best effort).
void SetNonBlocking(int fd);
void SetNoDelay(int fd);

// "errno text (errno)" for log messages.
std::string ErrnoText(int err);

}  // namespace gaia::wan

#endif  // GAIA_SRC_WAN_NET_UTIL_H_
