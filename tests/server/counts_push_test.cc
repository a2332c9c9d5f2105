// Tables of counts (TableSpec::counts, docs/ARCHITECTURE.md "Integer
// counts") through the shard's real push path: ShardCore::Push refuses a
// fraction or a value past +-2^24 with INVALID_ARGUMENT naming the table,
// row and column, and then changes nothing (not even the other tables of the
// same batch); whole numbers are added exactly; a table that is not declared
// counts takes fractions as before. One test goes over gRPC to see the
// refusal reach the worker's session as an Error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "src/common/packing.h"
#include "src/server/parameter_store.h"
#include "src/server/shard_core.h"
#include "tests/server/shard_test_util.h"

namespace gaia::server {
namespace {

using ::testing::AllOf;
using ::testing::Each;
using ::testing::HasSubstr;
using testing::DenseDelta;

constexpr char kJob[] = "counts-job";
constexpr uint32_t kWords = 0, kTotals = 1, kWeights = 2;  // table ids
constexpr uint32_t kTopics = 4;
constexpr float kMax = common::kMaxCount;  // 2^24

std::vector<common::TableSpec> Tables() {
  common::TableSpec words{.name = "word_topic", .rows = 8, .width = kTopics};
  words.counts = true;
  common::TableSpec totals{.name = "topic_totals", .rows = 1, .width = kTopics};
  totals.counts = true;
  common::TableSpec weights{.name = "weights", .rows = 4, .width = 2};
  return {words, totals, weights};
}

// One sparse row of (column, value) entries.
rpc::TableDelta SparseDelta(uint32_t table_id, uint64_t row,
                            const std::vector<common::SparseEntry>& entries) {
  rpc::TableDelta delta;
  delta.set_table_id(table_id);
  common::AppendPacked<uint64_t>(delta.mutable_sparse_row_ids(), row);
  common::AppendPacked<uint32_t>(delta.mutable_sparse_row_nnz(),
                                 static_cast<uint32_t>(entries.size()));
  for (const common::SparseEntry& e : entries) {
    common::AppendPacked<common::SparseEntry>(delta.mutable_sparse_entries(), e);
  }
  return delta;
}

rpc::PushBatch Batch(int64_t clock, std::vector<rpc::TableDelta> deltas) {
  rpc::PushBatch batch;
  batch.set_clock(clock);
  for (rpc::TableDelta& d : deltas) *batch.add_tables() = std::move(d);
  return batch;
}

// A shard core of `workers` workers (BSP) over Tables(); with one worker a
// push is applied at once (the early path), with two it is buffered.
class CountsPush : public ::testing::TestWithParam<uint32_t> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ParameterStore>> store = ParameterStore::Create(Tables(), 0, 1);
    ASSERT_TRUE(store.ok()) << store.status();
    ShardCore::Options options;
    options.job_id = kJob;
    options.num_workers = GetParam();
    core_ = std::make_unique<ShardCore>(options, std::move(*store));
  }

  // Every worker moves to clock + 1: what was pushed for `clock` is visible.
  void TickAll(int64_t clock) {
    for (uint32_t w = 0; w < GetParam(); ++w) ASSERT_TRUE(core_->Tick(w, clock + 1).ok());
  }

  std::vector<float> Values(uint32_t table_id) {
    absl::StatusOr<rpc::DumpReply> dump = core_->Dump(table_id);
    EXPECT_TRUE(dump.ok()) << dump.status();
    return dump.ok() ? common::Unpack<float>(dump->values()) : std::vector<float>();
  }

  float At(uint32_t table_id, uint64_t row, uint32_t col) {
    const uint32_t width = Tables()[table_id].width;
    return Values(table_id).at(row * width + col);
  }

  std::unique_ptr<ShardCore> core_;
};

