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
// The other way, a push is mostly its dense values; DecodeWorkerMessage
// leaves them in gRPC's receive slices, and the shard adds them into its
// table (or pending buffer) from there: one copy fewer than a protobuf parse.
//
//   grpc::ByteBuffer buffer = EncodeShardMessage(std::move(message));
//   StartWrite(&buffer);
#ifndef GAIA_SRC_SERVER_SHARD_MESSAGE_ENCODING_H_
#define GAIA_SRC_SERVER_SHARD_MESSAGE_ENCODING_H_

#include <vector>

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include "absl/status/status.h"
#include "proto/gaia.pb.h"
#include "src/server/packed_values.h"

namespace gaia::server {

// The wire form of `message`. A read reply's values move into the buffer
// (message is consumed either way).
grpc::ByteBuffer EncodeShardMessage(rpc::ShardMessage message);

// A worker's message. A push's dense values are usually left where gRPC
// received them: then `values[i]` holds message.push().tables(i)'s dense
// values (pieces of `slices`) and that delta's own dense_values field is
// empty. `values` is empty when every value is in the message itself (any
// other message, or a push laid out in a way the in-place reader does not
// expect, which protobuf parses).
struct DecodedWorkerMessage {
  rpc::WorkerMessage message;
  std::vector<PackedValues> values;
  std::vector<grpc::Slice> slices;  // what `values` points into
};

// Decodes a worker's message out of `buffer` (which it consumes).
// INVALID_ARGUMENT if it is not a WorkerMessage.
absl::Status DecodeWorkerMessage(grpc::ByteBuffer* buffer, DecodedWorkerMessage* decoded);

}  // namespace gaia::server

#endif  // GAIA_SRC_SERVER_SHARD_MESSAGE_ENCODING_H_
