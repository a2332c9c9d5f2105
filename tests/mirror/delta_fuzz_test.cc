// Fuzzes the mirror's decoder of compact deltas (ExpandDelta): valid deltas
// of every compact form (binary16, varint ids, column bitmaps, ternary rows,
// row bitmaps) with random bytes changed, cut off or added, and random flags.
// Every input is either expanded or rejected with INVALID_ARGUMENT, never
// read out of bounds (ASan in CI), and an expanded bitmap-sparse delta is
// self-consistent: one count per sparse row, 8 bytes per entry.
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "src/common/packing.h"
#include "src/mirror/delta_encoding.h"

namespace gaia::mirror {
namespace {

constexpr uint32_t kWidth = 12;

rpc::TableDelta ValidDelta(std::mt19937& rng) {
  DeltaEncoding encoding;
  encoding.varint_ids = rng() % 2;
  encoding.bitmap_sparse = rng() % 2;
  encoding.ternary = encoding.bitmap_sparse && rng() % 2;
  encoding.half = !encoding.ternary && rng() % 2;
  rpc::TableDelta delta;
  DeltaWriter writer(&delta, 0, kWidth, encoding);
  uint64_t row = rng() % 50;
  const int rows = static_cast<int>(rng() % 20);
  const float scale = 0.375f;
  for (int r = 0; r < rows; ++r) {
    row += 1 + rng() % 3;  // ascending: row bitmaps apply
    if (!encoding.ternary && rng() % 4 == 0) {
      std::vector<float> values(kWidth);
      for (float& v : values) v = static_cast<float>(rng() % 64) / 8;
      writer.AddDenseRow(row, values);
      continue;
    }
    std::vector<uint32_t> cols;
    std::vector<float> values;
    for (uint32_t c = 0; c < kWidth; ++c) {
      if (rng() % 3 != 0) continue;
      cols.push_back(c);
      values.push_back(encoding.ternary ? (rng() % 2 ? scale : -scale)
                                        : static_cast<float>(rng() % 64) / 8 + 0.125f);
    }
    if (cols.empty()) continue;
    writer.AddSparseRow(row, cols, values);
  }
  writer.Finish();
  return delta;
}

void Mutate(std::mt19937& rng, std::string* bytes) {
  switch (rng() % 4) {
    case 0:  // change a byte
      if (!bytes->empty()) (*bytes)[rng() % bytes->size()] = static_cast<char>(rng());
      break;
    case 1:  // cut off
      if (!bytes->empty()) bytes->resize(rng() % bytes->size());
      break;
    case 2:  // add bytes
      for (uint32_t n = rng() % 9; n > 0; --n) bytes->push_back(static_cast<char>(rng()));
      break;
    default:  // leave it
      break;
  }
}

TEST(DeltaFuzz, EveryInputIsExpandedOrRejectedCleanly) {
  std::mt19937 rng(2026);
  const auto stop = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  int expanded = 0, rejected = 0;
  for (int i = 0; i < 200000 && std::chrono::steady_clock::now() < stop; ++i) {
    rpc::TableDelta delta = ValidDelta(rng);
    for (int m = static_cast<int>(rng() % 3); m > 0; --m) {
      switch (rng() % 7) {
        case 0: Mutate(rng, delta.mutable_sparse_entries()); break;
        case 1: Mutate(rng, delta.mutable_sparse_row_ids()); break;
        case 2: Mutate(rng, delta.mutable_dense_row_ids()); break;
        case 3: Mutate(rng, delta.mutable_dense_values()); break;
        case 4: Mutate(rng, delta.mutable_sparse_row_nnz()); break;
        case 5: delta.set_sparse_row_base(rng() % 2 ? rng() : ~uint64_t{0} - rng() % 64); break;
        default: {
          switch (rng() % 5) {
            case 0: delta.set_half_values(!delta.half_values()); break;
            case 1: delta.set_varint_row_ids(!delta.varint_row_ids()); break;
            case 2: delta.set_bitmap_sparse(!delta.bitmap_sparse()); break;
            case 3: delta.set_ternary_rows(!delta.ternary_rows()); break;
            default: delta.set_sparse_row_bitmap(!delta.sparse_row_bitmap()); break;
          }
        }
      }
    }
    const bool bitmap_sparse = delta.bitmap_sparse();
    const absl::Status status = ExpandDelta(&delta, kWidth);
    if (!status.ok()) {
      ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
      ++rejected;
      continue;
    }
    ++expanded;
    EXPECT_FALSE(HasCompactDeltas([&] {
      rpc::MirrorBatch batch;
      *batch.add_updates() = delta;
      return batch;
    }()));
    if (!bitmap_sparse) continue;
    const std::vector<uint32_t> nnz = common::Unpack<uint32_t>(delta.sparse_row_nnz());
    ASSERT_EQ(nnz.size() * sizeof(uint64_t), delta.sparse_row_ids().size());
    uint64_t entries = 0;
    for (uint32_t n : nnz) entries += n;
    ASSERT_EQ(entries * (sizeof(uint32_t) + sizeof(float)), delta.sparse_entries().size());
  }
  EXPECT_GT(expanded, 100);
  EXPECT_GT(rejected, 100);
}

}  // namespace
}  // namespace gaia::mirror
