// Compact mirror deltas (src/mirror/delta_encoding.h): binary16 values and
// varint row ids round-trip exactly, malformed ones are rejected, and the
// outbox packs rows as halves only when that is lossless.
#include "src/mirror/delta_encoding.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "src/common/packing.h"
#include "src/mirror/outbox.h"

namespace gaia::mirror {
namespace {

TEST(DeltaEncoding, ExactInHalf) {
  for (float v : {0.0f, -0.0f, 1.0f, -0.5f, 0.0999755859375f, 65504.0f, 6.103515625e-05f,
                  5.9604644775390625e-08f /* smallest subnormal */}) {
    EXPECT_TRUE(ExactInHalf(v)) << v;
  }
  for (float v : {0.1f, 65505.0f, 1e5f, 1e-8f, 1.0f + 1.0f / 4096}) {
    EXPECT_FALSE(ExactInHalf(v)) << v;
  }
}

// Writes rows with a DeltaWriter in the given encoding and expands them back.
rpc::TableDelta WriteAndExpand(bool half, bool varint, size_t* wire_bytes) {
  rpc::TableDelta delta;
  DeltaWriter writer(&delta, 3, half, varint);
  writer.AddDenseRow(9, std::vector<float>{1.0f, -2.5f, 0.0f, 0.0999755859375f});
  writer.AddDenseRow(1ull << 40, std::vector<float>{0.5f, 0.5f, 0.5f, 0.5f});
  writer.AddDenseRow(2, std::vector<float>{4.0f, 0.0f, 0.0f, 1.0f});
  writer.AddSparseRow(4, std::vector<uint32_t>{1, 65535}, std::vector<float>{0.75f, -1024.0f});
  writer.AddSparseRow(~uint64_t{0}, std::vector<uint32_t>{0}, std::vector<float>{8.0f});
  EXPECT_EQ(delta.half_values(), half);
  EXPECT_EQ(delta.varint_row_ids(), varint);
  EXPECT_EQ(DeltaElements(delta), 15u);
  *wire_bytes = delta.ByteSizeLong();
  EXPECT_TRUE(ExpandDelta(&delta).ok());
  EXPECT_FALSE(delta.half_values());
  EXPECT_FALSE(delta.varint_row_ids());
  EXPECT_EQ(DeltaElements(delta), 15u);
  return delta;
}

TEST(DeltaEncoding, EveryEncodingExpandsToThePlainDelta) {
  size_t plain_bytes = 0;
  const rpc::TableDelta plain = WriteAndExpand(false, false, &plain_bytes);
  EXPECT_EQ(plain.table_id(), 3u);
  EXPECT_EQ(common::Unpack<uint64_t>(plain.dense_row_ids()),
            (std::vector<uint64_t>{9, 1ull << 40, 2}));
  EXPECT_EQ(common::Unpack<uint64_t>(plain.sparse_row_ids()),
            (std::vector<uint64_t>{4, ~uint64_t{0}}));
  EXPECT_EQ(common::Unpack<uint32_t>(plain.sparse_row_nnz()), (std::vector<uint32_t>{2, 1}));
  EXPECT_EQ(common::Unpack<float>(plain.dense_values()),
            (std::vector<float>{1.0f, -2.5f, 0.0f, 0.0999755859375f, 0.5f, 0.5f, 0.5f, 0.5f, 4.0f,
                                0.0f, 0.0f, 1.0f}));
  const std::string& entries = plain.sparse_entries();
  ASSERT_EQ(entries.size(), 24u);
  EXPECT_EQ(common::PackedAt<uint32_t>(entries, 0), 1u);
  EXPECT_EQ(common::PackedAt<float>(entries, 1), 0.75f);
  EXPECT_EQ(common::PackedAt<uint32_t>(entries, 2), 65535u);
  EXPECT_EQ(common::PackedAt<float>(entries, 3), -1024.0f);
  for (bool half : {false, true}) {
    for (bool varint : {false, true}) {
      size_t bytes = 0;
      const rpc::TableDelta expanded = WriteAndExpand(half, varint, &bytes);
      EXPECT_EQ(expanded.SerializeAsString(), plain.SerializeAsString())
          << "half " << half << " varint " << varint;
      if (half || varint) {
        EXPECT_LT(bytes, plain_bytes) << "half " << half << " varint " << varint;
      }
    }
  }
}

TEST(DeltaEncoding, MalformedCompactDeltasRejected) {
  rpc::TableDelta dense;
  dense.set_half_values(true);
  dense.set_dense_values(std::string(3, '\0'));
  EXPECT_EQ(ExpandDelta(&dense).code(), absl::StatusCode::kInvalidArgument);
  rpc::TableDelta sparse;
  sparse.set_half_values(true);
  sparse.set_sparse_entries(std::string(6, '\0'));
  const absl::Status status = ExpandDelta(&sparse);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("sparse_entries"), std::string::npos) << status;
  // A varint whose last byte still says "more", and one of 11 bytes.
  rpc::TableDelta truncated;
  truncated.set_varint_row_ids(true);
  truncated.set_dense_row_ids(std::string("\x05\x85", 2));
  EXPECT_EQ(ExpandDelta(&truncated).code(), absl::StatusCode::kInvalidArgument);
  rpc::TableDelta overlong;
  overlong.set_varint_row_ids(true);
  overlong.set_sparse_row_ids(std::string(10, '\xff') + std::string(1, '\x01'));
  EXPECT_EQ(ExpandDelta(&overlong).code(), absl::StatusCode::kInvalidArgument);
  rpc::TableDelta big_count;
  big_count.set_varint_row_ids(true);
  big_count.set_sparse_row_nnz(std::string("\xff\xff\xff\xff\x1f", 5));  // 2^36 - 1
  EXPECT_EQ(ExpandDelta(&big_count).code(), absl::StatusCode::kInvalidArgument);
}

TEST(DeltaEncoding, PlainDeltaLeftAlone) {
  rpc::TableDelta delta;
  common::AppendPacked<float>(delta.mutable_dense_values(), 0.1f);
  common::AppendPacked<uint64_t>(delta.mutable_dense_row_ids(), 7);
  const std::string before = delta.SerializeAsString();
  ASSERT_TRUE(ExpandDelta(&delta).ok());
  EXPECT_EQ(delta.SerializeAsString(), before);
}

// Decodes every delta of a batch to (row -> width floats); compact deltas
// are expanded first.
std::vector<std::pair<uint64_t, std::vector<float>>> DenseRows(rpc::MirrorBatch batch,
                                                               uint32_t width) {
  std::vector<std::pair<uint64_t, std::vector<float>>> rows;
  for (rpc::TableDelta& delta : *batch.mutable_updates()) {
    EXPECT_TRUE(ExpandDelta(&delta).ok());
    const std::vector<uint64_t> ids = common::Unpack<uint64_t>(delta.dense_row_ids());
    const std::vector<float> values = common::Unpack<float>(delta.dense_values());
    for (size_t r = 0; r < ids.size(); ++r) {
      rows.emplace_back(ids[r], std::vector<float>(values.begin() + r * width,
                                                   values.begin() + (r + 1) * width));
    }
  }
  return rows;
}

TEST(OutboxHalf, ExactRowsGoAsHalvesOthersAsFloats) {
  Outbox outbox({4}, /*half_values=*/true);
  const std::vector<uint32_t> all = {0, 1, 2, 3};
  outbox.AddRow(false, 0, 1, all, std::vector<float>{1.0f, 0.5f, -0.25f, 2.0f});
  outbox.AddRow(false, 0, 2, all, std::vector<float>{1.0f, 0.1f, 0.0f, 2.0f});  // 0.1: not exact
  outbox.AddRow(false, 0, 3, std::vector<uint32_t>{2}, std::vector<float>{0.75f});
  std::optional<rpc::MirrorBatch> batch = outbox.Seal(1 << 20);
  ASSERT_TRUE(batch.has_value());
  ASSERT_EQ(batch->updates_size(), 2);
  int half_deltas = 0;
  for (const rpc::TableDelta& delta : batch->updates()) {
    if (!delta.half_values()) {
      EXPECT_EQ(common::Unpack<uint64_t>(delta.dense_row_ids()), std::vector<uint64_t>{2});
      continue;
    }
    ++half_deltas;
    EXPECT_EQ(common::Unpack<uint64_t>(delta.dense_row_ids()), std::vector<uint64_t>{1});
    EXPECT_EQ(delta.dense_values().size(), 4u * 2);
    EXPECT_EQ(common::Unpack<uint64_t>(delta.sparse_row_ids()), std::vector<uint64_t>{3});
    EXPECT_EQ(delta.sparse_entries().size(), 4u);  // uint16 column + binary16 value
  }
  EXPECT_EQ(half_deltas, 1);
  const auto rows = DenseRows(*batch, 4);
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& [row, values] : rows) {
    const std::vector<float> want = row == 1 ? std::vector<float>{1.0f, 0.5f, -0.25f, 2.0f}
                                             : std::vector<float>{1.0f, 0.1f, 0.0f, 2.0f};
    EXPECT_EQ(values, want) << "row " << row;
  }
}

