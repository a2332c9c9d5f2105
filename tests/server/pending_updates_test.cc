#include "src/server/pending_updates.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

#include "src/common/packing.h"
#include "src/common/process_memory.h"

namespace gaia::server {
namespace {

std::string Pack64(const std::vector<uint64_t>& v) {
  std::string out;
  common::AppendPacked<uint64_t>(&out, std::span<const uint64_t>(v));
  return out;
}
std::string PackF(const std::vector<float>& v) {
  std::string out;
  common::AppendPacked<float>(&out, std::span<const float>(v));
  return out;
}

// A store of one table, rows x width, every row on this shard.
absl::StatusOr<std::unique_ptr<ParameterStore>> OneTable(uint64_t rows, uint32_t width) {
  common::TableSpec spec;
  spec.name = "t";
  spec.rows = rows;
  spec.width = width;
  return ParameterStore::Create({spec}, 0, 1);
}

rpc::PushBatch Dense(int64_t clock, std::vector<uint64_t> rows, std::vector<float> values) {
  rpc::PushBatch batch;
  batch.set_clock(clock);
  rpc::TableDelta* d = batch.add_tables();
  d->set_table_id(0);
  d->set_dense_row_ids(Pack64(rows));
  d->set_dense_values(PackF(values));
  return batch;
}

class RecordingSink : public UpdateSink {
 public:
  void OnRowsApplied(uint32_t table_id, std::span<const uint64_t> rows,
                     std::span<const float> deltas, int64_t shard_clock) override {
    for (size_t i = 0; i < rows.size(); ++i) {
      applied[{table_id, rows[i]}].push_back(deltas[i * 2]);
    }
    last_clock = shard_clock;
  }
  void OnClockAdvanced(int64_t, bool) override {}
  std::map<std::pair<uint32_t, uint64_t>, std::vector<float>> applied;
  int64_t last_clock = -1;
};

class PendingUpdatesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = OneTable(8, 2);
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    pending_ = std::make_unique<PendingUpdates>(store_.get());
  }
  std::vector<float> Row(uint64_t r) {
    std::span<const float> row = store_->Row(0, r);
    return std::vector<float>(row.begin(), row.end());
  }

  std::unique_ptr<ParameterStore> store_;
  std::unique_ptr<PendingUpdates> pending_;
};

TEST_F(PendingUpdatesTest, UpdatesBecomeVisibleOnlyWhenTheirClockPasses) {
  pending_->Add(0, Dense(0, {1}, {1, 2}));
  pending_->Add(1, Dense(1, {1}, {10, 20}));
  EXPECT_EQ(pending_->buffered_clocks(), 2u);
  EXPECT_EQ(pending_->ApplyBefore(0, store_.get(), nullptr), 0u);
  EXPECT_EQ(Row(1), (std::vector<float>{0, 0}));

  EXPECT_EQ(pending_->ApplyBefore(1, store_.get(), nullptr), 1u);
  EXPECT_EQ(Row(1), (std::vector<float>{1, 2}));
  EXPECT_EQ(pending_->buffered_clocks(), 1u);

  EXPECT_EQ(pending_->ApplyBefore(5, store_.get(), nullptr), 1u);
  EXPECT_EQ(Row(1), (std::vector<float>{11, 22}));
  EXPECT_EQ(pending_->buffered_clocks(), 0u);
  EXPECT_EQ(pending_->buffered_bytes(), 0u);
}

TEST_F(PendingUpdatesTest, CoalescesRowsWithinAClock) {
  pending_->Add(3, Dense(3, {2, 5, 2}, {1, 1, 2, 2, 3, 3}));
  pending_->Add(3, Dense(3, {2}, {0.5f, 0.5f}));
  // One arena row per distinct row: 2 rows x 2 floats.
  EXPECT_EQ(pending_->buffered_bytes(), 2u * 2 * sizeof(float));
  RecordingSink sink;
  EXPECT_EQ(pending_->ApplyBefore(4, store_.get(), &sink), 4u);  // incoming row deltas
  EXPECT_EQ(Row(2), (std::vector<float>{4.5f, 4.5f}));
  EXPECT_EQ(Row(5), (std::vector<float>{2, 2}));
  EXPECT_EQ(sink.applied[std::make_pair(0u, uint64_t{2})], (std::vector<float>{4.5f}));
  EXPECT_EQ(sink.applied[std::make_pair(0u, uint64_t{5})], (std::vector<float>{2}));
  EXPECT_EQ(sink.last_clock, 4);
}