TEST_P(CountsPush, FractionIsRefusedNamingTableRowColumnAndNothingChanges) {
  // Whole counts for word_topic and a weights row in the same batch as a
  // fractional topic total: all of it is refused.
  const absl::Status sparse = core_->Push(
      0, Batch(0, {DenseDelta(kWeights, {1}, {0.5f, 0.25f}),
                   DenseDelta(kWords, {2}, {1, 2, 3, 4}),
                   SparseDelta(kTotals, 0, {{0, 10.0f}, {3, 0.5f}})}));
  EXPECT_EQ(sparse.code(), absl::StatusCode::kInvalidArgument) << sparse;
  EXPECT_THAT(std::string(sparse.message()),
              AllOf(HasSubstr("topic_totals"), HasSubstr("row 0"), HasSubstr("column 3"),
                    HasSubstr("not a whole number")));

  // A dense fraction, after a valid delta of the same table.
  const absl::Status dense = core_->Push(
      0, Batch(0, {DenseDelta(kWords, {1}, {1, 1, 1, 1}),
                   DenseDelta(kWords, {5}, {1, 0, -1.5f, 0}),
                   DenseDelta(kTotals, {0}, {2, 1, 0, 0})}));
  EXPECT_EQ(dense.code(), absl::StatusCode::kInvalidArgument) << dense;
  EXPECT_THAT(std::string(dense.message()),
              AllOf(HasSubstr("word_topic"), HasSubstr("row 5"), HasSubstr("column 2")));

  // Not a number is not a count either.
  const absl::Status nan = core_->Push(
      0, Batch(0, {SparseDelta(kWords, 7, {{1, std::numeric_limits<float>::quiet_NaN()}})}));
  EXPECT_EQ(nan.code(), absl::StatusCode::kInvalidArgument) << nan;
  EXPECT_THAT(std::string(nan.message()), AllOf(HasSubstr("word_topic"), HasSubstr("row 7")));

  TickAll(0);
  EXPECT_THAT(Values(kWords), Each(0.0f));
  EXPECT_THAT(Values(kTotals), Each(0.0f));
  EXPECT_THAT(Values(kWeights), Each(0.0f));
}

TEST_P(CountsPush, PastTwoToThe24IsRefusedAndNothingChanges) {
  ASSERT_TRUE(core_->Push(0, Batch(0, {DenseDelta(kTotals, {0}, {kMax - 1, 0, 0, -kMax})}))
                  .ok());
  TickAll(0);
  ASSERT_EQ(At(kTotals, 0, 0), kMax - 1);

  // +2 on top of 2^24 - 1, with a word count and a weight in the same batch.
  const absl::Status over = core_->Push(
      0, Batch(1, {DenseDelta(kWords, {4}, {1, 0, 0, 0}), DenseDelta(kWeights, {0}, {0.5f, 0}),
                   SparseDelta(kTotals, 0, {{0, 2}})}));
  EXPECT_EQ(over.code(), absl::StatusCode::kInvalidArgument) << over;
  EXPECT_THAT(std::string(over.message()),
              AllOf(HasSubstr("topic_totals"), HasSubstr("row 0"), HasSubstr("column 0"),
                    HasSubstr("beyond")));
  // Below -2^24, in another column.
  const absl::Status under =
      core_->Push(0, Batch(1, {DenseDelta(kTotals, {0}, {0, 0, 0, -1})}));
  EXPECT_EQ(under.code(), absl::StatusCode::kInvalidArgument) << under;
  EXPECT_THAT(std::string(under.message()),
              AllOf(HasSubstr("topic_totals"), HasSubstr("column 3")));
  // A single delta beyond the bound, whatever is stored.
  const absl::Status huge =
      core_->Push(0, Batch(1, {SparseDelta(kWords, 6, {{2, 2 * kMax}})}));
  EXPECT_EQ(huge.code(), absl::StatusCode::kInvalidArgument) << huge;
  EXPECT_THAT(std::string(huge.message()),
              AllOf(HasSubstr("word_topic"), HasSubstr("row 6"), HasSubstr("column 2")));
  TickAll(1);
  EXPECT_EQ(Values(kTotals), (std::vector<float>{kMax - 1, 0, 0, -kMax}));
  EXPECT_THAT(Values(kWords), Each(0.0f));
  EXPECT_THAT(Values(kWeights), Each(0.0f));

  // Exactly 2^24 is still a count.
  EXPECT_TRUE(core_->Push(0, Batch(2, {SparseDelta(kTotals, 0, {{0, 1}})})).ok());
  TickAll(2);
  EXPECT_EQ(At(kTotals, 0, 0), kMax);
}

// One push that names an element twice (a dense row and a sparse row of the
// same table, or the row twice): the bound holds for their sum, not for each
// part against the stored value alone.
TEST_P(CountsPush, OnePushNamingAnElementTwiceIsCheckedForTheSum) {
  ASSERT_TRUE(core_->Push(0, Batch(0, {DenseDelta(kTotals, {0}, {kMax - 1, 0, 0, 0})})).ok());
  TickAll(0);
  const absl::Status twice = core_->Push(
      0, Batch(1, {DenseDelta(kTotals, {0}, {1, 0, 0, 0}), SparseDelta(kTotals, 0, {{0, 1}})}));
  EXPECT_EQ(twice.code(), absl::StatusCode::kInvalidArgument) << twice;
  const absl::Status rows = core_->Push(
      0, Batch(1, {DenseDelta(kTotals, {0, 0}, {1, 0, 0, 0, 1, 0, 0, 0})}));
  EXPECT_EQ(rows.code(), absl::StatusCode::kInvalidArgument) << rows;
  TickAll(1);
  // 2^24 - 1 + 2 is not a float32: had either push gone in, the count would
  // have been rounded to 2^24 or 2^24 + 2 with no error anywhere.
  EXPECT_EQ(At(kTotals, 0, 0), kMax - 1);
}

