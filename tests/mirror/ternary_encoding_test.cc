// Ternary rows on mirror links (TableDelta.ternary_rows,
// src/mirror/delta_encoding.h) and what the outbox does with them: a row of
// +-scale values goes out as a bitmap, one scale byte and sign bits and
// expands to exactly those values; anything else about it is rejected; the
// outbox uses the form only when it is lossless, and writes a batch's rows in
// row order. Also the row-id lists that deltas and barriers share: varint
// deltas and row bitmaps.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "src/common/packing.h"
#include "src/mirror/delta_encoding.h"
#include "src/mirror/outbox.h"

namespace gaia::mirror {
namespace {

constexpr uint32_t kWidth = 12;  // a 2-byte bitmap

DeltaEncoding Ternary() {
  DeltaEncoding e;
  e.varint_ids = true;
  e.bitmap_sparse = true;
  e.ternary = true;
  return e;
}

// (row, column, value) of every entry of an expanded sparse part.
std::vector<std::tuple<uint64_t, uint32_t, float>> Entries(const rpc::TableDelta& plain) {
  std::vector<std::tuple<uint64_t, uint32_t, float>> out;
  const std::vector<uint64_t> ids = common::Unpack<uint64_t>(plain.sparse_row_ids());
  const std::vector<uint32_t> nnz = common::Unpack<uint32_t>(plain.sparse_row_nnz());
  size_t e = 0;
  for (size_t r = 0; r < ids.size(); ++r) {
    for (uint32_t k = 0; k < nnz.at(r); ++k, ++e) {
      out.emplace_back(ids[r], common::PackedAt<uint32_t>(plain.sparse_entries(), 2 * e),
                       common::PackedAt<float>(plain.sparse_entries(), 2 * e + 1));
    }
  }
  return out;
}

TEST(TernaryRows, IsTernaryRow) {
  EXPECT_TRUE(IsTernaryRow(std::vector<float>{0.375f, -0.375f, 0.375f}));
  EXPECT_TRUE(IsTernaryRow(std::vector<float>{-2.0f}));
  EXPECT_FALSE(IsTernaryRow(std::vector<float>{}));
  EXPECT_FALSE(IsTernaryRow(std::vector<float>{0.375f, 0.5f}));   // two magnitudes
  EXPECT_FALSE(IsTernaryRow(std::vector<float>{0.1f, -0.1f}));    // 0.1 is not a scale
  EXPECT_FALSE(IsTernaryRow(std::vector<float>{1.125f}));         // a half, not a scale
  EXPECT_FALSE(IsTernaryRow(std::vector<float>{0.0f, 0.0f}));
}

TEST(TernaryRows, RoundTripExactlyInBitmapScaleAndSignBytes) {
  rpc::TableDelta delta;
  DeltaWriter writer(&delta, 2, kWidth, Ternary());
  // Nine columns: 2 sign bytes.
  const std::vector<uint32_t> cols = {0, 1, 2, 3, 4, 5, 6, 7, 11};
  std::vector<float> vals;
  for (uint32_t c : cols) vals.push_back(c % 3 == 0 ? -0.375f : 0.375f);
  writer.AddSparseRow(7, cols, vals);
  writer.AddSparseRow(9, std::vector<uint32_t>{10}, std::vector<float>{-57344.0f});
  EXPECT_TRUE(delta.ternary_rows());
  // Row 7: bitmap 2 + scale 1 + signs 2; row 9: 2 + 1 + 1.
  EXPECT_EQ(delta.sparse_entries().size(), 5u + 4u);
  EXPECT_EQ(SparseRowBytes(kWidth, Ternary(), cols.size()), 5u);
  EXPECT_EQ(delta.sparse_row_ids().size(), 2u);  // varint deltas 7, 2
  ASSERT_TRUE(ExpandDelta(&delta, kWidth).ok());
  EXPECT_FALSE(delta.ternary_rows());
  EXPECT_FALSE(delta.bitmap_sparse());
  EXPECT_FALSE(HasCompactDeltas([&] {
    rpc::MirrorBatch b;
    *b.add_updates() = delta;
    return b;
  }()));
  std::vector<std::tuple<uint64_t, uint32_t, float>> want;
  for (size_t k = 0; k < cols.size(); ++k) want.emplace_back(7, cols[k], vals[k]);
  want.emplace_back(9, 10, -57344.0f);
  EXPECT_EQ(Entries(delta), want);
}

TEST(TernaryRows, MalformedOnesRejected) {
  auto rejected = [](rpc::TableDelta delta, const char* mentions) {
    const absl::Status status = ExpandDelta(&delta, kWidth);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << mentions;
    EXPECT_NE(status.message().find(mentions), std::string::npos) << status;
  };
  rpc::TableDelta good;
  DeltaWriter writer(&good, 0, kWidth, Ternary());
  writer.AddSparseRow(1, std::vector<uint32_t>{0, 9}, std::vector<float>{1.0f, -1.0f});
  ASSERT_EQ(good.sparse_entries().size(), 2u + 1 + 1);
  {
    rpc::TableDelta copy = good;
    ASSERT_TRUE(ExpandDelta(&copy, kWidth).ok());
  }
  rpc::TableDelta no_bitmap = good;
  no_bitmap.set_bitmap_sparse(false);
  rejected(no_bitmap, "needs bitmap_sparse");
  rpc::TableDelta with_half = good;
  with_half.set_half_values(true);
  rejected(with_half, "no half_values");
  rpc::TableDelta with_dense = good;
  common::AppendPacked<uint64_t>(with_dense.mutable_dense_row_ids(), 3);
  rejected(with_dense, "no dense rows");
  for (char scale : {'\x00', '\x03', '\x7c', '\xbc', '\xff'}) {
    rpc::TableDelta bad_scale = good;
    (*bad_scale.mutable_sparse_entries())[2] = scale;
    rejected(bad_scale, "is not a ternary scale");
  }
  rpc::TableDelta no_signs = good;
  no_signs.mutable_sparse_entries()->pop_back();
  rejected(no_signs, "scale and signs run past the end");
  rpc::TableDelta trailing = good;
  trailing.mutable_sparse_entries()->push_back('\0');
  rejected(trailing, "after the last row");
}

TEST(TernaryRows, VarintRowIdsRoundTripAndRejectBadVarints) {
  const std::vector<uint64_t> rows = {0, 5, 3, 1ull << 40, ~uint64_t{0}, 0, 127, 128};
  std::string ids;
  uint64_t last = 0;
  for (uint64_t r : rows) AppendVarintRowId(&ids, r, &last);
  ASSERT_TRUE(ExpandVarintRowIds(&ids).ok());
  EXPECT_EQ(common::Unpack<uint64_t>(ids), rows);
  // Ascending neighbours take one byte each.
  std::string dense;
  last = 0;
  for (uint64_t r = 1000; r < 1100; ++r) AppendVarintRowId(&dense, r, &last);
  EXPECT_EQ(dense.size(), 2u + 99u);
  std::string unterminated("\x02\x85", 2);
  EXPECT_EQ(ExpandVarintRowIds(&unterminated).code(), absl::StatusCode::kInvalidArgument);
  std::string overlong = std::string(10, '\xff') + "\x01";
  EXPECT_EQ(ExpandVarintRowIds(&overlong).code(), absl::StatusCode::kInvalidArgument);
}

TEST(RowBitmap, AscendingRowsTakeTheSmallerForm) {
  // Dense: 100 rows out of 120 -> a 15-byte bitmap from row 1000.
  std::vector<uint64_t> dense;
  for (uint64_t r = 1000; r < 1120; ++r) {
    if (r % 6 != 0) dense.push_back(r);
  }
  RowIdList list = EncodeAscendingRows(dense);
  ASSERT_TRUE(list.bitmap);
  EXPECT_EQ(list.base, dense.front());
  EXPECT_LE(list.bytes.size(), 15u);
  ASSERT_TRUE(ExpandRowBitmap(list.base, dense.size(), &list.bytes).ok());
  EXPECT_EQ(common::Unpack<uint64_t>(list.bytes), dense);
  // Sparse: three rows far apart stay varints.
  const std::vector<uint64_t> sparse = {5, 1ull << 30, 1ull << 50};
  list = EncodeAscendingRows(sparse);
  EXPECT_FALSE(list.bitmap);
  ASSERT_TRUE(ExpandVarintRowIds(&list.bytes).ok());
  EXPECT_EQ(common::Unpack<uint64_t>(list.bytes), sparse);
  EXPECT_TRUE(EncodeAscendingRows({}).bytes.empty());
  // The top of the id space.
  std::vector<uint64_t> top;
  for (uint64_t i = 0; i < 64; ++i) top.push_back(~uint64_t{0} - 63 + i);
  list = EncodeAscendingRows(top);
  ASSERT_TRUE(list.bitmap);
  ASSERT_TRUE(ExpandRowBitmap(list.base, 64, &list.bytes).ok());
  EXPECT_EQ(common::Unpack<uint64_t>(list.bytes), top);
}

TEST(RowBitmap, BadBitmapsRejectedBeforeExpanding) {
  std::string past_the_end(2, '\xff');
  EXPECT_EQ(ExpandRowBitmap(~uint64_t{0} - 10, 100, &past_the_end).code(),
            absl::StatusCode::kInvalidArgument);
  std::string too_many(1000, '\xff');  // 8000 rows
  const absl::Status status = ExpandRowBitmap(0, 7999, &too_many);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("8000 rows"), std::string::npos) << status;
  EXPECT_EQ(too_many.size(), 1000u);  // untouched
}

// A ternary delta whose rows came in ascending order sends their ids as a
// bitmap; out of order they stay varints. Either way it expands exactly.
TEST(RowBitmap, DeltaWriterUsesItForAscendingSparseRows) {
  for (bool ascending : {true, false}) {
    rpc::TableDelta delta;
    DeltaWriter writer(&delta, 0, kWidth, Ternary());
    std::vector<uint64_t> rows;
    for (uint64_t r = 0; r < 64; ++r) rows.push_back(200 + 2 * r);
    if (!ascending) std::swap(rows[3], rows[40]);
    for (uint64_t r : rows) {
      writer.AddSparseRow(r, std::vector<uint32_t>{static_cast<uint32_t>(r % kWidth)},
                          std::vector<float>{0.5f});
    }
    writer.Finish();
    EXPECT_EQ(delta.sparse_row_bitmap(), ascending);
    if (ascending) {
      EXPECT_EQ(delta.sparse_row_base(), 200u);
      EXPECT_EQ(delta.sparse_row_ids().size(), 16u);  // 127 bits
    }
    ASSERT_TRUE(ExpandDelta(&delta, kWidth).ok());
    EXPECT_FALSE(delta.sparse_row_bitmap());
    std::vector<uint64_t> got;
    for (const auto& [row, col, value] : Entries(delta)) {
      got.push_back(row);
      EXPECT_EQ(col, row % kWidth);
      EXPECT_EQ(value, 0.5f);
    }
    EXPECT_EQ(got, rows);
  }
}

TEST(RowBitmap, MalformedDeltaRowBitmapsRejected) {
  rpc::TableDelta good;
  DeltaWriter writer(&good, 0, kWidth, Ternary());
  for (uint64_t r = 10; r < 40; ++r) {
    writer.AddSparseRow(r, std::vector<uint32_t>{1}, std::vector<float>{-2.0f});
  }
  writer.Finish();
  ASSERT_TRUE(good.sparse_row_bitmap());
  auto rejected = [](rpc::TableDelta delta, const char* mentions) {
    const absl::Status status = ExpandDelta(&delta, kWidth);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << mentions;
    EXPECT_NE(status.message().find(mentions), std::string::npos) << status;
  };
  rpc::TableDelta extra_row = good;  // one more row than entries for it
  (*extra_row.mutable_sparse_row_ids()).back() |= '\x80';
  rejected(extra_row, "past the end");
  rpc::TableDelta huge = good;  // more rows than entry bytes
  huge.set_sparse_row_ids(std::string(4096, '\xff'));
  rejected(huge, "more than the");
  rpc::TableDelta no_bitmap_rows = good;
  no_bitmap_rows.set_bitmap_sparse(false);
  no_bitmap_rows.set_ternary_rows(false);
  rejected(no_bitmap_rows, "needs bitmap_sparse");
  rpc::TableDelta stray_base = good;
  stray_base.set_sparse_row_bitmap(false);
  rejected(stray_base, "sparse_row_base");
}

std::vector<std::pair<uint64_t, std::vector<float>>> ExpandedRows(rpc::MirrorBatch batch,
                                                                  uint32_t width) {
  std::vector<std::pair<uint64_t, std::vector<float>>> rows;
  for (rpc::TableDelta& delta : *batch.mutable_updates()) {
    EXPECT_TRUE(ExpandDelta(&delta, width).ok());
    EXPECT_TRUE(delta.dense_row_ids().empty()) << "these tests queue sparse rows";
    for (const auto& [row, col, value] : Entries(delta)) {
      if (rows.empty() || rows.back().first != row) {
        rows.emplace_back(row, std::vector<float>(width, 0.0f));
      }
      rows.back().second[col] = value;
    }
  }
  return rows;
}

TEST(OutboxTernary, PlusMinusScaleRowsGoTernaryOthersAsBefore) {
  Outbox outbox({4}, {.half_values = true, .compact = true});
  outbox.AddRow(false, 0, 1, std::vector<uint32_t>{0, 2}, std::vector<float>{0.375f, -0.375f});
  outbox.AddRow(false, 0, 2, std::vector<uint32_t>{1}, std::vector<float>{0.5f});  // a scale too
  outbox.AddRow(false, 0, 3, std::vector<uint32_t>{0, 1}, std::vector<float>{0.5f, 0.25f});
  std::optional<rpc::MirrorBatch> batch = outbox.Seal(1 << 20);
  ASSERT_TRUE(batch.has_value());
  ASSERT_EQ(batch->updates_size(), 2);
  for (const rpc::TableDelta& delta : batch->updates()) {
    const std::vector<uint64_t> ids = [&] {
      rpc::TableDelta copy = delta;
      EXPECT_TRUE(ExpandDelta(&copy, 4).ok());
      return common::Unpack<uint64_t>(copy.sparse_row_ids());
    }();
    if (delta.ternary_rows()) {
      EXPECT_EQ(ids, (std::vector<uint64_t>{1, 2}));
    } else {
      EXPECT_TRUE(delta.half_values());
      EXPECT_EQ(ids, std::vector<uint64_t>{3});
    }
  }
  const auto rows = ExpandedRows(*batch, 4);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::pair<uint64_t, std::vector<float>>{1, {0.375f, 0, -0.375f, 0}}));
  EXPECT_EQ(rows[1], (std::pair<uint64_t, std::vector<float>>{2, {0, 0.5f, 0, 0}}));
  EXPECT_EQ(rows[2], (std::pair<uint64_t, std::vector<float>>{3, {0.5f, 0.25f, 0, 0}}));
}

