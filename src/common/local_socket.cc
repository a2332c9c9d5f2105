#include "src/common/local_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace gaia::common {
namespace {

constexpr absl::string_view kPathPrefix = "unix:";
constexpr absl::string_view kAbstractPrefix = "unix-abstract:";

// The sockaddr of `address` and its length.
absl::Status ToSockaddr(absl::string_view address, sockaddr_un* addr, socklen_t* length) {
  std::memset(addr, 0, sizeof(*addr));
  addr->sun_family = AF_UNIX;
  const bool abstract = absl::StartsWith(address, kAbstractPrefix);
  absl::string_view name = address;
  if (abstract) {
    name.remove_prefix(kAbstractPrefix.size());
  } else if (absl::StartsWith(address, kPathPrefix)) {
    name.remove_prefix(kPathPrefix.size());
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("'", address, "' is not a unix: or unix-abstract: address"));
  }
  // An abstract name starts after a NUL byte; a path ends with one.
  const size_t capacity = sizeof(addr->sun_path) - 1;
  if (name.empty() || name.size() > capacity) {
    return absl::InvalidArgumentError(
        absl::StrCat("socket address '", address, "': name must be 1 to ", capacity, " bytes"));
  }
  std::memcpy(addr->sun_path + (abstract ? 1 : 0), name.data(), name.size());
  *length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + 1);
  return absl::OkStatus();
}

void SetBuffers(int fd) {
  const int bytes = kLocalSocketBufferBytes;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
}

absl::Status SocketError(absl::string_view what, absl::string_view address, int error) {
  const std::string message = absl::StrCat(what, " ", address, ": ", std::strerror(error));
  if (error == EADDRINUSE || error == ECONNREFUSED || error == ENOENT || error == EAGAIN) {
    return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

}  // namespace

bool IsLocalAddress(absl::string_view address) {
  return absl::StartsWith(address, kPathPrefix) || absl::StartsWith(address, kAbstractPrefix);
}

absl::StatusOr<int> ListenLocal(absl::string_view address) {
  sockaddr_un addr;
  socklen_t length = 0;
  if (absl::Status s = ToSockaddr(address, &addr, &length); !s.ok()) return s;
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return SocketError("socket for", address, errno);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&addr), length) != 0 || listen(fd, 64) != 0) {
    const int error = errno;
    close(fd);
    return SocketError("cannot listen on", address, error);
  }
  return fd;
}

int AcceptLocal(int listener) {
  const int fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd >= 0) SetBuffers(fd);
  return fd;
}

absl::StatusOr<int> ConnectLocal(absl::string_view address) {
  sockaddr_un addr;
  socklen_t length = 0;
  if (absl::Status s = ToSockaddr(address, &addr, &length); !s.ok()) return s;
  // Blocking while connecting (a full backlog waits instead of failing),
  // non-blocking afterwards, as gRPC's event loop expects.
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return SocketError("socket for", address, errno);
  SetBuffers(fd);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), length) != 0 ||
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
    const int error = errno;
    close(fd);
    return SocketError("cannot connect to", address, error);
  }
  return fd;
}

void RemoveLocalSocketFile(absl::string_view address) {
  if (!absl::StartsWith(address, kPathPrefix)) return;
  address.remove_prefix(kPathPrefix.size());
  unlink(std::string(address).c_str());
}

}  // namespace gaia::common
