#include "src/server/parameter_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "src/common/packing.h"
#include "src/common/partition.h"

namespace gaia::server {
namespace {

common::TableSpec Table(const char* name, uint64_t rows, uint32_t width,
                        common::InitKind init = common::InitKind::kUniform) {
  common::TableSpec spec;
  spec.name = name;
  spec.rows = rows;
  spec.width = width;
  spec.init = init;
  spec.init_seed = 7;
  return spec;
}

std::string Pack64(const std::vector<uint64_t>& v) {
  std::string out;
  common::AppendPacked<uint64_t>(&out, std::span<const uint64_t>(v));
  return out;
}
std::string Pack32(const std::vector<uint32_t>& v) {
  std::string out;
  common::AppendPacked<uint32_t>(&out, std::span<const uint32_t>(v));
  return out;
}
std::string PackF(const std::vector<float>& v) {
  std::string out;
  common::AppendPacked<float>(&out, std::span<const float>(v));
  return out;
}

// First row of `table` owned (or not owned) by shard `index` of `size`.
uint64_t FindRow(uint32_t table, uint32_t index, uint32_t size, bool owned) {
  for (uint64_t r = 0; r < 1000; ++r) {
    if ((common::ShardOf(table, r, size) == index) == owned) return r;
  }
  ADD_FAILURE() << "no such row";
  return 0;
}

TEST(ParameterStore, OwnsExactlyItsPartition) {
  std::vector<common::TableSpec> tables = {Table("a", 100, 3), Table("b", 50, 1)};
  auto s0 = ParameterStore::Create(tables, 0, 3);
  auto s1 = ParameterStore::Create(tables, 1, 3);
  auto s2 = ParameterStore::Create(tables, 2, 3);
  ASSERT_TRUE(s0.ok() && s1.ok() && s2.ok());
  for (uint32_t t = 0; t < 2; ++t) {
    for (uint64_t r = 0; r < tables[t].rows; ++r) {
      const int owners = (*s0)->Owns(t, r) + (*s1)->Owns(t, r) + (*s2)->Owns(t, r);
      EXPECT_EQ(owners, 1) << "table " << t << " row " << r;
      const uint32_t shard = common::ShardOf(t, r, 3);
      EXPECT_TRUE(
          std::vector<ParameterStore*>({s0->get(), s1->get(), s2->get()})[shard]->Owns(t, r));
    }
  }
  EXPECT_EQ((*s0)->rows_owned() + (*s1)->rows_owned() + (*s2)->rows_owned(), 150u);
  EXPECT_FALSE((*s0)->Owns(0, 100));
  EXPECT_FALSE((*s0)->Owns(2, 0));
}

TEST(ParameterStore, InitializationIsDeterministic) {
  std::vector<common::TableSpec> tables = {Table("a", 64, 5, common::InitKind::kNormal)};
  auto whole = ParameterStore::Create(tables, 0, 1);
  auto part = ParameterStore::Create(tables, 1, 2);
  auto again = ParameterStore::Create(tables, 1, 2);
  ASSERT_TRUE(whole.ok() && part.ok() && again.ok());
  std::string rows1, values1, rows2, values2;
  (*part)->Dump(0, &rows1, &values1);
  (*again)->Dump(0, &rows2, &values2);
  EXPECT_EQ(rows1, rows2);
  EXPECT_EQ(values1, values2);
  // A partitioned shard holds the same values as the unpartitioned table.
  std::vector<uint64_t> rows = common::Unpack<uint64_t>(rows1);
  ASSERT_FALSE(rows.empty());
  for (uint64_t r : rows) {
    std::span<const float> a = (*whole)->Row(0, r);
    std::span<const float> b = (*part)->Row(0, r);
    ASSERT_EQ(a.size(), 5u);
    ASSERT_EQ(b.size(), 5u);
    EXPECT_EQ(std::memcmp(a.data(), b.data(), 5 * sizeof(float)), 0);
  }
  // Dump is ascending.
  for (size_t i = 1; i < rows.size(); ++i) EXPECT_LT(rows[i - 1], rows[i]);

  // Pages of 7 rows put together are the whole dump; past the end is empty.
  std::string paged_rows, paged_values;
  for (uint64_t first = 0;; first += 7) {
    std::string r, v;
    (*part)->Dump(0, &r, &v, first, 7);
    EXPECT_LE(r.size(), 7 * sizeof(uint64_t));
    EXPECT_EQ(v.size(), r.size() / sizeof(uint64_t) * 5 * sizeof(float));
    paged_rows += r;
    paged_values += v;
    if (r.size() < 7 * sizeof(uint64_t)) break;
  }
  EXPECT_EQ(paged_rows, rows1);
  EXPECT_EQ(paged_values, values1);
  std::string past_rows = "x", past_values = "x";
  (*part)->Dump(0, &past_rows, &past_values, rows.size() + 5, 3);
  EXPECT_TRUE(past_rows.empty());
  EXPECT_TRUE(past_values.empty());
}

TEST(ParameterStore, SoleShardIndexesRowsBySlot) {
  // A DC's only shard holds every row with slot == row id and no index.
  auto store = ParameterStore::Create({Table("a", 12, 3, common::InitKind::kNormal)}, 0, 1);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->owned_rows(0), 12u);
  EXPECT_EQ((*store)->rows_owned(), 12u);
  for (uint64_t r = 0; r < 12; ++r) {
    EXPECT_TRUE((*store)->OwnsFast(0, r));
    EXPECT_EQ((*store)->SlotOf(0, r), r);
    EXPECT_EQ((*store)->RowAt(0, r), r);
    EXPECT_EQ((*store)->SlotData(0, r), (*store)->Row(0, r).data());
  }
  EXPECT_FALSE((*store)->OwnsFast(0, 12));
  EXPECT_FALSE((*store)->Owns(0, 12));
  EXPECT_EQ((*store)->SlotOf(0, 12), ParameterStore::kNoSlot);
  EXPECT_TRUE((*store)->Row(0, 12).empty());