// Two halves queued for the same element may sum to a value binary16 cannot
// hold; the row then goes as float32 rather than rounded.
TEST(OutboxHalf, CoalescedSumThatIsNoLongerAHalfGoesAsFloat) {
  Outbox outbox({1}, /*half_values=*/true);
  outbox.AddRow(false, 0, 0, std::vector<uint32_t>{0}, std::vector<float>{1024.0f});
  outbox.AddRow(false, 0, 0, std::vector<uint32_t>{0}, std::vector<float>{0.5f});  // 1024.5
  std::optional<rpc::MirrorBatch> batch = outbox.Seal(1 << 20);
  ASSERT_TRUE(batch.has_value());
  ASSERT_EQ(batch->updates_size(), 1);
  EXPECT_FALSE(batch->updates(0).half_values());
  EXPECT_EQ(DenseRows(*batch, 1).at(0).second, std::vector<float>{1024.5f});
}

TEST(OutboxHalf, OffMeansFloat32Only) {
  Outbox outbox({2});
  outbox.AddRow(false, 0, 0, std::vector<uint32_t>{0, 1}, std::vector<float>{1.0f, 2.0f});
  std::optional<rpc::MirrorBatch> batch = outbox.Seal(1 << 20);
  ASSERT_TRUE(batch.has_value());
  ASSERT_EQ(batch->updates_size(), 1);
  EXPECT_FALSE(batch->updates(0).half_values());
  EXPECT_EQ(batch->updates(0).dense_values().size(), 8u);
}

}  // namespace
}  // namespace gaia::mirror
