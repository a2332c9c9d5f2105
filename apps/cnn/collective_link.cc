// One ring step: framed chunks out to the next rank, in from the previous
// one, both driven by one poll() loop so neither side can block the other.
#include "apps/cnn/collective_link.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace gaia::cnn::internal {
namespace {

constexpr uint32_t kFrameMagic = 0x4c4f4347;  // "GCOL"
constexpr size_t kHeaderBytes = 40;

struct FrameHeader {
  uint32_t magic = kFrameMagic;
  uint32_t op = 0;
  uint64_t seq = 0;
  uint64_t n = 0;
  uint32_t step = 0;
  uint32_t count = 0;  // floats in this chunk
  uint64_t offset = 0;  // of the chunk's first float in the vector
};

// Both ends are on one host, so host byte order is the wire order.
void Encode(const FrameHeader& h, char* out) {
  std::memcpy(out + 0, &h.magic, 4);
  std::memcpy(out + 4, &h.op, 4);
  std::memcpy(out + 8, &h.seq, 8);
  std::memcpy(out + 16, &h.n, 8);
  std::memcpy(out + 24, &h.step, 4);
  std::memcpy(out + 28, &h.count, 4);
  std::memcpy(out + 32, &h.offset, 8);
}

FrameHeader Decode(const char* in) {
  FrameHeader h;
  std::memcpy(&h.magic, in + 0, 4);
  std::memcpy(&h.op, in + 4, 4);
  std::memcpy(&h.seq, in + 8, 8);
  std::memcpy(&h.n, in + 16, 8);
  std::memcpy(&h.step, in + 24, 4);
  std::memcpy(&h.count, in + 28, 4);
  std::memcpy(&h.offset, in + 32, 8);
  return h;
}

const char* OpName(uint32_t op) {
  switch (op) {
    case kOpAllReduce:
      return "AllReduceSum";
    case kOpReduceScatter:
      return "ReduceScatterSum";
    default:
      return "an unknown operation";
  }
}

bool IsPeerGone(int err) { return err == EPIPE || err == ECONNRESET || err == ENOTCONN; }

absl::Status PeerGone(int peer, const char* role) {
  return absl::UnavailableError(absl::StrCat("rank ", peer, " (", role,
                                             " in the ring) closed its connection: it exited or "
                                             "failed"));
}

// The chunks of one range: ceil(len / chunk) of them, and one empty chunk
// for an empty range so that every step exchanges a checked header.
class Chunking {
 public:
  Chunking(SliceRange range, size_t chunk_elems) : range_(range), chunk_elems_(chunk_elems) {}
  size_t count() const {
    return range_.size() == 0 ? 1 : (range_.size() + chunk_elems_ - 1) / chunk_elems_;
  }
  size_t offset(size_t i) const { return range_.begin + i * chunk_elems_; }
  size_t elems(size_t i) const { return std::min(chunk_elems_, range_.end - offset(i)); }

 private:
  SliceRange range_;
  size_t chunk_elems_;
};

class Sender {
 public:
  Sender(const StepFrames& frames, SliceRange range, const float* data, size_t chunk_elems)
      : frames_(frames), chunks_(range, chunk_elems), data_(data) {
    StartChunk();
  }
  bool done() const { return chunk_ == chunks_.count(); }

  // Writes what the socket takes now; OK with work left on EAGAIN.
  absl::Status Pump(int fd, int peer) {
    while (!done()) {
      const size_t payload_bytes = chunks_.elems(chunk_) * sizeof(float);
      if (header_sent_ == kHeaderBytes && payload_sent_ == payload_bytes) {
        ++chunk_;
        if (!done()) StartChunk();
        continue;
      }
      iovec iov[2];
      int parts = 0;
      if (header_sent_ < kHeaderBytes) {
        iov[parts++] = {header_ + header_sent_, kHeaderBytes - header_sent_};
      }
      if (payload_sent_ < payload_bytes) {
        const char* payload = reinterpret_cast<const char*>(data_ + chunks_.offset(chunk_));
        iov[parts++] = {const_cast<char*>(payload) + payload_sent_,
                        payload_bytes - payload_sent_};
      }
      msghdr msg{};
      msg.msg_iov = iov;
      msg.msg_iovlen = static_cast<size_t>(parts);
      const ssize_t wrote = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (wrote < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return absl::OkStatus();
        if (IsPeerGone(errno)) return PeerGone(peer, "next");
        return absl::UnavailableError(
            absl::StrCat("sending to rank ", peer, ": ", std::strerror(errno)));
      }
      const size_t w = static_cast<size_t>(wrote);
      const size_t to_header = std::min(w, kHeaderBytes - header_sent_);
      header_sent_ += to_header;
      payload_sent_ += w - to_header;
    }
    return absl::OkStatus();
  }

