#include "src/worker/update_buffer.h"

#include <cstring>
#include <span>
#include <map>
#include <vector>

#include <grpcpp/impl/codegen/proto_utils.h>
#include <gtest/gtest.h>

#include "proto/gaia.pb.h"
#include "src/common/packing.h"

namespace gaia::internal {
namespace {

// The PushBatch of each serialized WorkerMessage, parsed by protobuf.
std::vector<rpc::PushBatch> Parse(std::vector<grpc::ByteBuffer> messages) {
  std::vector<rpc::PushBatch> batches;
  for (grpc::ByteBuffer& buffer : messages) {
    rpc::WorkerMessage message;
    EXPECT_TRUE(
        (grpc::SerializationTraits<rpc::WorkerMessage>::Deserialize(&buffer, &message).ok()));
    EXPECT_EQ(message.kind_case(), rpc::WorkerMessage::kPush);
    batches.push_back(message.push());
  }
  return batches;
}

// (table, row) -> summed row, decoded from a set of batches.
std::map<std::pair<uint32_t, uint64_t>, std::vector<float>> Decode(
    const std::vector<rpc::PushBatch>& batches, const std::vector<uint32_t>& widths) {
  std::map<std::pair<uint32_t, uint64_t>, std::vector<float>> rows;
  for (const rpc::PushBatch& batch : batches) {
    for (const rpc::TableDelta& delta : batch.tables()) {
      const uint32_t w = widths[delta.table_id()];
      // Only wide tables send rows sparse.
      EXPECT_TRUE(delta.sparse_row_ids().empty() || w >= common::kSparseRowsMinWidth);
      const std::vector<uint64_t> sparse_ids = common::Unpack<uint64_t>(delta.sparse_row_ids());
      const std::vector<uint32_t> nnz = common::Unpack<uint32_t>(delta.sparse_row_nnz());
      EXPECT_EQ(nnz.size(), sparse_ids.size());
      size_t e = 0;
      for (size_t i = 0; i < sparse_ids.size() && i < nnz.size(); ++i) {
        auto& row = rows[{delta.table_id(), sparse_ids[i]}];
        EXPECT_TRUE(row.empty()) << "row sent twice";
        row.assign(w, 0.0f);
        for (uint32_t k = 0; k < nnz[i]; ++k, ++e) {
          EXPECT_LE((e + 1) * sizeof(common::SparseEntry), delta.sparse_entries().size());
          if ((e + 1) * sizeof(common::SparseEntry) > delta.sparse_entries().size()) break;
          const common::SparseEntry entry = common::SparseEntryAt(delta.sparse_entries().data(), e);
          EXPECT_LT(entry.col, w);
          EXPECT_NE(entry.value, 0.0f) << "a zero sent sparse";
          if (entry.col < w) row[entry.col] += entry.value;
        }
      }
      EXPECT_EQ(e * sizeof(common::SparseEntry), delta.sparse_entries().size());
      const std::vector<uint64_t> ids = common::Unpack<uint64_t>(delta.dense_row_ids());
      const std::vector<float> values = common::Unpack<float>(delta.dense_values());
      EXPECT_EQ(values.size(), ids.size() * w);
      for (size_t i = 0; i < ids.size(); ++i) {
        auto& row = rows[{delta.table_id(), ids[i]}];
        EXPECT_TRUE(row.empty()) << "row sent twice";
        row.assign(values.begin() + i * w, values.begin() + (i + 1) * w);
      }
    }
  }
  return rows;
}

TEST(UpdateBuffer, CoalescesDenseAndSparsePerRow) {
  UpdateBuffer buffer({4, 2});
  const float a[] = {1, 2, 3, 4};
  const float b[] = {10, 20, 30, 40};
  buffer.Add(0, 7, a);
  buffer.Add(0, 7, b);
  const uint32_t cols[] = {3, 0, 3};
  const float vals[] = {0.5f, 100, 0.25f};
  buffer.AddSparse(0, 7, cols, vals);
  const float c[] = {-1, 1};
  buffer.Add(1, 7, c);  // same row id, other table: a separate row
  EXPECT_EQ(buffer.rows(), 2u);
  EXPECT_EQ(buffer.value_bytes(), (4 + 2) * sizeof(float));

  std::vector<rpc::PushBatch> batches = Parse(buffer.TakeBatches(/*clock=*/5, 1 << 20));
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].clock(), 5);
  auto rows = Decode(batches, {4, 2});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ((rows[{0, 7}]), (std::vector<float>{111, 22, 33, 44.75f}));
  EXPECT_EQ((rows[{1, 7}]), (std::vector<float>{-1, 1}));
  EXPECT_TRUE(buffer.empty());
  EXPECT_TRUE(Parse(buffer.TakeBatches(6, 1 << 20)).empty());
}

