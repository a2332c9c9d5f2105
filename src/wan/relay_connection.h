// One relayed TCP connection: the client socket (accepted by the relay), the
// target socket (connected by the relay) and two shaped directions (Pipes).
// Internal to the relay; used only from the relay's event-loop thread, so
// nothing here is thread-safe (the LinkShapers it points at are).
#ifndef GAIA_SRC_WAN_RELAY_CONNECTION_H_
#define GAIA_SRC_WAN_RELAY_CONNECTION_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "src/wan/link_shaper.h"

namespace gaia::wan {

// Tunables shared by every connection of a relay (RelayOptions::pipe).
struct PipeLimits {
  // Largest single read from a socket.
  size_t read_chunk_bytes = 256 * 1024;
  // Backpressure: a direction stops reading while it holds more than
  //   bandwidth*delay + max(queue_limit_bytes, queue_limit_ms of rate)
  // bytes: the bytes "on the wire" plus a queue that absorbs a receiving
  // application that stalls briefly (without it a busy host loses link
  // capacity whenever the receiver is descheduled). Capped at
  // max_queue_bytes to bound memory on long, fast links.
  size_t queue_limit_bytes = 256 * 1024;
  double queue_limit_ms = 50.0;
  size_t max_queue_bytes = 64 * 1024 * 1024;
  // A direction that ran out of tokens is woken when about min_wake_ms of
  // the link's rate (at least min_wake_bytes) is available again: fewer
  // wake-ups at high rates, short waits at low rates.
  double min_wake_ms = 0.5;
  size_t min_wake_bytes = 512;
};

// A socket plus the readiness last reported by (edge-triggered) epoll.
// A flag is cleared only when a syscall reports EAGAIN.
struct FdState {
  int fd = -1;
  bool readable = false;
  bool writable = false;
};

// One direction src -> dst through one link. Bytes read at time t are
// written no earlier than t + delay, in order; EOF (FIN) is forwarded the
// same way, after the last byte.
class Pipe {
 public:
  Pipe(LinkShaper* link, const PipeLimits* limits) : link_(link), limits_(limits) {}

  // Writes released bytes to dst, reads what the link admits from src,
  // writes again, and forwards EOF when due. Errors are socket errors; the
  // caller then closes the whole connection.
  absl::Status Pump(FdState& src, FdState& dst, std::vector<char>& scratch);

  // When this pipe next needs servicing without a socket event
  // (TimePoint::max() if never; possibly already past, meaning "now").
  TimePoint NextDeadline(const FdState& src, const FdState& dst, TimePoint now) const;

  // EOF read from src and forwarded to dst.
  bool done() const { return src_eof_ && dst_shut_; }
  size_t queued_bytes() const { return queued_; }

 private:
  struct Chunk {
    std::string data;
    size_t offset = 0;
    TimePoint release;
  };
  absl::Status Flush(FdState& dst, TimePoint now);
  absl::Status Fill(FdState& src, std::vector<char>& scratch);
  void MaybeForwardEof(FdState& dst, TimePoint now);
  // Backpressure threshold: do not read while this much is queued.
  size_t QueueLimit() const;

  LinkShaper* const link_;
  const PipeLimits* const limits_;
  std::deque<Chunk> queue_;
  size_t queued_ = 0;
  bool src_eof_ = false;
  TimePoint eof_release_;
  bool dst_shut_ = false;
};

class Connection {
 public:
  // Takes ownership of both fds. `target_fd` may still be connecting.
  Connection(uint64_t id, std::string label, int client_fd, int target_fd,
             LinkShaper* forward, LinkShaper* backward, const PipeLimits* limits);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  uint64_t id() const { return id_; }
  int client_fd() const { return client_.fd; }
  int target_fd() const { return target_.fd; }
  bool uses(const LinkShaper* link) const {
    return link == forward_link_ || link == backward_link_;
  }

  // Records epoll readiness for one side.
  void OnClientEvents(uint32_t events);
  void OnTargetEvents(uint32_t events);

  // Moves bytes both ways. Returns false when the connection is finished
  // (both directions closed) or failed; the caller then destroys it.
  bool Service(std::vector<char>& scratch);
  TimePoint NextDeadline(TimePoint now) const;

 private:
  static void ApplyEvents(uint32_t events, FdState& fd);

  const uint64_t id_;
  const std::string label_;
  LinkShaper* const forward_link_;
  LinkShaper* const backward_link_;
  FdState client_;
  FdState target_;
  bool connecting_ = true;
  bool counted_ = false;  // ConnectionOpened() called on the links
  Pipe forward_;          // client -> target
  Pipe backward_;         // target -> client
};

}  // namespace gaia::wan

#endif  // GAIA_SRC_WAN_RELAY_CONNECTION_H_
