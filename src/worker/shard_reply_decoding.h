// Decoding of a shard's Session messages (proto ShardMessage) from the raw
// bytes gRPC received, keeping a read reply's values where they are.
//
// A read reply is mostly its packed values. Parsed the usual way they are
// copied once from gRPC's receive buffer into the reply's `bytes` field and
// once more into the caller's rows. DecodeShardMessage leaves them in the
// received slices (ReplyValues: the slices and the pieces of them holding
// the values), so GetMany copies each value once, into place. Any other message,
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
#include <cstring>
#include <memory>
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

  // Copies the next n bytes to dst. REQUIRES: n <= remaining(). Inline when
  // they lie in the current piece: GetMany calls it once per row.
  void Read(char* dst, size_t n) {
    consumed_ += n;
    if (piece_ < pieces_.size() && pieces_[piece_].size() - offset_ > n) {
      std::memcpy(dst, pieces_[piece_].data() + offset_, n);
      offset_ += n;
      return;
    }
    ReadAcrossPieces(dst, n);
  }

  // All the values in one contiguous array: in place when they are in one
  // piece, else copied into *scratch. Independent of Read().
  const char* Contiguous(std::string* scratch) const;

 private:
  void ReadAcrossPieces(char* dst, size_t n);

  // What keeps the pieces alive: received slices (small ones hold their bytes
  // inside the slice object, so the vector is only ever moved, never copied
  // or grown), or a string (on the heap, so moving this object does not move
  // its bytes).
  std::vector<grpc::Slice> slices_;
  std::unique_ptr<std::string> owned_;
  std::vector<std::span<const char>> pieces_;
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