TEST_F(PendingUpdatesTest, AppliesSparseEntries) {
  rpc::PushBatch batch;
  batch.set_clock(0);
  rpc::TableDelta* d = batch.add_tables();
  d->set_table_id(0);
  d->set_sparse_row_ids(Pack64({3, 4}));
  std::string nnz;
  common::AppendPacked<uint32_t>(&nnz, 2u);
  common::AppendPacked<uint32_t>(&nnz, 1u);
  d->set_sparse_row_nnz(nnz);
  std::string entries;
  common::AppendPacked(&entries, common::SparseEntry{1, 5.0f});
  common::AppendPacked(&entries, common::SparseEntry{1, 1.0f});
  common::AppendPacked(&entries, common::SparseEntry{0, -2.0f});
  d->set_sparse_entries(entries);
  ASSERT_TRUE(store_->ValidatePush(batch).ok());
  pending_->Add(0, batch);
  pending_->Add(0, Dense(0, {3}, {1, 1}));
  pending_->ApplyBefore(1, store_.get(), nullptr);
  EXPECT_EQ(Row(3), (std::vector<float>{1, 7}));
  EXPECT_EQ(Row(4), (std::vector<float>{-2, 0}));
}

// Wide rows fill the arena's 1 MiB chunks after 128 rows (width 2048): a
// clock of many rows spans several chunks, coalesces across them, is applied
// whole, reported to the sink once per row, and the buffer is reused.
TEST(PendingUpdatesChunks, ManyWideRowsSpanChunksAndApplyExactly) {
  constexpr uint32_t kWidth = 2048;
  constexpr uint64_t kRows = 300;
  auto store = OneTable(kRows, kWidth);
  ASSERT_TRUE(store.ok());
  PendingUpdates pending(store->get());
  class CountingSink : public UpdateSink {
   public:
    void OnRowsApplied(uint32_t, std::span<const uint64_t> rows, std::span<const float> deltas,
                       int64_t) override {
      EXPECT_EQ(deltas.size(), rows.size() * kWidth);
      for (size_t i = 0; i < rows.size(); ++i) {
        first[rows[i]] += deltas[i * kWidth];
        ++reports;
      }
    }
    void OnClockAdvanced(int64_t, bool) override {}
    std::map<uint64_t, float> first;
    uint64_t reports = 0;
  } sink;
  for (int clock = 0; clock < 2; ++clock) {
    // Rows in descending order, then every third row again.
    for (int pass = 0; pass < 2; ++pass) {
      std::vector<uint64_t> rows;
      std::vector<float> values;
      for (uint64_t r = kRows; r-- > 0;) {
        if (pass == 1 && r % 3 != 0) continue;
        rows.push_back(r);
        for (uint32_t c = 0; c < kWidth; ++c) values.push_back(static_cast<float>(r + c));
      }
      pending.Add(clock, Dense(clock, rows, values));
    }
    EXPECT_EQ(pending.buffered_bytes(), kRows * kWidth * sizeof(float));
    EXPECT_EQ(pending.ApplyBefore(clock + 1, store->get(), &sink), kRows + (kRows + 2) / 3);
    EXPECT_EQ(pending.buffered_bytes(), 0u);
  }
  EXPECT_EQ(sink.reports, 2 * kRows);
  for (uint64_t r = 0; r < kRows; ++r) {
    const float per_clock = (r % 3 == 0 ? 2.0f : 1.0f);
    std::span<const float> row = (*store)->Row(0, r);
    ASSERT_EQ(row[0], 2 * per_clock * static_cast<float>(r)) << "row " << r;
    ASSERT_EQ(row[kWidth - 1], 2 * per_clock * static_cast<float>(r + kWidth - 1)) << "row " << r;
    ASSERT_EQ(sink.first[r], row[0]) << "row " << r;
  }
}

