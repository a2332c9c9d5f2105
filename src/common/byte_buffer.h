// Protobuf messages as the bytes of raw (grpc::ByteBuffer) gRPC streams: the
// encoding gRPC itself applies to a typed stream's messages.
#ifndef GAIA_SRC_COMMON_BYTE_BUFFER_H_
#define GAIA_SRC_COMMON_BYTE_BUFFER_H_

#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/byte_buffer.h>

namespace gaia::common {

template <typename Message>
grpc::ByteBuffer SerializeToByteBuffer(const Message& message) {
  grpc::ByteBuffer buffer;
  bool own_buffer = false;
  grpc::SerializationTraits<Message>::Serialize(message, &buffer, &own_buffer);
  return buffer;
}

}  // namespace gaia::common

#endif  // GAIA_SRC_COMMON_BYTE_BUFFER_H_
