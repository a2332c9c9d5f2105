#include "src/server/shard_message_encoding.h"

#include <cstdint>
#include <string>
#include <vector>

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <grpcpp/support/slice.h>

namespace gaia::server {
namespace {

using google::protobuf::util::MessageDifferencer;

// The bytes gRPC would put on the wire for `buffer`.
std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(buffer.Dump(&slices).ok());
  std::string out;
  for (const grpc::Slice& slice : slices) {
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return out;
}

rpc::ShardMessage ReadReply(uint64_t request_id, int64_t shard_clock, size_t value_bytes) {
  rpc::ShardMessage message;
  rpc::ReadReply* reply = message.mutable_read();
  reply->set_request_id(request_id);
  reply->set_shard_clock(shard_clock);
  std::string values(value_bytes, '\0');
  for (size_t i = 0; i < value_bytes; ++i) values[i] = static_cast<char>(i * 7 + 3);
  reply->set_values(std::move(values));
  return message;
}

TEST(ShardMessageEncoding, ReadRepliesParseBackExactly) {
  // Field values that change the header's varint lengths, and value sizes
  // from one float to more than a 1-byte / 2-byte / 3-byte length prefix.
  for (uint64_t id : {uint64_t{0}, uint64_t{1}, uint64_t{300}, ~uint64_t{0}}) {
    for (int64_t clock : {int64_t{0}, int64_t{-1}, int64_t{5}, int64_t{1} << 40}) {
      for (size_t bytes : {size_t{4}, size_t{124}, size_t{128}, size_t{16384}, size_t{1} << 20}) {
        const rpc::ShardMessage original = ReadReply(id, clock, bytes);
        const grpc::ByteBuffer encoded = EncodeShardMessage(original);
        const std::string wire = Flatten(encoded);
        EXPECT_EQ(wire.size(), original.ByteSizeLong());
        rpc::ShardMessage parsed;
        ASSERT_TRUE(parsed.ParseFromString(wire)) << id << " " << clock << " " << bytes;
        EXPECT_TRUE(MessageDifferencer::Equals(parsed, original))
            << id << " " << clock << " " << bytes;
      }
    }
  }
}

TEST(ShardMessageEncoding, ValuesTravelAsTheirOwnSlice) {
  const grpc::ByteBuffer encoded = EncodeShardMessage(ReadReply(9, 3, 1 << 16));
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(encoded.Dump(&slices).ok());
  ASSERT_EQ(slices.size(), 2u);
  EXPECT_EQ(slices[1].size(), size_t{1} << 16);
  EXPECT_LT(slices[0].size(), 32u);
}

TEST(ShardMessageEncoding, OtherMessagesAreOrdinarySerializations) {
  std::vector<rpc::ShardMessage> messages(4);
  messages[0].mutable_hello()->set_num_shards(3);
  messages[0].mutable_hello()->add_tables()->set_name("R");
  messages[1].mutable_error()->set_code(rpc::Error::NOT_FOUND);
  messages[1].mutable_error()->set_message("table 7: row 12 out of range");
  messages[1].mutable_error()->set_request_id(44);
  messages[2].mutable_read()->set_request_id(5);  // a read of no rows: no values
  // messages[3] is empty.
  for (const rpc::ShardMessage& original : messages) {
    const std::string wire = Flatten(EncodeShardMessage(original));
    EXPECT_EQ(wire, original.SerializeAsString());
  }
}

TEST(ShardMessageEncoding, DecodesWorkerMessagesAndRejectsGarbage) {
  rpc::WorkerMessage original;
  original.mutable_read()->set_request_id(77);
  original.mutable_read()->set_row_ids(std::string(800, 'x'));
  const std::string bytes = original.SerializeAsString();
  grpc::Slice slice(bytes);
  grpc::ByteBuffer buffer(&slice, 1);
  rpc::WorkerMessage decoded;
  ASSERT_TRUE(DecodeWorkerMessage(&buffer, &decoded).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(decoded, original));

  // A length-delimited field (read) whose length runs past the end.
  const std::string garbage = "\x22\xff\xff\x03" "abc";
  grpc::Slice bad(garbage);
  grpc::ByteBuffer bad_buffer(&bad, 1);
  absl::Status status = DecodeWorkerMessage(&bad_buffer, &decoded);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gaia::server