 private:
  void StartChunk() {
    FrameHeader h;
    h.op = frames_.op;
    h.seq = frames_.seq;
    h.n = frames_.n;
    h.step = frames_.step;
    h.count = static_cast<uint32_t>(chunks_.elems(chunk_));
    h.offset = chunks_.offset(chunk_);
    Encode(h, header_);
    header_sent_ = 0;
    payload_sent_ = 0;
  }

  const StepFrames frames_;
  const Chunking chunks_;
  const float* const data_;
  size_t chunk_ = 0;
  char header_[kHeaderBytes];
  size_t header_sent_ = 0;
  size_t payload_sent_ = 0;
};

class Receiver {
 public:
  Receiver(const StepFrames& frames, SliceRange range, RecvMode mode, std::span<float> data,
           std::span<float> scratch, size_t chunk_elems)
      : frames_(frames), chunks_(range, chunk_elems), mode_(mode), data_(data),
        scratch_(scratch) {}
  bool done() const { return chunk_ == chunks_.count(); }

  // Reads what the socket has now, never past the end of this step.
  absl::Status Pump(int fd, int peer) {
    while (!done()) {
      if (header_got_ < kHeaderBytes) {
        absl::Status s = ReadSome(fd, peer, header_ + header_got_, kHeaderBytes - header_got_,
                                  &header_got_);
        if (!s.ok() || header_got_ < kHeaderBytes) return s;
        s = CheckHeader(Decode(header_), peer);
        if (!s.ok()) return s;
      }
      const size_t payload_bytes = chunks_.elems(chunk_) * sizeof(float);
      float* target = mode_ == RecvMode::kAdd ? scratch_.data()
                                              : data_.data() + chunks_.offset(chunk_);
      if (payload_got_ < payload_bytes) {
        absl::Status s = ReadSome(fd, peer, reinterpret_cast<char*>(target) + payload_got_,
                                  payload_bytes - payload_got_, &payload_got_);
        if (!s.ok() || payload_got_ < payload_bytes) return s;
      }
      if (mode_ == RecvMode::kAdd) {
        float* out = data_.data() + chunks_.offset(chunk_);
        const size_t count = chunks_.elems(chunk_);
        for (size_t i = 0; i < count; ++i) out[i] += scratch_[i];
      }
      ++chunk_;
      header_got_ = 0;
      payload_got_ = 0;
    }
    return absl::OkStatus();
  }

 private:
  // OK with *got unchanged on EAGAIN.
  static absl::Status ReadSome(int fd, int peer, char* buf, size_t len, size_t* got) {
    while (true) {
      const ssize_t r = recv(fd, buf, len, MSG_DONTWAIT);
      if (r > 0) {
        *got += static_cast<size_t>(r);
        return absl::OkStatus();
      }
      if (r == 0) return PeerGone(peer, "previous");
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return absl::OkStatus();
      if (IsPeerGone(errno)) return PeerGone(peer, "previous");
      return absl::UnavailableError(
          absl::StrCat("receiving from rank ", peer, ": ", std::strerror(errno)));
    }
  }

