#include "src/worker/shard_reply_decoding.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include "src/common/slice_stream.h"
#include "src/common/wire_format.h"

namespace gaia::internal {
namespace {

using google::protobuf::io::CodedInputStream;
using google::protobuf::internal::WireFormatLite;
using common::SliceStream;

constexpr uint32_t kReadTag = common::LengthDelimitedTag(rpc::ShardMessage::kReadFieldNumber);
constexpr uint32_t kRequestIdTag = common::VarintTag(rpc::ReadReply::kRequestIdFieldNumber);
constexpr uint32_t kShardClockTag = common::VarintTag(rpc::ReadReply::kShardClockFieldNumber);
constexpr uint32_t kValuesTag = common::LengthDelimitedTag(rpc::ReadReply::kValuesFieldNumber);

// Reads ShardMessage{read: ReadReply} with the values left in place. False
// when the bytes are anything else (or laid out unexpectedly): the caller
// then parses them with protobuf.
bool ReadReplyInPlace(const std::vector<grpc::Slice>& slices, DecodedShardMessage* out,
                      std::vector<std::span<const char>>* pieces) {
  SliceStream stream(slices);
  CodedInputStream in(&stream);
  if (in.ReadTag() != kReadTag) return false;
  int length;
  if (!common::ReadLength(in, &length)) return false;
  const CodedInputStream::Limit limit = in.PushLimit(length);
  bool have_values = false;
  while (uint32_t tag = in.ReadTag()) {
    uint64_t varint;
    switch (tag) {
      case kRequestIdTag:
        if (!in.ReadVarint64(&varint)) return false;
        out->request_id = varint;
        break;
      case kShardClockTag:
        if (!in.ReadVarint64(&varint)) return false;
        out->shard_clock = static_cast<int64_t>(varint);
        break;
      case kValuesTag: {
        if (have_values) return false;  // repeated field: let protobuf decide
        have_values = true;
        int size;
        if (!common::ReadLength(in, &size) ||
            !common::ReadInPlace(in, size, [&](const char* data, size_t n) {
              pieces->emplace_back(data, n);
            })) {
          return false;
        }
        break;
      }
      default:
        if (!WireFormatLite::SkipField(&in, tag)) return false;
    }
  }
  // ReadTag() also ends at the end of the data: the read field must be whole.
  if (!in.ConsumedEntireMessage() || in.BytesUntilLimit() != 0) return false;
  in.PopLimit(limit);
  // Anything after the read field (another oneof member) is protobuf's call.
  return in.ReadTag() == 0 && in.ConsumedEntireMessage();
}

}  // namespace

ReplyValues ReplyValues::FromString(std::string values) {
  ReplyValues v;
  v.owned_ = std::make_unique<std::string>(std::move(values));
  v.size_ = v.owned_->size();
  if (v.size_ > 0) v.pieces_.emplace_back(v.owned_->data(), v.size_);
  return v;
}

ReplyValues ReplyValues::InSlices(std::vector<grpc::Slice> slices,
                                  std::vector<std::span<const char>> pieces) {
  ReplyValues v;
  v.slices_ = std::move(slices);
  v.pieces_ = std::move(pieces);
  for (const std::span<const char>& piece : v.pieces_) v.size_ += piece.size();
  return v;
}

void ReplyValues::ReadAcrossPieces(char* dst, size_t n) {
  while (n > 0) {
    const std::span<const char>& piece = pieces_[piece_];
    const size_t take = std::min(n, piece.size() - offset_);
    std::memcpy(dst, piece.data() + offset_, take);
    dst += take;
    n -= take;
    offset_ += take;
    if (offset_ == piece.size()) {
      ++piece_;
      offset_ = 0;
    }
  }
}

const char* ReplyValues::Contiguous(std::string* scratch) const {
  if (pieces_.size() == 1) return pieces_[0].data();
  scratch->clear();
  scratch->reserve(size_);
  for (const std::span<const char>& piece : pieces_) scratch->append(piece.data(), piece.size());
  return scratch->data();
}

absl::Status DecodeShardMessage(grpc::ByteBuffer buffer, DecodedShardMessage* out) {
  std::vector<grpc::Slice> slices;
  if (grpc::Status s = buffer.Dump(&slices); !s.ok()) {
    return absl::InvalidArgumentError("unreadable ShardMessage: " + s.error_message());
  }
  buffer.Clear();
  *out = DecodedShardMessage();
  std::vector<std::span<const char>> pieces;
  if (ReadReplyInPlace(slices, out, &pieces)) {
    out->is_read = true;
    out->values = ReplyValues::InSlices(std::move(slices), std::move(pieces));
    return absl::OkStatus();
  }
  *out = DecodedShardMessage();
  SliceStream stream(slices);
  if (!out->message.ParseFromZeroCopyStream(&stream)) {
    return absl::InvalidArgumentError("malformed ShardMessage");
  }
  if (out->message.has_read()) {
    rpc::ReadReply* reply = out->message.mutable_read();
    out->is_read = true;
    out->request_id = reply->request_id();
    out->shard_clock = reply->shard_clock();
    out->values = ReplyValues::FromString(std::move(*reply->mutable_values()));
    out->message.Clear();
  }
  return absl::OkStatus();
}

}  // namespace gaia::internal