TEST(UpdateBuffer, SparseOnlyRowIsDenseOnTheWire) {
  UpdateBuffer buffer({3});
  const uint32_t cols[] = {1};
  const float vals[] = {2.5f};
  buffer.AddSparse(0, 42, cols, vals);
  auto rows = Decode(Parse(buffer.TakeBatches(0, 1 << 20)), {3});
  EXPECT_EQ((rows[{0, 42}]), (std::vector<float>{0, 2.5f, 0}));
}

// Rows of a wide table with a few nonzero columns (a topic model's count
// changes) go as (column, value) pairs; rows mostly full stay dense.
TEST(UpdateBuffer, WideRowsGoSparseWhereThatIsSmaller) {
  constexpr uint32_t kWidth = 128;
  UpdateBuffer buffer({kWidth, kWidth});
  std::map<std::pair<uint32_t, uint64_t>, std::vector<float>> want;
  for (uint64_t r = 0; r < 50; ++r) {
    const uint32_t cols[] = {static_cast<uint32_t>(r % kWidth), 100, 7};
    const float vals[] = {1, -2, 3};
    buffer.AddSparse(0, r, cols, vals);
    std::vector<float>& row = want[{0, r}];
    row.assign(kWidth, 0.0f);
    for (int k = 0; k < 3; ++k) row[cols[k]] += vals[k];
    std::vector<float> full(kWidth);
    for (uint32_t c = 0; c < kWidth; ++c) full[c] = static_cast<float>(r + c + 1);
    buffer.Add(1, r, full);
    want[{1, r}] = full;
  }
  const std::vector<rpc::PushBatch> batches = Parse(buffer.TakeBatches(2, 1 << 20));
  ASSERT_EQ(batches.size(), 1u);
  for (const rpc::TableDelta& delta : batches[0].tables()) {
    if (delta.table_id() == 0) {
      EXPECT_TRUE(delta.dense_row_ids().empty()) << "sparse rows sent dense";
      EXPECT_EQ(delta.sparse_row_ids().size(), 50 * sizeof(uint64_t));
    } else {
      EXPECT_TRUE(delta.sparse_row_ids().empty()) << "full rows sent sparse";
      EXPECT_EQ(delta.dense_row_ids().size(), 50 * sizeof(uint64_t));
    }
  }
  EXPECT_EQ(Decode(batches, {kWidth, kWidth}), want);
}

TEST(UpdateBuffer, SplitsAtMaxBatchBytesWithoutLosingRows) {
  const uint32_t width = 8;  // 32 bytes per row
  UpdateBuffer buffer({width, 2});
  std::vector<float> delta(width);
  for (uint64_t r = 0; r < 100; ++r) {
    for (uint32_t i = 0; i < width; ++i) delta[i] = static_cast<float>(r * 10 + i);
    buffer.Add(0, r, delta);
  }
  const float small[] = {1, 2};
  for (uint64_t r = 0; r < 10; ++r) buffer.Add(1, r, small);

  const int64_t limit = 10 * 32 + 16;  // ten wide rows and a bit
  std::vector<rpc::PushBatch> batches = Parse(buffer.TakeBatches(3, limit));
  ASSERT_GT(batches.size(), 1u);
  for (const rpc::PushBatch& batch : batches) {
    EXPECT_EQ(batch.clock(), 3);
    size_t bytes = 0;
    for (const rpc::TableDelta& d : batch.tables()) bytes += d.dense_values().size();
    EXPECT_LE(bytes, static_cast<size_t>(limit));
    EXPECT_GT(bytes, 0u);
  }
  auto rows = Decode(batches, {width, 2});
  ASSERT_EQ(rows.size(), 110u);
  for (uint64_t r = 0; r < 100; ++r) {
    EXPECT_EQ((rows[{0, r}][3]), static_cast<float>(r * 10 + 3));
  }
  EXPECT_EQ((rows[{1, 9}]), (std::vector<float>{1, 2}));
}

