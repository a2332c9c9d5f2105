// Decoding of a shard's Session messages (proto ShardMessage) from the raw
// bytes gRPC received, keeping a read reply's values where they are.
//
// A read reply is mostly its packed values. Parsed the usual way they are
// copied once from gRPC's receive buffer into the reply's `bytes` field and
// once more into the caller's rows. DecodeShardMessage leaves them in the
// receive buffer (ReplyValues: the buffer and the pieces of it that hold the
// values), so GetMany copies each value once, into place. Any other message,
// and a read reply laid out in a way the in-place reader does not expect,
// is parsed with protobuf.
//
//   DecodedShardMessage decoded;
//   if (absl::Status s = DecodeShardMessage(std::move(buffer), &decoded); !s.ok()) ...
//   if (decoded.is_read) { decoded.values.Read(dst, n); ... }
#ifndef GAIA_SRC_WORKER_SHARD_REPLY_DECODING_H_
#define GAIA_SRC_WORKER_SHARD_REPLY_DECODING_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include "absl/status/status.h"
#include "proto/gaia.pb.h"

namespace gaia::internal {

// The values of one read reply, in one or more pieces, read front to back.
class ReplyValues {
 public:
  ReplyValues() = default;
  ReplyValues(ReplyValues&&) = default;
  ReplyValues& operator=(ReplyValues&&) = default;

  // Values held by a string (replies parsed with protobuf).
  static ReplyValues FromString(std::string values);
  // Values in `pieces`, which point into `slices` (kept alive here).
  static ReplyValues InSlices(std::vector<grpc::Slice> slices,
                              std::vector<std::span<const char>> pieces);

  size_t size() const { return size_; }
  // Bytes not read yet.
  size_t remaining() const { return size_ - consumed_; }

  // Copies the next n bytes to dst. REQUIRES: n <= remaining().
  void Read(char* dst, size_t n);

  // The next n bytes in place, when they lie in one piece (they are then
  // consumed), else nullptr (nothing is consumed; use Read). Inline: a
  // GetMany of narrow rows calls it once per row.
  // REQUIRES: n <= remaining().
  const char* Take(size_t n) {
    if (!owned_.empty()) {
      const char* at = owned_.data() + consumed_;
      consumed_ += n;
      return at;
    }
    if (piece_ == pieces_.size() || pieces_[piece_].size() - offset_ < n) return nullptr;
    const char* at = pieces_[piece_].data() + offset_;
    consumed_ += n;
    offset_ += n;
    if (offset_ == pieces_[piece_].size()) {
      ++piece_;
      offset_ = 0;
    }
    return at;
  }

  // All the values in one contiguous array: in place when they are in one
  // piece, else copied into *scratch. Independent of Read().
  const char* Contiguous(std::string* scratch) const;

 private:
  std::vector<grpc::Slice> slices_;  // own the pieces (received replies)
  std::vector<std::span<const char>> pieces_;
  // Or the values themselves (FromString). Not a piece: a moved short string
  // moves its bytes.
  std::string owned_;
  size_t size_ = 0;
  size_t consumed_ = 0;
  size_t piece_ = 0;  // Read() position: pieces_[piece_] at offset_
  size_t offset_ = 0;
};

struct DecodedShardMessage {
  // A read reply: its fields, with the values left in the receive buffer.
  bool is_read = false;
  uint64_t request_id = 0;
  int64_t shard_clock = 0;
  ReplyValues values;
  // Any other message (is_read false).
  rpc::ShardMessage message;
};

// Decodes `buffer` (consumed). INVALID_ARGUMENT if it is not a ShardMessage.
absl::Status DecodeShardMessage(grpc::ByteBuffer buffer, DecodedShardMessage* out);

}  // namespace gaia::internal

#endif  // GAIA_SRC_WORKER_SHARD_REPLY_DECODING_H_