// Two ternary rows of different scales queued for the same row sum to values
// of two magnitudes: the row goes as halves, unrounded.
TEST(OutboxTernary, CoalescedRowsOfTwoScalesGoExactly) {
  Outbox outbox({4}, {.half_values = true, .compact = true});
  outbox.AddRow(false, 0, 0, std::vector<uint32_t>{0, 1}, std::vector<float>{1.0f, -1.0f});
  outbox.AddRow(false, 0, 0, std::vector<uint32_t>{0}, std::vector<float>{0.25f});
  std::optional<rpc::MirrorBatch> batch = outbox.Seal(1 << 20);
  ASSERT_TRUE(batch.has_value());
  for (const rpc::TableDelta& delta : batch->updates()) EXPECT_FALSE(delta.ternary_rows());
  const auto rows = ExpandedRows(*batch, 4);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].second, (std::vector<float>{1.25f, -1.0f, 0.0f, 0.0f}));
}

TEST(OutboxTernary, NotCompactMeansNoTernary) {
  Outbox outbox({2}, {.half_values = true, .compact = false});
  outbox.AddRow(false, 0, 0, std::vector<uint32_t>{0}, std::vector<float>{1.0f});
  std::optional<rpc::MirrorBatch> batch = outbox.Seal(1 << 20);
  ASSERT_TRUE(batch.has_value());
  for (const rpc::TableDelta& delta : batch->updates()) EXPECT_FALSE(delta.ternary_rows());
}