  std::string rows, values;
  (*store)->Dump(0, &rows, &values, 5, 4);
  EXPECT_EQ(common::Unpack<uint64_t>(rows), (std::vector<uint64_t>{5, 6, 7, 8}));
  ASSERT_EQ(values.size(), 4u * 3 * sizeof(float));
  EXPECT_EQ(std::memcmp(values.data(), (*store)->Row(0, 5).data(), values.size()), 0);
  (*store)->Dump(0, &rows, &values, 10, 0);
  EXPECT_EQ(common::Unpack<uint64_t>(rows), (std::vector<uint64_t>{10, 11}));
}

TEST(ParameterStore, AddAndReadRows) {
  auto store = ParameterStore::Create({Table("a", 10, 2, common::InitKind::kZeros)}, 0, 1);
  ASSERT_TRUE(store.ok());
  std::span<float> row = (*store)->MutableRow(0, 4);
  ASSERT_EQ(row.size(), 2u);
  row[0] += 1.5f;
  row[1] -= 2.0f;
  std::string out;
  (*store)->ReadRows(0, Pack64({4, 0, 4}), &out);
  EXPECT_EQ(common::Unpack<float>(out), (std::vector<float>{1.5f, -2.0f, 0, 0, 1.5f, -2.0f}));
  EXPECT_EQ((*store)->table_bytes(), 10u * 2 * sizeof(float));
}

TEST(ParameterStore, RejectsBadOptions) {
  EXPECT_EQ(ParameterStore::Create({Table("a", 10, 2)}, 2, 2).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParameterStore::Create({Table("a", 10, 2)}, 0, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParameterStore::Create({Table("a", 0, 2)}, 0, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParameterStore::Create({Table("a", 10, 0)}, 0, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParameterStore::Create({}, 0, 1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParameterStore::Create({Table("a", uint64_t{1} << 62, 16)}, 0, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Slots are 32-bit: one shard holds fewer than 2^32 rows of a table
  // (refused before anything is allocated).
  auto too_many = ParameterStore::Create(
      {Table("a", ParameterStore::kMaxRowsPerShard + 1, 1)}, 0, 1);
  EXPECT_EQ(too_many.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(too_many.status().message()), ::testing::HasSubstr("use more shards"));
}

class ValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = ParameterStore::Create({Table("a", 100, 3)}, 0, 2);
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    owned_ = FindRow(0, 0, 2, true);
    not_owned_ = FindRow(0, 0, 2, false);
  }

  rpc::PushBatch Valid() const {
    rpc::PushBatch batch;
    rpc::TableDelta* d = batch.add_tables();
    d->set_table_id(0);
    d->set_dense_row_ids(Pack64({owned_}));
    d->set_dense_values(PackF({1, 2, 3}));
    d->set_sparse_row_ids(Pack64({owned_}));
    d->set_sparse_row_nnz(Pack32({2}));
    std::string entries;
    common::AppendPacked(&entries, common::SparseEntry{0, 1.0f});
    common::AppendPacked(&entries, common::SparseEntry{2, 1.0f});
    d->set_sparse_entries(entries);
    return batch;
  }

  void ExpectRejected(const rpc::PushBatch& batch, absl::StatusCode code, const char* mentions) {
    absl::Status s = store_->ValidatePush(batch);
    EXPECT_EQ(s.code(), code) << s;
    EXPECT_NE(s.message().find(mentions), absl::string_view::npos) << s;
  }

  std::unique_ptr<ParameterStore> store_;
  uint64_t owned_ = 0;
  uint64_t not_owned_ = 0;
};

TEST_F(ValidationTest, AcceptsValidBatch) { EXPECT_TRUE(store_->ValidatePush(Valid()).ok()); }

// Values given apart from the deltas (a push decoded in place) are what is
// checked, one list per delta.
TEST_F(ValidationTest, ChecksValuesGivenApartFromTheDeltas) {
  rpc::PushBatch batch = Valid();
  const std::string values = PackF({1, 2, 3});
  batch.mutable_tables(0)->clear_dense_values();
  const std::vector<PackedValues> given = {PackedValues(values)};
  EXPECT_TRUE(store_->ValidatePush(batch, given).ok());
  EXPECT_EQ(store_->ValidatePush(batch).code(), absl::StatusCode::kInvalidArgument);

  const std::string short_values = PackF({1, 2});
  const std::vector<PackedValues> too_short = {PackedValues(short_values)};
  absl::Status s = store_->ValidatePush(batch, too_short);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("dense_values: 8 bytes"), absl::string_view::npos) << s;

  s = store_->ValidatePush(batch, std::span<const PackedValues>());
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal) << s;
  EXPECT_NE(s.message().find("1 tables but 0 value lists"), absl::string_view::npos) << s;
}

TEST_F(ValidationTest, RejectsEachBadCase) {
  rpc::PushBatch b = Valid();
  b.mutable_tables(0)->set_table_id(5);
  ExpectRejected(b, absl::StatusCode::kNotFound, "unknown table 5");

  b = Valid();
  b.mutable_tables(0)->set_dense_row_ids(Pack64({100}));
  ExpectRejected(b, absl::StatusCode::kInvalidArgument, "row 100 out of range");

  b = Valid();
  b.mutable_tables(0)->set_dense_row_ids(Pack64({not_owned_}));
  ExpectRejected(b, absl::StatusCode::kNotFound, "not owned");

  b = Valid();
  b.mutable_tables(0)->set_dense_values(PackF({1, 2}));  // width mismatch
  ExpectRejected(b, absl::StatusCode::kInvalidArgument, "dense_values");

  b = Valid();
  b.mutable_tables(0)->mutable_dense_row_ids()->pop_back();  // truncated
  ExpectRejected(b, absl::StatusCode::kInvalidArgument, "dense_row_ids");

  b = Valid();
  b.mutable_tables(0)->mutable_sparse_row_ids()->append("x");
  ExpectRejected(b, absl::StatusCode::kInvalidArgument, "sparse_row_ids");

  b = Valid();
  b.mutable_tables(0)->set_sparse_row_nnz(Pack32({2, 1}));
  ExpectRejected(b, absl::StatusCode::kInvalidArgument, "sparse_row_nnz");

  b = Valid();
  b.mutable_tables(0)->set_sparse_row_nnz(Pack32({3}));  // nnz sum mismatch
  ExpectRejected(b, absl::StatusCode::kInvalidArgument, "sparse_entries");

  b = Valid();
  std::string entries;
  common::AppendPacked(&entries, common::SparseEntry{0, 1.0f});
  common::AppendPacked(&entries, common::SparseEntry{3, 1.0f});  // column == width
  b.mutable_tables(0)->set_sparse_entries(entries);
  ExpectRejected(b, absl::StatusCode::kInvalidArgument, "column 3 >= width 3");

  b = Valid();
  b.mutable_tables(0)->set_sparse_row_ids(Pack64({not_owned_}));
  ExpectRejected(b, absl::StatusCode::kNotFound, "sparse_row_ids");

  b = Valid();
  b.set_clock(-1);
  ExpectRejected(b, absl::StatusCode::kInvalidArgument, "clock");

  // Binary16 values are a mirror-link encoding the mirror decodes first.
  b = Valid();
  b.mutable_tables(0)->set_half_values(true);
  ExpectRejected(b, absl::StatusCode::kInvalidArgument, "half_values");
  b = Valid();
  b.mutable_tables(0)->set_ternary_rows(true);
  ExpectRejected(b, absl::StatusCode::kInvalidArgument, "ternary_rows");

  // A bad table after a good one rejects the whole batch.
  b = Valid();
  *b.add_tables() = b.tables(0);
  b.mutable_tables(1)->set_table_id(1);
  ExpectRejected(b, absl::StatusCode::kNotFound, "unknown table 1");
}

TEST_F(ValidationTest, ValidatesReads) {
  rpc::ReadRequest read;
  read.set_table_id(0);
  read.set_row_ids(Pack64({owned_}));
  EXPECT_TRUE(store_->ValidateRead(read).ok());
  read.set_row_ids(Pack64({owned_, not_owned_}));
  EXPECT_EQ(store_->ValidateRead(read).code(), absl::StatusCode::kNotFound);
  read.set_row_ids(Pack64({owned_}) + "abc");
  EXPECT_EQ(store_->ValidateRead(read).code(), absl::StatusCode::kInvalidArgument);
  read.set_row_ids(Pack64({1000}));
  EXPECT_EQ(store_->ValidateRead(read).code(), absl::StatusCode::kInvalidArgument);
  read.set_table_id(9);
  EXPECT_EQ(store_->ValidateRead(read).code(), absl::StatusCode::kNotFound);
}

// A counts table (TableSpec::counts) takes whole numbers within +-2^24 only,
// checked before anything is added, and checks the sum against the stored
// value.
TEST(ParameterStore, CountsTablesTakeWholeNumbersWithinTheBound) {
  common::TableSpec spec = Table("counts", 4, 2, common::InitKind::kZeros);
  spec.counts = true;
  auto store = ParameterStore::Create({spec, Table("floats", 4, 2)}, 0, 1);
  ASSERT_TRUE(store.ok());
  auto delta = [](uint32_t table, std::vector<float> values) {
    rpc::TableDelta d;
    d.set_table_id(table);
    d.set_dense_row_ids(Pack64({1}));
    d.set_dense_values(PackF(values));
    return d;
  };
  EXPECT_TRUE((*store)->ValidateTableDelta(delta(0, {3, -2})).ok());
  EXPECT_TRUE((*store)->ValidateTableDelta(delta(1, {0.5f, 1e30f})).ok());  // not counts
  const absl::Status fraction = (*store)->ValidateTableDelta(delta(0, {3, 0.5f}));
  EXPECT_EQ(fraction.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(fraction.message(),
              ::testing::HasSubstr("table counts holds counts: row 1 column 1"));
  EXPECT_THAT(fraction.message(), ::testing::HasSubstr("not a whole number"));
  EXPECT_FALSE((*store)->ValidateTableDelta(delta(0, {33554432.0f, 0})).ok());
  EXPECT_FALSE((*store)->ValidateTableDelta(delta(0, {std::nanf(""), 0})).ok());

  // Sparse entries too.
  rpc::TableDelta sparse;
  sparse.set_table_id(0);
  sparse.set_sparse_row_ids(Pack64({2}));
  sparse.set_sparse_row_nnz(Pack32({1}));
  std::string entries;
  common::AppendPacked(&entries, common::SparseEntry{1, 0.25f});
  sparse.set_sparse_entries(entries);
  EXPECT_THAT((*store)->ValidateTableDelta(sparse).message(),
              ::testing::HasSubstr("row 2 column 1: 0.25 is not a whole number"));

  // The sum with the stored value.
  rpc::TableDelta big = delta(0, {16777000.0f, 0});
  ASSERT_TRUE((*store)->ValidateTableDelta(big).ok());
  rpc::PushBatch batch;
  *batch.add_tables() = big;
  const std::vector<PackedValues> values = DenseValuesOf(batch);
  EXPECT_TRUE((*store)->CheckCountsAfterAdd(batch, values).ok());
  (*store)->AddDelta(big);
  const absl::Status over = (*store)->CheckCountsAfterAdd(batch, values);
  EXPECT_THAT(over.message(), ::testing::HasSubstr("goes beyond"));
  EXPECT_EQ((*store)->Row(0, 1)[0], 16777000.0f);  // checking changed nothing
}

}  // namespace
}  // namespace gaia::server
