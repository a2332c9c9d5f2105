// Serialization of the shard's replies for its raw (grpc::ByteBuffer)
// Session stream.
//
// A read reply's values are the bulk of what a shard sends. Encoded the
// usual way, the packed values are copied once more, from the reply's
// `bytes` field into gRPC's buffer. EncodeShardMessage instead hands gRPC
// the field's own string as a slice: the header (message tags, request id,
// shard clock, the values' length prefix) is written into a small slice of
// its own, and the values follow without a copy. The bytes on the wire are
// an ordinary serialization of the ShardMessage (the worker reads them with
// src/worker/shard_reply_decoding.h; any protobuf parser can).
//
//   grpc::ByteBuffer buffer = EncodeShardMessage(std::move(message));
//   StartWrite(&buffer);
#ifndef GAIA_SRC_SERVER_SHARD_MESSAGE_ENCODING_H_
#define GAIA_SRC_SERVER_SHARD_MESSAGE_ENCODING_H_

#include <grpcpp/support/byte_buffer.h>

#include "absl/status/status.h"
#include "proto/gaia.pb.h"

namespace gaia::server {

// The wire form of `message`. A read reply's values move into the buffer
// (message is consumed either way).
grpc::ByteBuffer EncodeShardMessage(rpc::ShardMessage message);

// Parses a worker's message out of `buffer` (which it consumes).
// INVALID_ARGUMENT if it is not a WorkerMessage.
absl::Status DecodeWorkerMessage(grpc::ByteBuffer* buffer, rpc::WorkerMessage* message);

}  // namespace gaia::server

#endif  // GAIA_SRC_SERVER_SHARD_MESSAGE_ENCODING_H_
