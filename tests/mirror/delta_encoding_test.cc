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

constexpr uint32_t kWidth = 12;  // a bitmap of 2 bytes, 4 bits unused

DeltaEncoding Encoding(bool half, bool varint, bool bitmap) {
  DeltaEncoding e;
  e.half = half;
  e.varint_ids = varint;
  e.bitmap_sparse = bitmap;
  return e;
}

// Writes rows with a DeltaWriter in the given encoding and expands them back.
rpc::TableDelta WriteAndExpand(const DeltaEncoding& encoding, size_t* wire_bytes) {
  rpc::TableDelta delta;
  DeltaWriter writer(&delta, 3, kWidth, encoding);
  std::vector<float> dense(kWidth);
  for (uint32_t c = 0; c < kWidth; ++c) dense[c] = c % 3 == 0 ? 0.0f : 0.25f * c;
  dense[1] = 0.0999755859375f;
  writer.AddDenseRow(9, dense);
  writer.AddDenseRow(1ull << 40, std::vector<float>(kWidth, -0.5f));
  writer.AddSparseRow(4, std::vector<uint32_t>{1, 11}, std::vector<float>{0.75f, -1024.0f});
  writer.AddSparseRow(~uint64_t{0}, std::vector<uint32_t>{0}, std::vector<float>{8.0f});
  writer.AddSparseRow(2, std::vector<uint32_t>{2, 3, 4, 5, 6, 7, 8, 9},
                      std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8});
  EXPECT_EQ(delta.half_values(), encoding.half);
  EXPECT_EQ(delta.varint_row_ids(), encoding.varint_ids);
  EXPECT_EQ(delta.bitmap_sparse(), encoding.bitmap_sparse);
  *wire_bytes = delta.ByteSizeLong();
  EXPECT_TRUE(ExpandDelta(&delta, kWidth).ok());
  EXPECT_FALSE(delta.half_values());
  EXPECT_FALSE(delta.varint_row_ids());
  EXPECT_FALSE(delta.bitmap_sparse());
  EXPECT_EQ(PlainDeltaElements(delta), 2 * kWidth + 11);
  return delta;
}

TEST(DeltaEncoding, EveryEncodingExpandsToThePlainDelta) {
  size_t plain_bytes = 0;
  const rpc::TableDelta plain = WriteAndExpand(DeltaEncoding(), &plain_bytes);
  EXPECT_EQ(plain.table_id(), 3u);
  EXPECT_EQ(common::Unpack<uint64_t>(plain.dense_row_ids()), (std::vector<uint64_t>{9, 1ull << 40}));
  EXPECT_EQ(common::Unpack<uint64_t>(plain.sparse_row_ids()),
            (std::vector<uint64_t>{4, ~uint64_t{0}, 2}));
  EXPECT_EQ(common::Unpack<uint32_t>(plain.sparse_row_nnz()), (std::vector<uint32_t>{2, 1, 8}));
  const std::vector<float> dense = common::Unpack<float>(plain.dense_values());
  ASSERT_EQ(dense.size(), 2 * kWidth);
  EXPECT_EQ(dense[1], 0.0999755859375f);
  EXPECT_EQ(dense[kWidth + 5], -0.5f);
  const std::string& entries = plain.sparse_entries();
  ASSERT_EQ(entries.size(), 11u * 8);
  EXPECT_EQ(common::PackedAt<uint32_t>(entries, 0), 1u);
  EXPECT_EQ(common::PackedAt<float>(entries, 1), 0.75f);
  EXPECT_EQ(common::PackedAt<uint32_t>(entries, 2), 11u);
  EXPECT_EQ(common::PackedAt<float>(entries, 3), -1024.0f);
  for (int bits = 1; bits < 8; ++bits) {
    const DeltaEncoding encoding = Encoding(bits & 1, bits & 2, bits & 4);
    size_t bytes = 0;
    const rpc::TableDelta expanded = WriteAndExpand(encoding, &bytes);
    EXPECT_EQ(expanded.SerializeAsString(), plain.SerializeAsString()) << "encoding " << bits;
    EXPECT_LT(bytes, plain_bytes) << "encoding " << bits;
  }
}