TEST(UpdateBuffer, RowWiderThanLimitTravelsAlone) {
  UpdateBuffer buffer({16});
  std::vector<float> delta(16, 1.0f);
  buffer.Add(0, 1, delta);
  buffer.Add(0, 2, delta);
  std::vector<rpc::PushBatch> batches = Parse(buffer.TakeBatches(0, /*max_batch_bytes=*/8));
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(Decode(batches, {16}).size(), 2u);
}

TEST(UpdateBuffer, SentValuesStayIntactWhileLaterClocksBuffer) {
  // The messages own the values they were cut from: buffering the next
  // clocks (which reuse released arenas) must not change unsent bytes.
  const uint32_t width = 64;
  UpdateBuffer buffer({width});
  std::vector<float> delta(width);
  std::vector<std::vector<grpc::ByteBuffer>> kept;
  for (int clock = 0; clock < 4; ++clock) {
    for (uint64_t r = 0; r < 100; ++r) {
      std::fill(delta.begin(), delta.end(), static_cast<float>(clock * 1000 + r));
      buffer.Add(0, r, delta);
    }
    kept.push_back(buffer.TakeBatches(clock, /*max_batch_bytes=*/4096));
    if (clock == 1) kept[0].clear();  // clock 0's arena returns to the pool
  }
  for (int clock = 1; clock < 4; ++clock) {
    std::vector<rpc::PushBatch> batches = Parse(std::move(kept[clock]));
    EXPECT_GT(batches.size(), 1u);
    auto rows = Decode(batches, {width});
    ASSERT_EQ(rows.size(), 100u);
    for (uint64_t r = 0; r < 100; ++r) {
      EXPECT_EQ((rows[{0, r}]), std::vector<float>(width, static_cast<float>(clock * 1000 + r)))
          << "clock " << clock << " row " << r;
    }
  }
}

}  // namespace
TEST(UpdateBuffer, DenseIndexCoalescesAndResetsBetweenClocks) {
  // Table 0 is small enough for the dense index, table 1 is not.
  UpdateBuffer buffer({1, 2}, {100, UpdateBuffer::kDenseIndexMaxRows + 1});
  const float one[] = {1};
  const float two[] = {1, 2};
  buffer.Add(0, 5, one);
  buffer.Add(0, 99, one);
  buffer.Add(0, 5, one);
  buffer.Add(1, UpdateBuffer::kDenseIndexMaxRows, two);
  buffer.Add(1, UpdateBuffer::kDenseIndexMaxRows, two);
  EXPECT_EQ(buffer.rows(), 3u);
  auto rows = Decode(Parse(buffer.TakeBatches(0, 1 << 20)), {1, 2});
  EXPECT_EQ(rows.size(), 3u);
  EXPECT_EQ((rows[{0, 5}]), (std::vector<float>{2}));
  EXPECT_EQ((rows[{0, 99}]), (std::vector<float>{1}));
  EXPECT_EQ((rows[{1, UpdateBuffer::kDenseIndexMaxRows}]), (std::vector<float>{2, 4}));

  // The next clock starts empty: earlier rows are neither resent nor summed.
  buffer.Add(0, 99, one);
  EXPECT_EQ(buffer.rows(), 1u);
  rows = Decode(Parse(buffer.TakeBatches(1, 1 << 20)), {1, 2});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ((rows[{0, 99}]), (std::vector<float>{1}));
}