// The slot index is a dense array for tables of up to 2^20 owned rows and a
// hash map above; on a shard that owns part of the rows slots are not row
// ids. Either way, random pushes with repeats within and across clocks
// (buffers reused after each apply) add up to what a plain model sums.
TEST(PendingUpdatesIndex, DenseAndHashedSlotsMatchAModel) {
  struct Case {
    uint64_t rows;
    uint32_t partition_size;
  };
  for (const Case& c : {Case{1000, 1}, Case{1000, 2}, Case{(uint64_t{1} << 20) + 64, 1}}) {
    common::TableSpec spec;
    spec.name = "t";
    spec.rows = c.rows;
    spec.width = 1;
    auto store = ParameterStore::Create({spec}, 0, c.partition_size);
    ASSERT_TRUE(store.ok());
    PendingUpdates pending(store->get());
    std::vector<uint64_t> owned;
    for (uint64_t r = 0; r < c.rows && owned.size() < 200; r += 7) {
      if ((*store)->SlotOf(0, r) != ParameterStore::kNoSlot) owned.push_back(r);
    }
    std::map<uint64_t, float> model;
    uint64_t seed = 1;
    for (int clock = 0; clock < 4; ++clock) {
      for (int batch = 0; batch < 3; ++batch) {
        std::vector<uint64_t> rows;
        std::vector<float> values;
        for (int i = 0; i < 50; ++i) {
          seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
          const uint64_t row = owned[(seed >> 33) % owned.size()];
          const float value = static_cast<float>((seed >> 20) % 8) + 1;
          rows.push_back(row);
          values.push_back(value);
          model[row] += value;
        }
        rpc::PushBatch push = Dense(clock, rows, values);
        ASSERT_TRUE((*store)->ValidatePush(push).ok());
        pending.Add(clock, push);
      }
      EXPECT_EQ(pending.ApplyBefore(clock + 1, store->get(), nullptr), 150u);
    }
    for (uint64_t row : owned) {
      const float expected = model.count(row) ? model[row] : 0.0f;
      ASSERT_EQ((*store)->Row(0, row)[0], expected)
          << "rows " << c.rows << " partitions " << c.partition_size << " row " << row;
    }
  }
}

}  // namespace
}  // namespace gaia::server

namespace gaia::server {
namespace {

// A push of sparse rows: rows[i] gets entries[i] ((column, value) pairs, in
// any order, columns may repeat).
rpc::PushBatch Sparse(int64_t clock, const std::vector<uint64_t>& rows,
                      const std::vector<std::vector<common::SparseEntry>>& entries) {
  rpc::PushBatch batch;
  batch.set_clock(clock);
  rpc::TableDelta* d = batch.add_tables();
  d->set_table_id(0);
  d->set_sparse_row_ids(Pack64(rows));
  std::string nnz;
  std::string packed;
  for (const std::vector<common::SparseEntry>& row : entries) {
    common::AppendPacked<uint32_t>(&nnz, static_cast<uint32_t>(row.size()));
    for (const common::SparseEntry& e : row) common::AppendPacked(&packed, e);
  }
  d->set_sparse_row_nnz(nnz);
  d->set_sparse_entries(packed);
  return batch;
}

// Every row's deltas as the sink saw them, summed per clock.
class DenseRowSink : public UpdateSink {
 public:
  explicit DenseRowSink(uint32_t width) : width_(width) {}
  void OnRowsApplied(uint32_t, std::span<const uint64_t> rows, std::span<const float> deltas,
                     int64_t clock) override {
    EXPECT_EQ(deltas.size(), rows.size() * width_);
    for (size_t i = 0; i < rows.size(); ++i) {
      std::vector<float>& sum = applied[{clock, rows[i]}];
      if (sum.empty()) sum.assign(width_, 0.0f);
      for (uint32_t c = 0; c < width_; ++c) sum[c] += deltas[i * width_ + c];
      ++reports[{clock, rows[i]}];
    }
  }
  void OnClockAdvanced(int64_t, bool) override {}
  std::map<std::pair<int64_t, uint64_t>, std::vector<float>> applied;
  std::map<std::pair<int64_t, uint64_t>, int> reports;

