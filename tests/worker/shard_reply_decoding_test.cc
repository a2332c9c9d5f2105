#include "src/worker/shard_reply_decoding.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <grpcpp/support/slice.h>

namespace gaia::internal {
namespace {

using google::protobuf::util::MessageDifferencer;

// `bytes` as gRPC might hand them over: cut into slices at `cuts`.
grpc::ByteBuffer Received(const std::string& bytes, std::vector<size_t> cuts) {
  std::vector<grpc::Slice> slices;
  size_t begin = 0;
  cuts.push_back(bytes.size());
  for (size_t cut : cuts) {
    cut = std::min(cut, bytes.size());
    if (cut > begin) slices.emplace_back(bytes.data() + begin, cut - begin);
    begin = std::max(begin, cut);
  }
  return grpc::ByteBuffer(slices.data(), slices.size());
}

rpc::ShardMessage ReadReply(uint64_t request_id, int64_t shard_clock, size_t bytes) {
  rpc::ShardMessage message;
  message.mutable_read()->set_request_id(request_id);
  message.mutable_read()->set_shard_clock(shard_clock);
  std::string values(bytes, '\0');
  for (size_t i = 0; i < bytes; ++i) values[i] = static_cast<char>(i * 13 + 1);
  message.mutable_read()->set_values(values);
  return message;
}

TEST(ShardReplyDecoding, ReadRepliesCutAnywhereKeepEveryByte) {
  const rpc::ShardMessage original = ReadReply(300, -2, 200);
  const std::string wire = original.SerializeAsString();
  const std::string& expected = original.read().values();
  // One cut at every position, and cuts every 7 bytes.
  std::vector<std::vector<size_t>> layouts;
  for (size_t cut = 0; cut <= wire.size(); ++cut) layouts.push_back({cut});
  std::vector<size_t> every7;
  for (size_t cut = 7; cut < wire.size(); cut += 7) every7.push_back(cut);
  layouts.push_back(every7);
  for (const std::vector<size_t>& cuts : layouts) {
    DecodedShardMessage decoded;
    ASSERT_TRUE(DecodeShardMessage(Received(wire, cuts), &decoded).ok());
    ASSERT_TRUE(decoded.is_read);
    EXPECT_EQ(decoded.request_id, 300u);
    EXPECT_EQ(decoded.shard_clock, -2);
    ASSERT_EQ(decoded.values.size(), expected.size());
    std::string scratch;
    EXPECT_EQ(std::string(decoded.values.Contiguous(&scratch), expected.size()), expected);
    // Read in uneven steps, across the pieces.
    std::string read(expected.size(), '\0');
    size_t at = 0;
    for (size_t step = 1; at < read.size(); ++step) {
      const size_t n = std::min(step, read.size() - at);
      decoded.values.Read(read.data() + at, n);
      at += n;
    }
    EXPECT_EQ(read, expected);
    EXPECT_EQ(decoded.values.remaining(), 0u);
  }
}

TEST(ShardReplyDecoding, ValuesOutlastTheReceivedBuffer) {
  // The pieces stay valid after the ByteBuffer they came in is gone.
  DecodedShardMessage decoded;
  {
    const std::string wire = ReadReply(1, 9, 1 << 16).SerializeAsString();
    ASSERT_TRUE(DecodeShardMessage(Received(wire, {100, 5000}), &decoded).ok());
  }
  std::string values(decoded.values.size(), '\0');
  decoded.values.Read(values.data(), values.size());
  EXPECT_EQ(values, ReadReply(1, 9, 1 << 16).read().values());
}

TEST(ShardReplyDecoding, UnusualLayoutsFallBackToProtobuf) {
  // Values sent twice (the last wins), an unknown field, fields after values,
  // and a read of no rows: each decodes as protobuf reads it.
  std::vector<std::string> wires;
  rpc::ReadReply first;
  first.set_values("aaaa");
  rpc::ReadReply second;
  second.set_request_id(8);
  second.set_values("bbbbbbbb");
  wires.push_back("\x12" + std::string(1, static_cast<char>(first.ByteSizeLong())) +
                  first.SerializeAsString() + "\x12" +
                  std::string(1, static_cast<char>(second.ByteSizeLong())) +
                  second.SerializeAsString());
  rpc::ReadReply with_unknown = ReadReply(5, 6, 8).read();
  // Field 100, a varint, after the known fields.
  std::string inner = with_unknown.SerializeAsString() + std::string("\xa0\x06\x01", 3);
  wires.push_back("\x12" + std::string(1, static_cast<char>(inner.size())) + inner);
  rpc::ShardMessage empty_read;
  empty_read.mutable_read()->set_request_id(3);
  wires.push_back(empty_read.SerializeAsString());
  for (const std::string& wire : wires) {
    rpc::ShardMessage expected;
    ASSERT_TRUE(expected.ParseFromString(wire));
    DecodedShardMessage decoded;
    ASSERT_TRUE(DecodeShardMessage(Received(wire, {3}), &decoded).ok());
    ASSERT_TRUE(decoded.is_read);
    EXPECT_EQ(decoded.request_id, expected.read().request_id());
    EXPECT_EQ(decoded.shard_clock, expected.read().shard_clock());
    std::string scratch;
    EXPECT_EQ(std::string(decoded.values.Contiguous(&scratch), decoded.values.size()),
              expected.read().values());
  }
}

TEST(ShardReplyDecoding, OtherMessagesAndGarbage) {
  rpc::ShardMessage hello;
  hello.mutable_hello()->set_num_shards(4);
  hello.mutable_hello()->add_tables()->set_name("R");
  rpc::ShardMessage error;
  error.mutable_error()->set_code(rpc::Error::ABORTED);
  error.mutable_error()->set_message("shutting down");
  for (const rpc::ShardMessage& original : {hello, error, rpc::ShardMessage()}) {
    DecodedShardMessage decoded;
    ASSERT_TRUE(DecodeShardMessage(Received(original.SerializeAsString(), {2}), &decoded).ok());
    EXPECT_FALSE(decoded.is_read);
    EXPECT_TRUE(MessageDifferencer::Equals(decoded.message, original));
  }
  // A read field whose length runs past the end.
  DecodedShardMessage decoded;
  EXPECT_EQ(DecodeShardMessage(Received(std::string("\x12\x40\x08\x01", 4), {}), &decoded).code(),
            absl::StatusCode::kInvalidArgument);
  // Values cut short inside the read field.
  std::string wire = ReadReply(1, 1, 64).SerializeAsString();
  wire.resize(wire.size() - 10);
  EXPECT_EQ(DecodeShardMessage(Received(wire, {20}), &decoded).code(),
            absl::StatusCode::kInvalidArgument);
  // Lengths beyond what a stream limit takes (2^31 and 2^32 - 1), on the read
  // field and on its values: rejected, not wrapped to a negative limit.
  for (const std::string& length : {std::string("\x80\x80\x80\x80\x08", 5),
                                    std::string("\xff\xff\xff\xff\x0f", 5)}) {
    EXPECT_EQ(DecodeShardMessage(Received("\x12" + length + std::string(8, '\x01'), {3}),
                                 &decoded).code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(DecodeShardMessage(Received(std::string("\x12\x07\x1a", 3) + length +
                                              std::string(4, '\x01'), {4}),
                                 &decoded).code(),
              absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace gaia::internal