TEST(DeltaEncoding, HalfPairsCarryColumnsUpTo65535) {
  rpc::TableDelta delta;
  DeltaWriter writer(&delta, 0, kMaxHalfWidth, Encoding(true, true, false));
  writer.AddSparseRow(5, std::vector<uint32_t>{0, 65535}, std::vector<float>{1.0f, 2.0f});
  ASSERT_TRUE(ExpandDelta(&delta, kMaxHalfWidth).ok());
  const std::string& entries = delta.sparse_entries();
  ASSERT_EQ(entries.size(), 16u);
  EXPECT_EQ(common::PackedAt<uint32_t>(entries, 2), 65535u);
  EXPECT_EQ(common::PackedAt<float>(entries, 3), 2.0f);
}

TEST(DeltaEncoding, MalformedCompactDeltasRejected) {
  auto rejected = [](rpc::TableDelta delta, const char* mentions) {
    const absl::Status status = ExpandDelta(&delta, kWidth);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << mentions;
    EXPECT_NE(status.message().find(mentions), std::string::npos) << status;
  };
  rpc::TableDelta dense;
  dense.set_half_values(true);
  dense.set_dense_values(std::string(3, '\0'));
  rejected(dense, "dense_values");
  rpc::TableDelta sparse;
  sparse.set_half_values(true);
  sparse.set_sparse_entries(std::string(6, '\0'));
  rejected(sparse, "sparse_entries");
  // A varint whose last byte still says "more", one of 11 bytes, and a count
  // over 32 bits.
  rpc::TableDelta truncated;
  truncated.set_varint_row_ids(true);
  truncated.set_dense_row_ids(std::string("\x05\x85", 2));
  rejected(truncated, "dense_row_ids");
  rpc::TableDelta overlong;
  overlong.set_varint_row_ids(true);
  overlong.set_sparse_row_ids(std::string(10, '\xff') + std::string(1, '\x01'));
  rejected(overlong, "sparse_row_ids");
  rpc::TableDelta big_count;
  big_count.set_varint_row_ids(true);
  big_count.set_sparse_row_nnz(std::string("\xff\xff\xff\xff\x1f", 5));  // 2^36 - 1
  rejected(big_count, "sparse_row_nnz");

  // Bitmap rows: a good one, then each way of breaking it.
  rpc::TableDelta good;
  DeltaWriter writer(&good, 0, kWidth, Encoding(true, false, true));
  writer.AddSparseRow(1, std::vector<uint32_t>{0, 9}, std::vector<float>{1.0f, 2.0f});
  ASSERT_EQ(good.sparse_entries().size(), 2u + 2 * 2);
  rpc::TableDelta short_values = good;
  short_values.mutable_sparse_entries()->pop_back();
  rejected(short_values, "run past the end");
  rpc::TableDelta short_bitmap = good;
  short_bitmap.mutable_sparse_entries()->resize(1);
  rejected(short_bitmap, "bitmap runs past the end");
  rpc::TableDelta trailing = good;
  trailing.mutable_sparse_entries()->append("xy");
  rejected(trailing, "after the last row");
  rpc::TableDelta with_counts = good;
  common::AppendPacked<uint32_t>(with_counts.mutable_sparse_row_nnz(), 2);
  rejected(with_counts, "must be empty");
  // A bit past the width decodes to a column the store then refuses.
  rpc::TableDelta wide = good;
  (*wide.mutable_sparse_entries())[1] |= static_cast<char>(0x80);  // column 15
  wide.mutable_sparse_entries()->append(std::string(2, '\0'));
  ASSERT_TRUE(ExpandDelta(&wide, kWidth).ok());
  EXPECT_EQ(common::PackedAt<uint32_t>(wide.sparse_entries(), 4), 15u);
}

TEST(DeltaEncoding, PlainDeltaLeftAlone) {
  rpc::TableDelta delta;
  common::AppendPacked<float>(delta.mutable_dense_values(), 0.1f);
  common::AppendPacked<uint64_t>(delta.mutable_dense_row_ids(), 7);
  const std::string before = delta.SerializeAsString();
  ASSERT_TRUE(ExpandDelta(&delta, 1).ok());
  EXPECT_EQ(delta.SerializeAsString(), before);
}

// Decodes every delta of a batch to (row -> width floats); compact deltas
// are expanded first.
std::vector<std::pair<uint64_t, std::vector<float>>> DenseRows(rpc::MirrorBatch batch,
                                                               uint32_t width) {
  std::vector<std::pair<uint64_t, std::vector<float>>> rows;
  for (rpc::TableDelta& delta : *batch.mutable_updates()) {
    EXPECT_TRUE(ExpandDelta(&delta, width).ok());
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
  Outbox outbox({4}, {.half_values = true});
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
  Outbox outbox({1}, {.half_values = true});
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
