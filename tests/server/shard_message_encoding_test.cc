#include "src/server/shard_message_encoding.h"

#include <cstdint>
#include <string>
#include <vector>

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <grpcpp/support/slice.h>

#include "src/common/wire_format.h"

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
  DecodedWorkerMessage decoded;
  ASSERT_TRUE(DecodeWorkerMessage(&buffer, &decoded).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(decoded.message, original));
  EXPECT_TRUE(decoded.values.empty());

  // A length-delimited field (read) whose length runs past the end.
  const std::string garbage = "\x22\xff\xff\x03" "abc";
  grpc::Slice bad(garbage);
  grpc::ByteBuffer bad_buffer(&bad, 1);
  absl::Status status = DecodeWorkerMessage(&bad_buffer, &decoded);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
}

// `bytes` as a ByteBuffer cut into slices at the given offsets.
grpc::ByteBuffer CutAt(const std::string& bytes, std::vector<size_t> cuts) {
  cuts.push_back(bytes.size());
  std::vector<grpc::Slice> slices;
  size_t begin = 0;
  for (size_t cut : cuts) {
    if (cut <= begin || cut > bytes.size()) continue;
    slices.emplace_back(bytes.data() + begin, cut - begin);
    begin = cut;
  }
  return grpc::ByteBuffer(slices.data(), slices.size());
}

// The message a decoded push stands for: its values put back into the deltas.
rpc::WorkerMessage Reassembled(const DecodedWorkerMessage& decoded) {
  rpc::WorkerMessage message = decoded.message;
  for (size_t i = 0; i < decoded.values.size(); ++i) {
    std::string values;
    decoded.values[i].ForEachRow(1, [&](size_t, const char* byte) { values.push_back(*byte); });
    EXPECT_TRUE(message.push().tables(static_cast<int>(i)).dense_values().empty());
    message.mutable_push()->mutable_tables(static_cast<int>(i))->set_dense_values(values);
  }
  return message;
}

rpc::WorkerMessage TwoTablePush(size_t rows) {
  rpc::WorkerMessage message;
  rpc::PushBatch* push = message.mutable_push();
  push->set_clock(int64_t{1} << 33);
  for (uint32_t t = 0; t < 2; ++t) {
    rpc::TableDelta* delta = push->add_tables();
    delta->set_table_id(t);
    delta->set_dense_row_ids(std::string(rows * 8, static_cast<char>('a' + t)));
    std::string values(rows * 12, '\0');
    for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<char>(i * 13 + t);
    delta->set_dense_values(values);
    delta->set_sparse_row_ids(std::string(8, 'z'));  // other fields survive
  }
  return message;
}

// A push's values stay in the received slices, however the slices cut the
// message (mid-field, mid-row, one byte each): decoding gives protobuf's
// message back.
TEST(ShardMessageEncoding, PushValuesAreDecodedInPlaceAtAnyCut) {
  const rpc::WorkerMessage original = TwoTablePush(40);
  const std::string bytes = original.SerializeAsString();
  std::vector<std::vector<size_t>> cuts = {{}, {1}, {3, 500}, {bytes.size() - 1}};
  std::vector<size_t> every_byte;
  for (size_t i = 1; i < bytes.size(); ++i) every_byte.push_back(i);
  cuts.push_back(every_byte);
  for (size_t at = 1; at < bytes.size(); at += 37) cuts.push_back({at, at + 5, at + 100});
  for (const std::vector<size_t>& cut : cuts) {
    grpc::ByteBuffer buffer = CutAt(bytes, cut);
    DecodedWorkerMessage decoded;
    ASSERT_TRUE(DecodeWorkerMessage(&buffer, &decoded).ok());
    ASSERT_EQ(decoded.values.size(), 2u);
    EXPECT_EQ(decoded.values[0].size(), 40u * 12);
    EXPECT_TRUE(MessageDifferencer::Equals(Reassembled(decoded), original))
        << cut.size() << " cuts, first at " << (cut.empty() ? 0 : cut[0]);
  }
}

// Layouts the in-place reader does not take (two push fields, values twice,
// an unknown field, another oneof member after the push) are parsed by protobuf, with
// protobuf's result; truncated pushes are errors.
TEST(ShardMessageEncoding, UnusualPushesFallBackToProtobuf) {
  const rpc::WorkerMessage original = TwoTablePush(3);
  std::vector<std::string> variants;
  {
    // A second push field: protobuf merges the two.
    rpc::WorkerMessage more;
    more.mutable_push()->add_tables()->set_dense_values(std::string(36, 'q'));
    variants.push_back(original.SerializeAsString() + more.SerializeAsString());
  }
  {
    // dense_values twice in one delta: protobuf keeps the last.
    std::string delta = original.push().tables(0).SerializeAsString();
    common::AppendLengthPrefix(rpc::TableDelta::kDenseValuesFieldNumber, 36, &delta);
    delta += std::string(36, 'q');
    std::string batch;
    common::AppendLengthPrefix(rpc::PushBatch::kTablesFieldNumber, delta.size(), &batch);
    batch += delta;
    std::string message;
    common::AppendLengthPrefix(rpc::WorkerMessage::kPushFieldNumber, batch.size(), &message);
    variants.push_back(message + batch);
  }
  {
    // PushBatch field 31 (varint 5), unknown to this shard.
    const std::string batch = original.push().SerializeAsString() + "\xf8\x01\x05";
    std::string message;
    common::AppendLengthPrefix(rpc::WorkerMessage::kPushFieldNumber, batch.size(), &message);
    variants.push_back(message + batch);
  }
  {
    rpc::WorkerMessage clock;
    clock.mutable_clock()->set_clock(4);
    variants.push_back(original.SerializeAsString() + clock.SerializeAsString());
  }
  for (const std::string& bytes : variants) {
    rpc::WorkerMessage expected;
    ASSERT_TRUE(expected.ParseFromString(bytes));
    grpc::ByteBuffer buffer = CutAt(bytes, {7, 30});
    DecodedWorkerMessage decoded;
    ASSERT_TRUE(DecodeWorkerMessage(&buffer, &decoded).ok());
    EXPECT_TRUE(decoded.values.empty());
    EXPECT_TRUE(MessageDifferencer::Equals(decoded.message, expected));
  }
  const std::string bytes = original.SerializeAsString();
  for (size_t length = 1; length < bytes.size(); ++length) {
    grpc::ByteBuffer buffer = CutAt(bytes.substr(0, length), {length / 2});
    DecodedWorkerMessage decoded;
    EXPECT_FALSE(DecodeWorkerMessage(&buffer, &decoded).ok()) << "truncated to " << length;
  }
}

// PackedValues hands out each row whole, wherever the pieces cut it.
TEST(PackedValues, RowsAcrossPiecesArriveWhole) {
  std::string bytes(10 * 12, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i);
  for (size_t a = 1; a < bytes.size(); a += 5) {
    for (size_t b = a; b < bytes.size(); b += 11) {
      PackedValues values;
      values.Append(absl::string_view(bytes).substr(0, a));
      values.Append(absl::string_view(bytes).substr(a, b - a));
      values.Append(absl::string_view(bytes).substr(b));
      std::string seen;
      size_t next = 0;
      values.ForEachRow(12, [&](size_t i, const char* row) {
        EXPECT_EQ(i, next++);
        seen.append(row, 12);
      });
      EXPECT_EQ(next, 10u);
      EXPECT_EQ(seen, bytes) << a << " " << b;
    }
  }
}

}  // namespace
}  // namespace gaia::server
