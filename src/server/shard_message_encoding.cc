#include "src/server/shard_message_encoding.h"

#include <cstdint>
#include <string>
#include <utility>

#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/slice.h>

#include "src/common/byte_buffer.h"
#include "src/common/wire_writing.h"

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

absl::Status DecodeWorkerMessage(grpc::ByteBuffer* buffer, rpc::WorkerMessage* message) {
  grpc::Status status =
      grpc::SerializationTraits<rpc::WorkerMessage>::Deserialize(buffer, message);
  if (!status.ok()) {
    return absl::InvalidArgumentError("malformed WorkerMessage: " + status.error_message());
  }
  return absl::OkStatus();
}

}  // namespace gaia::server
