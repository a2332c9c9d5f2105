// Connecting the ring: every rank listens at <dir>/rank-<r>.sock, connects to
// the next rank's socket and accepts the previous rank, all in one poll()
// loop, so no rank waits on a peer that is itself waiting (a ring of blocking
// connects and accepts could deadlock).
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "apps/cnn/collective_link.h"

namespace gaia::cnn::internal {
namespace {

constexpr uint32_t kHelloMagic = 0x49484347;  // "GCHI"
constexpr uint32_t kHelloVersion = 1;
constexpr size_t kHelloBytes = 16;
constexpr auto kMaxRetry = std::chrono::milliseconds(20);

class ScopedFd {
 public:
  explicit ScopedFd(int fd = -1) : fd_(fd) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() { Reset(-1); }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void Reset(int fd) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

std::string SocketPath(const std::string& dir, int rank) {
  return absl::StrCat(dir, "/rank-", rank, ".sock");
}

absl::StatusOr<sockaddr_un> Address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("rendezvous socket path ", path, " is ",
                                                   path.size(), " bytes; Unix sockets allow ",
                                                   sizeof(addr.sun_path) - 1));
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

// A 16-byte hello (connector -> acceptor) or its answer (acceptor ->
// connector): who is speaking and how large it believes the ring is.
struct Hello {
  int32_t rank = 0;
  int32_t size = 0;
};

void EncodeHello(const Hello& h, char* out) {
  std::memcpy(out + 0, &kHelloMagic, 4);
  std::memcpy(out + 4, &kHelloVersion, 4);
  std::memcpy(out + 8, &h.rank, 4);
  std::memcpy(out + 12, &h.size, 4);
}

absl::Status CheckHello(const char* in, int expected_rank, int size, const char* role) {
  uint32_t magic = 0;
  uint32_t version = 0;
  Hello h;
  std::memcpy(&magic, in + 0, 4);
  std::memcpy(&version, in + 4, 4);
  std::memcpy(&h.rank, in + 8, 4);
  std::memcpy(&h.size, in + 12, 4);
  if (magic != kHelloMagic || version != kHelloVersion) {
    return absl::DataLossError(absl::StrCat("the ", role, " rank's socket spoke another protocol"));
  }
  if (h.size != size) {
    return absl::FailedPreconditionError(absl::StrCat(
        "rank ", h.rank, " believes the DC has ", h.size, " workers, this rank ", size));
  }
  if (h.rank != expected_rank) {
    return absl::FailedPreconditionError(absl::StrCat(
        "expected rank ", expected_rank, " (", role, " in the ring), rank ", h.rank,
        " answered: are two workers given the same rank?"));
  }
  return absl::OkStatus();
}

// Moves bytes [*done, len) of buf; OK with no progress on EAGAIN.
absl::Status SendSome(int fd, const char* buf, size_t len, size_t* done, int peer) {
  while (*done < len) {
    const ssize_t w = send(fd, buf + *done, len - *done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w >= 0) {
      *done += static_cast<size_t>(w);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    return absl::UnavailableError(absl::StrCat("rendezvous: rank ", peer,
                                               " closed its connection: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status RecvSome(int fd, char* buf, size_t len, size_t* done, int peer) {
  while (*done < len) {
    const ssize_t r = recv(fd, buf + *done, len - *done, MSG_DONTWAIT);
    if (r > 0) {
      *done += static_cast<size_t>(r);
      continue;
    }
    if (r == 0) {
      return absl::UnavailableError(
          absl::StrCat("rendezvous: rank ", peer, " closed its connection"));
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    return absl::UnavailableError(absl::StrCat("rendezvous: rank ", peer,
                                               " closed its connection: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

// One side of the handshake: a socket, the 16 bytes we send and the 16 we
// expect.
struct HalfLink {
  ScopedFd fd;
  char out[kHelloBytes];
  char in[kHelloBytes];
  size_t sent = 0;
  size_t got = 0;
  bool done() const { return fd.get() >= 0 && sent == kHelloBytes && got == kHelloBytes; }
};

// Tries once to connect to `addr`. OK with fd unset when the peer is not
// listening yet (no socket file, or not yet accepting).
absl::Status TryConnect(const sockaddr_un& addr, const std::string& path, ScopedFd* fd) {
  ScopedFd s(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (s.get() < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  while (connect(s.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (errno == EINTR) continue;
    if (errno == ENOENT || errno == ECONNREFUSED || errno == EAGAIN) return absl::OkStatus();
    return absl::UnavailableError(
        absl::StrCat("connecting to ", path, ": ", std::strerror(errno)));
  }
  fd->Reset(s.release());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RingLink> RingLink::Connect(const std::string& dir, int rank, int size,
                                           Deadline deadline) {
  RingLink link;
  link.rank_ = rank;
  link.prev_rank_ = (rank + size - 1) % size;
  link.next_rank_ = (rank + 1) % size;
  const std::string own_path = SocketPath(dir, rank);
  const std::string next_path = SocketPath(dir, link.next_rank_);
  absl::StatusOr<sockaddr_un> own_addr = Address(own_path);
  if (!own_addr.ok()) return own_addr.status();
  absl::StatusOr<sockaddr_un> next_addr = Address(next_path);
  if (!next_addr.ok()) return next_addr.status();

  ScopedFd listener(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (listener.get() < 0) {
    return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  }
  if (bind(listener.get(), reinterpret_cast<const sockaddr*>(&*own_addr), sizeof(*own_addr)) !=
      0) {
    if (errno == EADDRINUSE) {
      return absl::FailedPreconditionError(absl::StrCat(
          own_path, " already exists: the rendezvous dir must be empty at start, one per DC per "
          "run (or two workers have rank ", rank, ")"));
    }
    if (errno == ENOENT) {
      return absl::NotFoundError(absl::StrCat("rendezvous dir ", dir, " does not exist"));
    }
    return absl::UnavailableError(absl::StrCat("bind ", own_path, ": ", std::strerror(errno)));
  }
  // The socket file is ours from here on: removed however this ends.
  absl::Cleanup unlink_own = [&own_path] { unlink(own_path.c_str()); };
  if (listen(listener.get(), size + 1) != 0) {
    return absl::UnavailableError(absl::StrCat("listen ", own_path, ": ", std::strerror(errno)));
  }

  HalfLink next;  // we connect, send hello, read the answer
  HalfLink prev;  // it connects, we read its hello, send the answer
  EncodeHello(Hello{rank, size}, next.out);
  EncodeHello(Hello{rank, size}, prev.out);
  auto retry_at = std::chrono::steady_clock::now();
  auto backoff = std::chrono::milliseconds(1);
  while (!next.done() || !prev.done()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      std::string missing;
      if (next.fd.get() < 0) {
        missing = absl::StrCat("rank ", link.next_rank_, " never listened at ", next_path);
      } else if (!next.done()) {
        missing = absl::StrCat("rank ", link.next_rank_, " did not answer");
      } else if (prev.fd.get() < 0) {
        missing = absl::StrCat("rank ", link.prev_rank_, " never connected to ", own_path);
      } else {
        missing = absl::StrCat("rank ", link.prev_rank_, " did not say hello");
      }
      return absl::DeadlineExceededError(absl::StrCat("rendezvous in ", dir, " timed out: ",
                                                      missing));
    }
    if (next.fd.get() < 0 && now >= retry_at) {
      absl::Status s = TryConnect(*next_addr, next_path, &next.fd);
      if (!s.ok()) return s;
      if (next.fd.get() < 0) {
        retry_at = now + backoff;
        backoff = std::min(backoff * 2, kMaxRetry);
      }
    }
    if (prev.fd.get() < 0) {
      const int fd = accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        prev.fd.Reset(fd);
      } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                 errno != ECONNABORTED) {
        return absl::UnavailableError(absl::StrCat("accept: ", std::strerror(errno)));
      }
    }
    if (next.fd.get() >= 0 && next.got < kHelloBytes) {
      absl::Status s = SendSome(next.fd.get(), next.out, kHelloBytes, &next.sent, link.next_rank_);
      if (s.ok()) s = RecvSome(next.fd.get(), next.in, kHelloBytes, &next.got, link.next_rank_);
      if (s.ok() && next.got == kHelloBytes) s = CheckHello(next.in, link.next_rank_, size, "next");
      if (!s.ok()) return s;
    }
    if (prev.fd.get() >= 0 && !prev.done()) {
      // The answer goes out before the hello is checked, so that on a
      // mismatch (size) both sides can say what the other believes.
      absl::Status s = RecvSome(prev.fd.get(), prev.in, kHelloBytes, &prev.got, link.prev_rank_);
      if (s.ok() && prev.got == kHelloBytes) {
        s = SendSome(prev.fd.get(), prev.out, kHelloBytes, &prev.sent, link.prev_rank_);
      }
      if (s.ok() && prev.done()) s = CheckHello(prev.in, link.prev_rank_, size, "previous");
      if (!s.ok()) return s;
    }
    if (next.done() && prev.done()) break;

    pollfd fds[3];
    nfds_t count = 0;
    if (prev.fd.get() < 0) fds[count++] = {listener.get(), POLLIN, 0};
    if (prev.fd.get() >= 0 && !prev.done()) {
      fds[count++] = {prev.fd.get(), static_cast<short>(prev.got < kHelloBytes ? POLLIN : POLLOUT),
                      0};
    }
    if (next.fd.get() >= 0 && !next.done()) {
      fds[count++] = {next.fd.get(),
                      static_cast<short>(next.sent < kHelloBytes ? POLLOUT : POLLIN), 0};
    }
    int wait_ms = RemainingMs(deadline);
    if (next.fd.get() < 0) {
      const auto until_retry = std::chrono::ceil<std::chrono::milliseconds>(
          retry_at - std::chrono::steady_clock::now());
      wait_ms = std::clamp<int>(static_cast<int>(until_retry.count()), 0, wait_ms);
    }
    if (poll(fds, count, wait_ms) < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("poll: ", std::strerror(errno)));
    }
  }
  link.send_fd_ = next.fd.release();
  link.recv_fd_ = prev.fd.release();
  return link;
}

}  // namespace gaia::cnn::internal