TEST_P(CountsPush, WholeNumbersAreAddedExactly) {
  // Over 20 clocks every worker adds +-1s and large whole numbers, dense and
  // sparse; float32 sums of them stay exact below 2^24 in any order.
  double expected_total = 0, expected_word = 0;
  for (int64_t clock = 0; clock < 20; ++clock) {
    for (uint32_t w = 0; w < GetParam(); ++w) {
      const float big = static_cast<float>(40009 * (clock + 1) + w);
      ASSERT_TRUE(core_->Push(w, Batch(clock, {DenseDelta(kWords, {3}, {1, -1, big, 0}),
                                               SparseDelta(kTotals, 0, {{1, big}, {2, 1}})}))
                      .ok());
      expected_word += big;
      expected_total += big;
    }
    TickAll(clock);
  }
  EXPECT_EQ(At(kWords, 3, 0), 20.0f * GetParam());
  EXPECT_EQ(At(kWords, 3, 1), -20.0f * GetParam());
  EXPECT_EQ(static_cast<double>(At(kWords, 3, 2)), expected_word);
  EXPECT_EQ(static_cast<double>(At(kTotals, 0, 1)), expected_total);
  EXPECT_EQ(At(kTotals, 0, 2), 20.0f * GetParam());
}

TEST_P(CountsPush, TableNotDeclaredCountsTakesFractions) {
  ASSERT_TRUE(core_->Push(0, Batch(0, {DenseDelta(kWeights, {2}, {0.25f, -1e-3f}),
                                       SparseDelta(kWeights, 3, {{1, 3e7f}})}))
                  .ok());
  TickAll(0);
  EXPECT_EQ(At(kWeights, 2, 0), 0.25f);
  EXPECT_EQ(At(kWeights, 2, 1), -1e-3f);
  EXPECT_EQ(At(kWeights, 3, 1), 3e7f);
}

INSTANTIATE_TEST_SUITE_P(AppliedAtOnceOrBuffered, CountsPush, ::testing::Values(1u, 2u),
                         [](const ::testing::TestParamInfo<uint32_t>& info) {
                           return info.param == 1 ? "OneWorker" : "TwoWorkers";
                         });

// Over gRPC: the worker's session gets an INVALID_ARGUMENT Error for the
// push's clock, the session stays usable, and the table is unchanged.
TEST(CountsPushSession, RefusalReachesTheWorkerAsAnErrorAndTheSessionGoesOn) {
  ShardOptions options;
  options.job_id = kJob;
  options.tables = Tables();
  options.num_workers = 1;
  options.listen_address = "127.0.0.1:0";
  std::unique_ptr<ShardServer> server = testing::StartOrFail(options);
  ASSERT_NE(server, nullptr);
  testing::TestSession session(server->port());
  std::optional<rpc::ShardMessage> hello = session.Hello(kJob, 0);
  ASSERT_TRUE(hello.has_value() && hello->has_hello());

  ASSERT_TRUE(session.Push(0, {DenseDelta(kWords, {1}, {1, 0.5f, 0, 0})}));
  const std::vector<rpc::ShardMessage> errors = session.Sync();
  ASSERT_EQ(errors.size(), 1u);
  ASSERT_TRUE(errors[0].has_error()) << errors[0].DebugString();
  EXPECT_EQ(errors[0].error().code(), rpc::Error::INVALID_ARGUMENT);
  EXPECT_EQ(errors[0].error().push_clock(), 0);
  EXPECT_THAT(errors[0].error().message(),
              AllOf(HasSubstr("word_topic"), HasSubstr("row 1"), HasSubstr("column 1")));

  ASSERT_TRUE(session.Push(0, {DenseDelta(kWords, {1}, {1, 2, 0, 0})}));
  ASSERT_TRUE(session.Tick(1));
  std::optional<rpc::ShardMessage> read = session.Read(1, kWords, {1}, 1);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(testing::ReadValues(*read), (std::vector<float>{1, 2, 0, 0}));
  EXPECT_TRUE(session.Goodbye(1));
  EXPECT_TRUE(session.Close().ok());
}

}  // namespace
}  // namespace gaia::server
