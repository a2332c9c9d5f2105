// Blocking-socket helpers for the WAN relay tests: local listeners, a
// byte-counting sink, an echo server and bounded reads/writes. Every wait
// is bounded by a deadline.
#ifndef GAIA_TESTS_WAN_TCP_TEST_UTIL_H_
#define GAIA_TESTS_WAN_TCP_TEST_UTIL_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace gaia::wan::testing {

using Clock = std::chrono::steady_clock;

// Listening socket on 127.0.0.1:0; returns fd and sets *port. -1 on error.
int ListenLocal(int* port);
// Connected (blocking, TCP_NODELAY) socket to 127.0.0.1:port, or -1.
int ConnectLocal(int port);
// A port on which nothing listens (bound then closed).
int DeadPort();

// Accepts one connection before `deadline`; -1 on timeout.
int AcceptUntil(int listen_fd, Clock::time_point deadline);
// Writes all of `data`; false on error or deadline.
bool WriteAll(int fd, const std::string& data, Clock::time_point deadline);
// Reads exactly n bytes; false on EOF, error or deadline.
bool ReadExactly(int fd, size_t n, std::string* out, Clock::time_point deadline);
// Reads until EOF (or a reset); true if the peer closed before the deadline.
// Bytes read meanwhile are appended to *out (if not null).
bool ReadUntilClosed(int fd, Clock::time_point deadline, std::string* out = nullptr);
// Bytes that arrive within `wait` (0 = none arrived); false on EOF/error.
bool BytesArriving(int fd, std::chrono::milliseconds wait, size_t* bytes);

// Accepts connections on its own listener and counts received bytes,
// recording (time, cumulative bytes) at every read, until Stop() or its
// deadline. Per-connection totals are kept in accept order.
class Sink {
 public:
  explicit Sink(Clock::time_point deadline);
  ~Sink();
  int port() const { return port_; }
  // Stops receiving now: joins the thread and closes every socket.
  void Stop();
  // Receives until the deadline, then stops.
  void RunToDeadline() { Stop(false); }
  struct Sample {
    Clock::time_point time;
    uint64_t total;
  };
  // Valid after Stop().
  const std::vector<Sample>& samples() const { return samples_; }
  const std::vector<uint64_t>& per_connection() const { return per_connection_; }
  uint64_t total() const { return samples_.empty() ? 0 : samples_.back().total; }

 private:
  void Run(Clock::time_point deadline);
  void Stop(bool now);
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<Sample> samples_;
  std::vector<uint64_t> per_connection_;
};

// Rate in Mbit/s over the samples after `skip_bytes` (the initial burst)
// to the last sample; 0 if too little data.
double SteadyRateMbps(const std::vector<Sink::Sample>& samples, uint64_t skip_bytes,
                      double* window_s = nullptr);

// Sends as fast as the socket takes bytes until `deadline`, then closes.
class Sender {
 public:
  Sender(int port, Clock::time_point deadline);
  ~Sender();
  void Join();
  uint64_t sent() const { return sent_; }

 private:
  std::thread thread_;
  std::atomic<uint64_t> sent_{0};
};

// Echoes every byte back on each accepted connection; on EOF from a peer it
// writes `on_eof` (if not empty) and closes that connection.
class EchoServer {
 public:
  explicit EchoServer(std::string on_eof = "");
  ~EchoServer();
  int port() const { return port_; }

 private:
  void Run();
  int listen_fd_ = -1;
  int port_ = 0;
  std::string on_eof_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace gaia::wan::testing

#endif  // GAIA_TESTS_WAN_TCP_TEST_UTIL_H_
