#include "src/server/shard_message_encoding.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/slice.h>

#include "src/common/byte_buffer.h"
#include "src/common/slice_stream.h"
#include "src/common/wire_format.h"

namespace gaia::server {

grpc::ByteBuffer EncodeShardMessage(rpc::ShardMessage message) {
  if (!message.has_read() || message.read().values().empty()) {
    return common::SerializeToByteBuffer(message);
  }

  // The values leave the message; gRPC owns them until the write is done.
  auto* values = new std::string(std::move(*message.mutable_read()->mutable_values()));
  message.mutable_read()->clear_values();
  const std::string reply_fields = message.read().SerializeAsString();  // id, clock

  // ShardMessage.read { <reply_fields> values: <values> }. Fields may come in
  // any order on the wire; values goes last so it can be its own slice.
  std::string values_prefix;
  common::AppendLengthPrefix(rpc::ReadReply::kValuesFieldNumber, values->size(), &values_prefix);
  std::string header;
  common::AppendLengthPrefix(rpc::ShardMessage::kReadFieldNumber,
                             reply_fields.size() + values_prefix.size() + values->size(),
                             &header);
  header += reply_fields;
  header += values_prefix;

  grpc::Slice slices[2] = {
      grpc::Slice(header),
      grpc::Slice(values->data(), values->size(),
                  [](void* owned) { delete static_cast<std::string*>(owned); }, values),
  };
  return grpc::ByteBuffer(slices, 2);
}

namespace {

using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;

constexpr uint32_t kPushTag = common::LengthDelimitedTag(rpc::WorkerMessage::kPushFieldNumber);
constexpr uint32_t kClockTag = common::VarintTag(rpc::PushBatch::kClockFieldNumber);
constexpr uint32_t kTablesTag = common::LengthDelimitedTag(rpc::PushBatch::kTablesFieldNumber);
constexpr uint32_t kDenseRowIdsTag =
    common::LengthDelimitedTag(rpc::TableDelta::kDenseRowIdsFieldNumber);
constexpr uint32_t kDenseValuesTag =
    common::LengthDelimitedTag(rpc::TableDelta::kDenseValuesFieldNumber);

// Reads one TableDelta of `length` bytes: its dense values as pieces of the
// input, its dense row ids straight into the delta, every other field
// through protobuf.
bool ReadDeltaInPlace(CodedInputStream& in, int length, rpc::TableDelta* delta,
                      PackedValues* values) {
  const CodedInputStream::Limit limit = in.PushLimit(length);
  std::string other_fields;  // flags and sparse parts, if any
  bool have_values = false;
  bool have_ids = false;
  {
    google::protobuf::io::StringOutputStream sink(&other_fields);
    google::protobuf::io::CodedOutputStream out(&sink);
    while (uint32_t tag = in.ReadTag()) {
      if (tag == kDenseRowIdsTag) {
        int size;
        if (have_ids || !common::ReadLength(in, &size) ||
            !in.ReadString(delta->mutable_dense_row_ids(), size)) {
          return false;  // twice (protobuf keeps the last) or cut short
        }
        have_ids = true;
        continue;
      }
      if (tag != kDenseValuesTag) {
        if (!WireFormatLite::SkipField(&in, tag, &out)) return false;
        continue;
      }
      if (have_values) return false;  // repeated field: let protobuf decide
      have_values = true;
      int size;
      if (!common::ReadLength(in, &size) ||
          !common::ReadInPlace(in, size, [&](const char* data, size_t n) {
            values->Append(absl::string_view(data, n));
          })) {
        return false;
      }
    }
    if (out.HadError()) return false;
  }
  // ReadTag() also ends at the end of the data: the delta must be whole.
  if (!in.ConsumedEntireMessage() || in.BytesUntilLimit() != 0) return false;
  in.PopLimit(limit);
  return delta->MergeFromString(other_fields);
}

// Reads WorkerMessage{push} with the dense values left in place. False when
// the bytes are anything else (or laid out unexpectedly): the caller then
// parses them with protobuf.
bool ReadPushInPlace(const std::vector<grpc::Slice>& slices, DecodedWorkerMessage* out) {
  common::SliceStream stream(slices);
  CodedInputStream in(&stream);
  int length;
  if (in.ReadTag() != kPushTag || !common::ReadLength(in, &length)) return false;
  const CodedInputStream::Limit limit = in.PushLimit(length);
  rpc::PushBatch* batch = out->message.mutable_push();
  while (uint32_t tag = in.ReadTag()) {
    if (tag == kClockTag) {
      uint64_t clock;
      if (!in.ReadVarint64(&clock)) return false;
      batch->set_clock(static_cast<int64_t>(clock));
    } else if (tag == kTablesTag) {
      int delta_length;
      if (!common::ReadLength(in, &delta_length)) return false;
      if (!ReadDeltaInPlace(in, delta_length, batch->add_tables(), &out->values.emplace_back())) {
        return false;
      }
    } else {
      return false;  // unknown to this shard: protobuf keeps or drops it
    }
  }
  if (!in.ConsumedEntireMessage() || in.BytesUntilLimit() != 0) return false;
  in.PopLimit(limit);
  // Anything after the push field (another oneof member) is protobuf's call.
  return in.ReadTag() == 0 && in.ConsumedEntireMessage();
}

}  // namespace

absl::Status DecodeWorkerMessage(grpc::ByteBuffer* buffer, DecodedWorkerMessage* decoded) {
  decoded->message.Clear();
  decoded->values.clear();
  decoded->slices.clear();
  if (grpc::Status s = buffer->Dump(&decoded->slices); !s.ok()) {
    return absl::InvalidArgumentError("unreadable WorkerMessage: " + s.error_message());
  }
  buffer->Clear();
  if (ReadPushInPlace(decoded->slices, decoded)) return absl::OkStatus();
  decoded->message.Clear();
  decoded->values.clear();
  common::SliceStream stream(decoded->slices);
  const bool parsed = decoded->message.ParseFromZeroCopyStream(&stream);
  decoded->slices.clear();  // nothing points into them
  if (!parsed) return absl::InvalidArgumentError("malformed WorkerMessage");
  return absl::OkStatus();
}

}  // namespace gaia::server
