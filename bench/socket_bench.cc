// Raw byte throughput between two threads of one process over the sockets a
// worker and a shard can use on one host, measured side by side in one run:
// TCP on 127.0.0.1, a Unix-domain socket with the kernel's default buffers,
// and one with common::kLocalSocketBufferBytes (what Gaia's same-host
// transport sets, src/common/local_socket.h). No gRPC: the ceiling under the
// LAN path's pushes and pulls (docs/PERFORMANCE.md).
//
//   build/bin/socket_bench [--message_bytes=4194304] [--messages=1500]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "src/common/local_socket.h"

namespace {

// A connected pair of stream sockets: [0] writes, [1] reads.
struct Pair {
  int fds[2] = {-1, -1};
};

bool TcpPair(Pair* pair) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(addr);
  if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&addr), length) != 0 ||
      listen(listener, 1) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
    return false;
  }
  pair->fds[0] = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(pair->fds[0], reinterpret_cast<sockaddr*>(&addr), length) != 0) return false;
  pair->fds[1] = accept(listener, nullptr, nullptr);
  close(listener);
  const int one = 1;
  setsockopt(pair->fds[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return pair->fds[1] >= 0;
}

bool UnixPair(int buffer_bytes, Pair* pair) {
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair->fds) != 0) return false;
  if (buffer_bytes > 0) {
    for (int fd : pair->fds) {
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof(buffer_bytes));
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof(buffer_bytes));
    }
  }
  return true;
}

// MB/s of `messages` writes of `message_bytes`, read by a second thread in
// 1 MiB reads; -1 on a socket error.
double Measure(const Pair& pair, size_t message_bytes, int messages) {
  const size_t total = message_bytes * static_cast<size_t>(messages);
  bool read_ok = true;
  std::thread reader([&] {
    std::vector<char> buffer(1 << 20);
    for (size_t got = 0; got < total;) {
      const ssize_t n = read(pair.fds[1], buffer.data(), buffer.size());
      if (n <= 0) {
        read_ok = false;
        return;
      }
      got += static_cast<size_t>(n);
    }
  });
  const std::vector<char> message(message_bytes, 'g');
  const auto start = std::chrono::steady_clock::now();
  bool write_ok = true;
  for (int m = 0; m < messages && write_ok; ++m) {
    for (size_t off = 0; off < message_bytes;) {
      const ssize_t n = write(pair.fds[0], message.data() + off, message_bytes - off);
      if (n <= 0) {
        write_ok = false;
        break;
      }
      off += static_cast<size_t>(n);
    }
  }
  if (!write_ok) shutdown(pair.fds[0], SHUT_RDWR);
  reader.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!write_ok || !read_ok) return -1;
  return static_cast<double>(total) / seconds / 1e6;
}

bool ParseFlag(const char* arg, const char* name, long* value) {
  const size_t n = std::strlen(name);
  if (std::strncmp(arg, name, n) != 0 || arg[n] != '=') return false;
  char* end = nullptr;
  *value = std::strtol(arg + n + 1, &end, 10);
  return end != arg + n + 1 && *end == '\0' && *value > 0;
}

}  // namespace

int main(int argc, char** argv) {
  long message_bytes = 4 << 20;
  long messages = 1500;
  for (int i = 1; i < argc; ++i) {
    if (!ParseFlag(argv[i], "--message_bytes", &message_bytes) &&
        !ParseFlag(argv[i], "--messages", &messages)) {
      std::fprintf(stderr,
                   "socket_bench: bad argument '%s' (--message_bytes=N, --messages=N, N > 0)\n",
                   argv[i]);
      return 2;
    }
  }
  struct Case {
    std::string name;
    Pair pair;
    bool ok;
  };
  std::vector<Case> cases(3);
  cases[0].name = "tcp 127.0.0.1";
  cases[0].ok = TcpPair(&cases[0].pair);
  cases[1].name = "unix, default buffers";
  cases[1].ok = UnixPair(0, &cases[1].pair);
  cases[2].name = "unix, " + std::to_string(gaia::common::kLocalSocketBufferBytes >> 20) +
                  " MiB buffers";
  cases[2].ok = UnixPair(gaia::common::kLocalSocketBufferBytes, &cases[2].pair);
  std::printf("%ld messages of %ld bytes, writer and reader threads\n", messages, message_bytes);
  for (int round = 0; round < 2; ++round) {  // alternate: the machine's noise shows
    for (Case& c : cases) {
      const double mb_s = c.ok ? Measure(c.pair, static_cast<size_t>(message_bytes),
                                         static_cast<int>(messages))
                               : -1;
      if (mb_s < 0) {
        std::fprintf(stderr, "socket_bench: %s failed: %s\n", c.name.c_str(),
                     std::strerror(errno));
        return 1;
      }
      std::printf("%-24s %8.0f MB/s\n", c.name.c_str(), mb_s);
    }
  }
  for (Case& c : cases) {
    for (int fd : c.pair.fds) close(fd);
  }
  return 0;
}