// Rows leave in the order they were queued, batch by batch; inside a batch
// they are written in row order, so their varint id deltas are small.
TEST(OutboxTernary, RowsOfABatchAreWrittenInRowOrder) {
  Outbox outbox({4}, {.half_values = true, .compact = true});
  const std::vector<uint64_t> queued = {500, 3, 77, 1000, 4, 76};
  for (uint64_t row : queued) {
    outbox.AddRow(false, 0, row, std::vector<uint32_t>{0}, std::vector<float>{2.0f});
  }
  // The first batch takes the first three queued rows only: each counts as
  // an 8-byte id and 3 bytes of bitmap, scale and signs.
  std::optional<rpc::MirrorBatch> first = outbox.Seal(3 * (sizeof(uint64_t) + 3));
  ASSERT_TRUE(first.has_value());
  std::vector<uint64_t> ids;
  for (const auto& [row, values] : ExpandedRows(*first, 4)) ids.push_back(row);
  EXPECT_EQ(ids, (std::vector<uint64_t>{3, 77, 500}));
  std::optional<rpc::MirrorBatch> second = outbox.Seal(1 << 20);
  ASSERT_TRUE(second.has_value());
  ids.clear();
  for (const auto& [row, values] : ExpandedRows(*second, 4)) ids.push_back(row);
  EXPECT_EQ(ids, (std::vector<uint64_t>{4, 76, 1000}));
}

