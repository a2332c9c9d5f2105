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

// The handshake of one rank: Listen, then Advance and Wait in turn until
// done() or the deadline.
class Handshake {
 public:
  Handshake(const std::string& dir, int rank, int size)
      : dir_(dir), rank_(rank), size_(size), prev_rank_((rank + size - 1) % size),
        next_rank_((rank + 1) % size), own_path_(SocketPath(dir, rank)),
        next_path_(SocketPath(dir, next_rank_)) {
    EncodeHello(Hello{rank, size}, next_.out);
    EncodeHello(Hello{rank, size}, prev_.out);
  }
  ~Handshake() {
    if (bound_) unlink(own_path_.c_str());  // ours, whether or not the ring formed
  }

  absl::Status Listen() {
    absl::StatusOr<sockaddr_un> own = Address(own_path_);
    if (!own.ok()) return own.status();
    absl::StatusOr<sockaddr_un> next = Address(next_path_);
    if (!next.ok()) return next.status();
    next_addr_ = *next;
    listener_.Reset(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (listener_.get() < 0) {
      return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
    }
    if (bind(listener_.get(), reinterpret_cast<const sockaddr*>(&*own), sizeof(*own)) != 0) {
      if (errno == EADDRINUSE) {
        return absl::FailedPreconditionError(absl::StrCat(
            own_path_, " already exists: the rendezvous dir must be empty at start, one per DC "
            "per run (or two workers have rank ", rank_, ")"));
      }
      if (errno == ENOENT) {
        return absl::NotFoundError(absl::StrCat("rendezvous dir ", dir_, " does not exist"));
      }
      return absl::UnavailableError(
          absl::StrCat("bind ", own_path_, ": ", std::strerror(errno)));
    }
    bound_ = true;
    if (listen(listener_.get(), size_ + 1) != 0) {
      return absl::UnavailableError(
          absl::StrCat("listen ", own_path_, ": ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }

  bool done() const { return next_.done() && prev_.done(); }

  // Does what can be done now without blocking: connect (when due), accept,
  // move hello bytes, check them.
  absl::Status Advance() {
    const auto now = std::chrono::steady_clock::now();
    if (next_.fd.get() < 0 && now >= retry_at_) {
      if (absl::Status s = TryConnect(next_addr_, next_path_, &next_.fd); !s.ok()) return s;
      if (next_.fd.get() < 0) {
        retry_at_ = now + backoff_;
        backoff_ = std::min(backoff_ * 2, kMaxRetry);
      }
    }
    if (prev_.fd.get() < 0) {
      const int fd = accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        prev_.fd.Reset(fd);
      } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                 errno != ECONNABORTED) {
        return absl::UnavailableError(absl::StrCat("accept: ", std::strerror(errno)));
      }
    }
    if (next_.fd.get() >= 0 && next_.got < kHelloBytes) {
      absl::Status s = SendSome(next_.fd.get(), next_.out, kHelloBytes, &next_.sent, next_rank_);
      if (s.ok()) s = RecvSome(next_.fd.get(), next_.in, kHelloBytes, &next_.got, next_rank_);
      if (s.ok() && next_.got == kHelloBytes) s = CheckHello(next_.in, next_rank_, size_, "next");
      if (!s.ok()) return s;
    }
    if (prev_.fd.get() >= 0 && !prev_.done()) {
      // The answer goes out before the hello is checked, so that on a
      // mismatch (size) both sides can say what the other believes.
      absl::Status s = RecvSome(prev_.fd.get(), prev_.in, kHelloBytes, &prev_.got, prev_rank_);
      if (s.ok() && prev_.got == kHelloBytes) {
        s = SendSome(prev_.fd.get(), prev_.out, kHelloBytes, &prev_.sent, prev_rank_);
      }
      if (s.ok() && prev_.done()) s = CheckHello(prev_.in, prev_rank_, size_, "previous");
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // Sleeps in poll() until a socket can move or the next connect is due.
  absl::Status Wait(Deadline deadline) {
    pollfd fds[3];
    nfds_t count = 0;
    if (prev_.fd.get() < 0) fds[count++] = {listener_.get(), POLLIN, 0};
    if (prev_.fd.get() >= 0 && !prev_.done()) {
      fds[count++] = {prev_.fd.get(),
                      static_cast<short>(prev_.got < kHelloBytes ? POLLIN : POLLOUT), 0};
    }
    if (next_.fd.get() >= 0 && !next_.done()) {
      fds[count++] = {next_.fd.get(),
                      static_cast<short>(next_.sent < kHelloBytes ? POLLOUT : POLLIN), 0};
    }
    int wait_ms = RemainingMs(deadline);
    if (next_.fd.get() < 0) {
      const auto until_retry = std::chrono::ceil<std::chrono::milliseconds>(
          retry_at_ - std::chrono::steady_clock::now());
      wait_ms = std::clamp<int>(static_cast<int>(until_retry.count()), 0, wait_ms);
    }
    if (poll(fds, count, wait_ms) < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("poll: ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }

  // What is still missing, for the timeout error.
  std::string Missing() const {
    if (next_.fd.get() < 0) {
      return absl::StrCat("rank ", next_rank_, " never listened at ", next_path_);
    }
    if (!next_.done()) return absl::StrCat("rank ", next_rank_, " did not answer");
    if (prev_.fd.get() < 0) {
      return absl::StrCat("rank ", prev_rank_, " never connected to ", own_path_);
    }
    return absl::StrCat("rank ", prev_rank_, " did not say hello");
  }

  int ReleaseSendFd() { return next_.fd.release(); }
  int ReleaseRecvFd() { return prev_.fd.release(); }

 private:
  const std::string dir_;
  const int rank_;
  const int size_;
  const int prev_rank_;
  const int next_rank_;
  const std::string own_path_;
  const std::string next_path_;
  sockaddr_un next_addr_{};
  ScopedFd listener_;
  bool bound_ = false;
  HalfLink next_;  // we connect, send hello, read the answer
  HalfLink prev_;  // it connects, we read its hello, send the answer
  std::chrono::steady_clock::time_point retry_at_{};
  std::chrono::milliseconds backoff_{1};
};

}  // namespace

absl::StatusOr<RingLink> RingLink::Connect(const std::string& dir, int rank, int size,
                                           Deadline deadline) {
  Handshake handshake(dir, rank, size);
  if (absl::Status s = handshake.Listen(); !s.ok()) return s;
  while (true) {
    if (absl::Status s = handshake.Advance(); !s.ok()) return s;
    if (handshake.done()) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("rendezvous in ", dir, " timed out: ", handshake.Missing()));
    }
    if (absl::Status s = handshake.Wait(deadline); !s.ok()) return s;
  }
  RingLink link;
  link.rank_ = rank;
  link.prev_rank_ = (rank + size - 1) % size;
  link.next_rank_ = (rank + 1) % size;
  link.send_fd_ = handshake.ReleaseSendFd();
  link.recv_fd_ = handshake.ReleaseRecvFd();
  return link;
}

}  // namespace gaia::cnn::internal
