// Internal to the CPU collective: the two Unix-domain stream sockets that put
// one rank in the ring (it sends to rank+1 and receives from rank-1), and one
// ring step over them: send a range of floats to the next rank while receiving
// a range from the previous one, in framed chunks, under a deadline.
//
//   absl::StatusOr<RingLink> link = RingLink::Connect(dir, rank, size, deadline);
//   StepFrames frames{.seq = 7, .op = 1, .n = data.size(), .step = 0};
//   absl::Status s = link->Step(frames, send_range, recv_range, RecvMode::kAdd,
//                               data, scratch, deadline);
//
// Every chunk travels as a 40-byte header (magic, op, call sequence number,
// vector length, step, offset, count) and its payload; the receiver checks the
// header against what it expects, so a peer that is in another call, another
// operation or has another vector length is reported (ABORTED), never summed.
// A step with an empty range still sends one empty frame, so every step of
// every call is checked. Not thread-safe; one owner thread.
#ifndef GAIA_APPS_CNN_COLLECTIVE_LINK_H_
#define GAIA_APPS_CNN_COLLECTIVE_LINK_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "apps/cnn/collective.h"

namespace gaia::cnn::internal {

using Deadline = std::chrono::steady_clock::time_point;

// What every frame of one step carries; the receiver expects the same.
struct StepFrames {
  uint64_t seq = 0;   // call number on this rank, from 1
  uint32_t op = 0;    // which operation (kOpAllReduce, kOpReduceScatter)
  uint64_t n = 0;     // length of the whole vector
  uint32_t step = 0;  // ring step within the call
};

inline constexpr uint32_t kOpAllReduce = 1;
inline constexpr uint32_t kOpReduceScatter = 2;

// What happens to received floats: added into data, or written over it.
enum class RecvMode { kAdd, kCopy };

class RingLink {
 public:
  // Listens at <dir>/rank-<rank>.sock, connects to the next rank's socket
  // (retrying until it appears) and accepts the previous rank, exchanging a
  // hello that checks ranks and size. Returns when both links are up; the
  // listening socket is closed and its file removed. REQUIRES: size >= 2.
  static absl::StatusOr<RingLink> Connect(const std::string& dir, int rank, int size,
                                          Deadline deadline);

  RingLink() = default;
  RingLink(RingLink&& other) noexcept;
  RingLink& operator=(RingLink&& other) noexcept;
  RingLink(const RingLink&) = delete;
  RingLink& operator=(const RingLink&) = delete;
  ~RingLink();

  // One ring step: sends data[send] to the next rank and receives
  // data[recv] from the previous one (added or copied), in chunks of at most
  // chunk_elems floats; `scratch` holds one received chunk before it is added
  // (size >= chunk_elems). REQUIRES: send and recv do not overlap.
  absl::Status Step(const StepFrames& frames, SliceRange send, SliceRange recv, RecvMode mode,
                    std::span<float> data, std::span<float> scratch, size_t chunk_elems,
                    Deadline deadline);

  // Closes both sockets (peers then see end-of-stream). Idempotent.
  void Close();

  int prev_rank() const { return prev_rank_; }
  int next_rank() const { return next_rank_; }
  // The neighbour whose connection broke in the last failed Step (it closed,
  // exited or reset), or -1.
  int lost_peer() const { return lost_peer_; }

 private:
  int rank_ = -1;
  int prev_rank_ = -1;
  int next_rank_ = -1;
  int lost_peer_ = -1;
  int send_fd_ = -1;  // to next_rank_
  int recv_fd_ = -1;  // from prev_rank_
};

// Milliseconds left until `deadline` (rounded up, 0 when past), for poll().
int RemainingMs(Deadline deadline);

}  // namespace gaia::cnn::internal

#endif  // GAIA_APPS_CNN_COLLECTIVE_LINK_H_