// Ternary rows are tiny on the wire; a batch still carries no more than
// about max_bytes of values once the receiver expands them to float32.
TEST(OutboxTernary, ABatchCarriesAboutMaxBytesOfValues) {
  Outbox outbox({16}, {.half_values = true, .compact = true});
  std::vector<uint32_t> cols(16);
  for (uint32_t c = 0; c < 16; ++c) cols[c] = c;
  const std::vector<float> signs(16, 0.25f);
  for (uint64_t row = 0; row < 1000; ++row) outbox.AddRow(false, 0, row, cols, signs);
  constexpr size_t kMaxBytes = 16 << 10;  // 4096 floats
  size_t batches = 0, rows = 0;
  while (std::optional<rpc::MirrorBatch> batch = outbox.Seal(kMaxBytes)) {
    ++batches;
    for (const auto& [row, values] : ExpandedRows(*batch, 16)) {
      ++rows;
      EXPECT_EQ(values, signs);
    }
    EXPECT_LE(batch->ByteSizeLong(), kMaxBytes / 4) << "ternary rows are small on the wire";
  }
  EXPECT_EQ(rows, 1000u);
  // 16 values per row: 256 rows fill a batch's 4096 floats.
  EXPECT_EQ(batches, 4u);
}

// The queue's wire estimate follows what packing actually produced.
TEST(OutboxTernary, QueuedWireBytesFollowThePackedRatio) {
  Outbox outbox({16}, {.half_values = true, .compact = true});
  std::vector<uint32_t> cols(16);
  for (uint32_t c = 0; c < 16; ++c) cols[c] = c;
  const std::vector<float> signs(16, -0.5f);
  for (uint64_t row = 0; row < 100; ++row) outbox.AddRow(false, 0, row, cols, signs);
  EXPECT_EQ(outbox.queued_wire_bytes(), outbox.queued_bytes());  // nothing packed yet
  while (outbox.Seal(1 << 20)) {
  }
  for (uint64_t row = 0; row < 100; ++row) outbox.AddRow(false, 0, row, cols, signs);
  // 16 elements queue as 8 bytes each plus 12 per row (140 per row); on the
  // wire a row is a 1-byte id, 2 bitmap bytes, the scale and 2 sign bytes.
  EXPECT_LT(outbox.queued_wire_bytes() * 10, outbox.queued_bytes());
  EXPECT_GT(outbox.queued_wire_bytes(), 100u * 5);
}

}  // namespace
}  // namespace gaia::mirror
