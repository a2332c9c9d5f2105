#include "src/server/shard_message_encoding.h"

#include <cstdint>
#include <string>
#include <utility>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/slice.h>

#include "src/common/byte_buffer.h"

namespace gaia::server {
namespace {

using google::protobuf::io::CodedOutputStream;
using google::protobuf::internal::WireFormatLite;

// Appends the varint encoding of `value` to `out`.
void AppendVarint(uint64_t value, std::string* out) {
  uint8_t bytes[10];
  uint8_t* end = CodedOutputStream::WriteVarint64ToArray(value, bytes);
  out->append(reinterpret_cast<const char*>(bytes), static_cast<size_t>(end - bytes));
}

// Appends the tag of length-delimited field `field` and the length `size`.
void AppendLengthDelimited(int field, uint64_t size, std::string* out) {
  AppendVarint(WireFormatLite::MakeTag(field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED), out);
  AppendVarint(size, out);
}

}  // namespace

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
  AppendLengthDelimited(rpc::ReadReply::kValuesFieldNumber, values->size(), &values_prefix);
  std::string header;
  AppendLengthDelimited(rpc::ShardMessage::kReadFieldNumber,
                        reply_fields.size() + values_prefix.size() + values->size(), &header);
  header += reply_fields;
  header += values_prefix;

  grpc::Slice slices[2] = {
      grpc::Slice(header),
      grpc::Slice(values->data(), values->size(),
                  [](void* owned) { delete static_cast<std::string*>(owned); }, values),
  };
  return grpc::ByteBuffer(slices, 2);
}

absl::Status DecodeWorkerMessage(grpc::ByteBuffer* buffer, rpc::WorkerMessage* message) {
  grpc::Status status =
      grpc::SerializationTraits<rpc::WorkerMessage>::Deserialize(buffer, message);
  if (!status.ok()) {
    return absl::InvalidArgumentError("malformed WorkerMessage: " + status.error_message());
  }
  return absl::OkStatus();
}

}  // namespace gaia::server