  absl::Status CheckHeader(const FrameHeader& h, int peer) const {
    if (h.magic != kFrameMagic) {
      return absl::DataLossError(absl::StrCat("rank ", peer, " sent a malformed frame"));
    }
    if (h.seq != frames_.seq) {
      return absl::AbortedError(absl::StrCat(
          "out of step: rank ", peer, " is in call #", h.seq, ", this rank in call #",
          frames_.seq, " (every rank must make the same calls in the same order; a call "
          "rejected for bad arguments still counts)"));
    }
    if (h.op != frames_.op) {
      return absl::AbortedError(absl::StrCat("rank ", peer, " called ", OpName(h.op),
                                             " where this rank called ", OpName(frames_.op)));
    }
    if (h.n != frames_.n) {
      return absl::AbortedError(absl::StrCat("rank ", peer, " passed ", h.n,
                                             " floats where this rank passed ", frames_.n));
    }
    if (h.step != frames_.step || h.offset != chunks_.offset(chunk_) ||
        h.count != chunks_.elems(chunk_)) {
      return absl::InternalError(absl::StrCat(
          "rank ", peer, " sent step ", h.step, " offset ", h.offset, " count ", h.count,
          ", expected step ", frames_.step, " offset ", chunks_.offset(chunk_), " count ",
          chunks_.elems(chunk_)));
    }
    return absl::OkStatus();
  }

  const StepFrames frames_;
  const Chunking chunks_;
  const RecvMode mode_;
  const std::span<float> data_;
  const std::span<float> scratch_;
  size_t chunk_ = 0;
  char header_[kHeaderBytes];
  size_t header_got_ = 0;
  size_t payload_got_ = 0;
};

}  // namespace

int RemainingMs(Deadline deadline) {
  const auto left = deadline - std::chrono::steady_clock::now();
  if (left <= Deadline::duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::min<int64_t>(ms, 1 << 30));
}

RingLink::RingLink(RingLink&& other) noexcept { *this = std::move(other); }

RingLink& RingLink::operator=(RingLink&& other) noexcept {
  if (this != &other) {
    Close();
    rank_ = other.rank_;
    prev_rank_ = other.prev_rank_;
    next_rank_ = other.next_rank_;
    lost_peer_ = other.lost_peer_;
    send_fd_ = std::exchange(other.send_fd_, -1);
    recv_fd_ = std::exchange(other.recv_fd_, -1);
  }
  return *this;
}

RingLink::~RingLink() { Close(); }

void RingLink::Close() {
  if (send_fd_ >= 0) close(send_fd_);
  if (recv_fd_ >= 0) close(recv_fd_);
  send_fd_ = -1;
  recv_fd_ = -1;
}

absl::Status RingLink::Step(const StepFrames& frames, SliceRange send, SliceRange recv,
                            RecvMode mode, std::span<float> data, std::span<float> scratch,
                            size_t chunk_elems, Deadline deadline) {
  if (send_fd_ < 0 || recv_fd_ < 0) return absl::FailedPreconditionError("ring link is closed");
  lost_peer_ = -1;
  Sender out(frames, send, data.data(), chunk_elems);
  Receiver in(frames, recv, mode, data, scratch, chunk_elems);
  while (!out.done() || !in.done()) {
    pollfd fds[2];
    int count = 0;
    int out_index = -1;
    int in_index = -1;
    if (!out.done()) {
      out_index = count;
      fds[count++] = {send_fd_, POLLOUT, 0};
    }
    if (!in.done()) {
      in_index = count;
      fds[count++] = {recv_fd_, POLLIN, 0};
    }
    const int wait_ms = RemainingMs(deadline);
    if (wait_ms == 0) {
      return absl::DeadlineExceededError(
          !in.done() ? absl::StrCat("timed out waiting for rank ", prev_rank_,
                                    " (previous in the ring) to send step ", frames.step)
                     : absl::StrCat("timed out waiting for rank ", next_rank_,
                                    " (next in the ring) to take step ", frames.step));
    }
    const int ready = poll(fds, static_cast<nfds_t>(count), wait_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(absl::StrCat("poll: ", std::strerror(errno)));
    }
    if (out_index >= 0 && fds[out_index].revents != 0) {
      absl::Status s = out.Pump(send_fd_, next_rank_);
      if (s.code() == absl::StatusCode::kUnavailable) lost_peer_ = next_rank_;
      if (!s.ok()) return s;
    }
    if (in_index >= 0 && fds[in_index].revents != 0) {
      absl::Status s = in.Pump(recv_fd_, prev_rank_);
      if (s.code() == absl::StatusCode::kUnavailable) lost_peer_ = prev_rank_;
      if (!s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace gaia::cnn::internal