TEST(UpdateBuffer, AddManyEqualsAddPerRow) {
  // Table 0 has the dense index, table 1 the hash index; repeated rows in one
  // call coalesce, `picks` selects a subset, and clocks do not leak values.
  const std::vector<uint32_t> widths = {3, 3};
  UpdateBuffer many(widths, {50, UpdateBuffer::kDenseIndexMaxRows + 10});
  UpdateBuffer single(widths, {50, UpdateBuffer::kDenseIndexMaxRows + 10});
  const uint64_t big = UpdateBuffer::kDenseIndexMaxRows;
  for (int clock = 0; clock < 2; ++clock) {
    for (uint32_t t = 0; t < 2; ++t) {
      const uint64_t base = t == 0 ? 0 : big;
      std::vector<uint64_t> rows = {base + 4, base + 9, base + 4, base + 1, base + 9};
      std::vector<float> deltas;
      for (size_t i = 0; i < rows.size() * 3; ++i) deltas.push_back(float(i + 1 + clock * 100));
      std::vector<uint32_t> picks = {4, 0, 2};
      if (clock == 0) {
        many.AddMany(t, rows, deltas);
        for (size_t i = 0; i < rows.size(); ++i) {
          single.Add(t, rows[i], std::span<const float>(deltas).subspan(i * 3, 3));
        }
      } else {
        many.AddMany(t, rows, deltas, picks);
        for (uint32_t i : picks) {
          single.Add(t, rows[i], std::span<const float>(deltas).subspan(i * 3, 3));
        }
      }
      // A sparse add into a row first touched this clock starts from zero.
      const uint32_t cols[] = {1};
      const float vals[] = {0.5f};
      many.AddSparse(t, base + 30, cols, vals);
      single.AddSparse(t, base + 30, cols, vals);
    }
    EXPECT_EQ(many.rows(), single.rows());
    EXPECT_EQ(many.value_bytes(), single.value_bytes());
    auto a = Decode(Parse(many.TakeBatches(clock, 1 << 20)), widths);
    auto b = Decode(Parse(single.TakeBatches(clock, 1 << 20)), widths);
    EXPECT_EQ(a, b) << "clock " << clock;
    EXPECT_EQ(a.size(), clock == 0 ? 8u : 6u);
    EXPECT_EQ((a[{1, 30 + big}]), (std::vector<float>{0, 0.5f, 0}));
  }
}

// Read-my-writes: what a shard snapshot stamped `since` lacks is the row as
// buffered plus the row as sent at every kept clock >= since; dense and hash
// indexes alike.
TEST(UpdateBuffer, AddUnseenAddsBufferedRowsAndKeptClocksFromTheStampOn) {
  const uint64_t big = UpdateBuffer::kDenseIndexMaxRows;  // table 1 uses the hash index
  UpdateBuffer buffer({2, 2}, {50, big + 10}, /*kept_clocks=*/3);
  for (uint64_t row : {uint64_t{7}, big + 7}) {
    const uint32_t t = row == 7 ? 0 : 1;
    buffer.Add(t, row, std::vector<float>{1, 2});
  }
  ASSERT_EQ(Parse(buffer.TakeBatches(0, 1 << 20)).size(), 1u);
  buffer.Add(0, 7, std::vector<float>{10, 20});
  buffer.Add(1, big + 7, std::vector<float>{10, 20});
  ASSERT_EQ(Parse(buffer.TakeBatches(1, 1 << 20)).size(), 1u);
  buffer.Add(0, 7, std::vector<float>{100, 200});  // clock 2, buffered
  buffer.Add(1, big + 7, std::vector<float>{100, 200});

  for (uint32_t t : {0u, 1u}) {
    const uint64_t row = t == 0 ? 7 : big + 7;
    auto unseen = [&](uint64_t r, int64_t since) {
      std::vector<float> out = {0.5f, 0.5f};  // added to, not overwritten
      buffer.AddUnseen(t, r, since, out.data());
      return out;
    };
    EXPECT_EQ(unseen(row, 0), (std::vector<float>{111.5f, 222.5f})) << "table " << t;
    EXPECT_EQ(unseen(row, 1), (std::vector<float>{110.5f, 220.5f})) << "table " << t;
    EXPECT_EQ(unseen(row, 2), (std::vector<float>{100.5f, 200.5f})) << "table " << t;
    EXPECT_EQ(unseen(row, 9), (std::vector<float>{100.5f, 200.5f})) << "table " << t;
    EXPECT_EQ(unseen(row + 1, 0), (std::vector<float>{0.5f, 0.5f})) << "table " << t;
    EXPECT_TRUE(buffer.HasUnseen(t, 9));
  }
}