 private:
  const uint32_t width_;
};

// A wide table keeps rows of sparse deltas sparse until they fill half the
// row or a dense delta arrives. Random sparse and dense pushes (small whole
// numbers, so every sum is exact) add up, in the store and in the sink, to
// what a plain model sums, and every row is reported once per clock.
TEST(PendingUpdatesSparse, WideRowsOfSparseAndDenseDeltasMatchAModel) {
  constexpr uint32_t kWidth = 96;
  constexpr uint64_t kRows = 40;
  auto store = OneTable(kRows, kWidth);
  ASSERT_TRUE(store.ok());
  PendingUpdates pending(store->get());
  DenseRowSink sink(kWidth);
  std::mt19937 rng(11);
  auto uniform = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::vector<float> model(kRows * kWidth, 0.0f);
  for (int64_t clock = 0; clock < 4; ++clock) {
    std::map<uint64_t, std::vector<float>> this_clock;
    auto note = [&](uint64_t row, uint32_t col, float v) {
      std::vector<float>& sum = this_clock[row];
      if (sum.empty()) sum.assign(kWidth, 0.0f);
      sum[col] += v;
      model[row * kWidth + col] += v;
    };
    for (int push = 0; push < 30; ++push) {
      if (uniform(0, 4) == 0) {  // a dense row
        const uint64_t row = static_cast<uint64_t>(uniform(0, kRows - 1));
        std::vector<float> values(kWidth);
        for (uint32_t c = 0; c < kWidth; ++c) {
          values[c] = static_cast<float>(uniform(-3, 3));
          note(row, c, values[c]);
        }
        pending.Add(clock, Dense(clock, {row}, values));
        continue;
      }
      std::vector<uint64_t> rows;
      std::vector<std::vector<common::SparseEntry>> entries;
      for (int r = uniform(1, 4); r > 0; --r) {
        rows.push_back(static_cast<uint64_t>(uniform(0, kRows - 1)));
        entries.emplace_back();
        // Mostly a few columns; sometimes enough to fill the row.
        const int n = uniform(0, 5) == 0 ? uniform(20, 60) : uniform(1, 4);
        for (int k = 0; k < n; ++k) {
          const common::SparseEntry e{static_cast<uint32_t>(uniform(0, kWidth - 1)),
                                      static_cast<float>(uniform(-2, 2))};
          entries.back().push_back(e);
          note(rows.back(), e.col, e.value);
        }
      }
      pending.Add(clock, Sparse(clock, rows, entries));
    }
    pending.ApplyBefore(clock + 1, store->get(), &sink);
    EXPECT_EQ(pending.buffered_bytes(), 0u);
    for (const auto& [row, sum] : this_clock) {
      EXPECT_EQ((sink.reports[{clock + 1, row}]), 1) << "clock " << clock << " row " << row;
      EXPECT_EQ((sink.applied[{clock + 1, row}]), sum) << "clock " << clock << " row " << row;
    }
    size_t reported = 0;  // rows reported for this clock
    for (const auto& [key, count] : sink.reports) reported += key.first == clock + 1;
    EXPECT_EQ(reported, this_clock.size()) << "clock " << clock;
  }
  for (uint64_t r = 0; r < kRows; ++r) {
    std::span<const float> row = (*store)->Row(0, r);
    ASSERT_EQ(std::vector<float>(row.begin(), row.end()),
              std::vector<float>(model.begin() + r * kWidth, model.begin() + (r + 1) * kWidth))
        << "row " << r;
  }
}

// A clock of count changes touching two columns of each of 20,000 rows of
// width 4,096: 312 MiB as dense rows, 16 bytes a row as held.
TEST(PendingUpdatesSparse, AClockOfSparseRowsCostsWhatItChanges) {
  constexpr uint32_t kWidth = 4096;
  constexpr uint64_t kRows = 20000;
  auto store = OneTable(kRows, kWidth);
  ASSERT_TRUE(store.ok());
  PendingUpdates pending(store->get());
  std::vector<uint64_t> rows;
  std::vector<std::vector<common::SparseEntry>> entries;
  for (uint64_t r = 0; r < kRows; ++r) {
    rows.push_back(r);
    const uint32_t col = static_cast<uint32_t>(r * 131 % (kWidth - 1));
    entries.push_back({{col + 1, 1.0f}, {col, 2.0f}});
  }
  const rpc::PushBatch batch = Sparse(0, rows, entries);
  const uint64_t before = common::ResidentSetBytes();
  ASSERT_GT(before, 0u) << "/proc/self/statm unreadable";
  pending.Add(0, batch);
  const uint64_t after = common::ResidentSetBytes();
  const uint64_t grown = after > before ? after - before : 0;
  EXPECT_LT(grown, uint64_t{64} << 20) << "the buffer grew by " << grown << " bytes";
  EXPECT_EQ(pending.buffered_bytes(), kRows * 2 * sizeof(common::SparseEntry));
  EXPECT_EQ(pending.ApplyBefore(1, store->get(), nullptr), kRows);
  EXPECT_EQ((*store)->Row(0, 5)[5 * 131], 2.0f);
  EXPECT_EQ((*store)->Row(0, 5)[5 * 131 + 1], 1.0f);
}

}  // namespace
}  // namespace gaia::server