// Kept clocks are forgotten kept_clocks after they were taken, also by
// TakeBatches calls with nothing buffered.
TEST(UpdateBuffer, ForgetsSentClocksOlderThanKeptClocks) {
  UpdateBuffer buffer({1, 1}, {10, 10}, /*kept_clocks=*/2);
  const float one[] = {1};
  for (int64_t clock = 0; clock < 3; ++clock) {
    buffer.Add(0, 3, one);
    buffer.TakeBatches(clock, 1 << 20);
  }
  float out = 0;
  buffer.AddUnseen(0, 3, 0, &out);
  EXPECT_EQ(out, 2.0f);  // clocks 1 and 2; clock 0 is forgotten
  EXPECT_TRUE(buffer.HasUnseen(0, 2));
  EXPECT_FALSE(buffer.HasUnseen(0, 3));
  EXPECT_FALSE(buffer.HasUnseen(1, 0));  // nothing of table 1, ever
  EXPECT_TRUE(buffer.TakeBatches(3, 1 << 20).empty());
  EXPECT_TRUE(buffer.HasUnseen(0, 0));   // clock 2 still kept
  EXPECT_TRUE(buffer.TakeBatches(4, 1 << 20).empty());
  EXPECT_FALSE(buffer.HasUnseen(0, 0));
  out = 0;
  buffer.AddUnseen(0, 3, 0, &out);
  EXPECT_EQ(out, 0.0f);
}

// Kept clocks hand their indexes back to later clocks: every clock still
// sends exactly its own rows, and its kept values match what it sent.
TEST(UpdateBuffer, RecycledIndexesStartEachClockEmpty) {
  const uint64_t big = UpdateBuffer::kDenseIndexMaxRows;
  const std::vector<uint32_t> widths = {1, 1};
  UpdateBuffer buffer(widths, {50, big + 50}, /*kept_clocks=*/1);
  for (int64_t clock = 0; clock < 6; ++clock) {
    const float v[] = {static_cast<float>(clock + 1)};
    for (uint64_t r : {uint64_t(clock), uint64_t(clock + 1)}) {
      buffer.Add(0, r, v);
      buffer.Add(1, big + r, v);
    }
    auto rows = Decode(Parse(buffer.TakeBatches(clock, 1 << 20)), widths);
    ASSERT_EQ(rows.size(), 4u) << "clock " << clock;
    for (uint32_t t : {0u, 1u}) {
      const uint64_t base = t == 0 ? 0 : big;
      EXPECT_EQ((rows[{t, base + clock}]), (std::vector<float>{v[0]})) << "clock " << clock;
      EXPECT_EQ((rows[{t, base + clock + 1}]), (std::vector<float>{v[0]})) << "clock " << clock;
      float out = 0;
      buffer.AddUnseen(t, base + clock + 1, clock, &out);
      EXPECT_EQ(out, v[0]) << "clock " << clock << " table " << t;
      out = 0;
      buffer.AddUnseen(t, base + clock, 0, &out);  // earlier clocks forgotten
      EXPECT_EQ(out, v[0]) << "clock " << clock << " table " << t;
    }
  }
}

}  // namespace gaia::internal
