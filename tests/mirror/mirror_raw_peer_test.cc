// DC 0 facing a hand-written DC 1: a raw Mirror.Link client that speaks the
// wire protocol directly (proto/gaia.proto). DC 1's real mirror is pointed at
// a HelloCatcher, so the test owns the DC1 -> DC0 link and learns a valid
// hello (layout fingerprint included) from what the real mirror sends.
//
// Covers the selective barrier end to end (DESIGN.md §4.2.3) and "bad input
// never crashes a server or corrupts a table" (§5).
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gaia/worker.h"
#include "src/common/partition.h"
#include "src/mirror/delta_encoding.h"
#include "tests/mirror/geo_cluster.h"
#include "tests/mirror/mirror_test_util.h"

namespace gaia::testing {
namespace {

constexpr uint32_t kWidth = 4;
constexpr uint64_t kRows = 16;

class RawPeerTest : public ::testing::Test {
 protected:
  // 2 DCs x `shards` shards; DC 1 -> DC 0 links end at the catcher.
  void StartCluster(uint32_t shards, size_t max_message_bytes = 64 << 20) {
    ASSERT_TRUE(catcher_.ok());
    GeoCluster::Config config;
    config.num_dcs = 2;
    config.shards_per_dc = shards;
    config.tables = {Table("w", kRows, kWidth), Table("v", 8, 2)};
    config.ds = -1;  // keep the DS bound out of these tests
    config.max_message_bytes = max_message_bytes;
    const int catcher_port = catcher_.port();
    config.route = [catcher_port](uint32_t from, uint32_t to, uint32_t, int port) {
      return "127.0.0.1:" + std::to_string(from == 1 && to == 0 ? catcher_port : port);
    };
    cluster_ = std::make_unique<GeoCluster>(config);
    ASSERT_TRUE(cluster_->ok());
    std::optional<rpc::MirrorHello> hello = catcher_.Await(0, absl::Seconds(10));
    ASSERT_TRUE(hello.has_value()) << "DC 1's mirror never said hello";
    hello_ = *hello;
    ASSERT_EQ(hello_.job_id(), config.job_id);
    ASSERT_EQ(hello_.from_dc(), 1u);
    ASSERT_EQ(hello_.to_dc(), 0u);
    ASSERT_EQ(hello_.shard(), 0u);
    for (uint64_t row = 0; row < kRows; ++row) {
      (common::ShardOf(0, row, shards) == 0 ? owned_ : foreign_).push_back(row);
    }
    ASSERT_GE(owned_.size(), 2u);
  }

  mirror::Mirror& dc0() const { return cluster_->mirror(0, 0); }
  int port() const { return cluster_->mirror_port(0, 0); }
  rpc::MirrorLinkStats InLink() const { return LinkStats(dc0().GetStatus(), 1, false); }
  uint64_t RejectedPeers() const { return dc0().GetStatus().rejected_peers(); }
  float Value(uint64_t row, uint32_t col) const {
    return cluster_->TableValues(0, 0)[row * kWidth + col];
  }

  static rpc::MirrorBatch Batch(uint64_t seq, std::vector<rpc::TableDelta> deltas) {
    rpc::MirrorBatch batch;
    batch.set_seq(seq);
    for (auto& d : deltas) *batch.add_updates() = std::move(d);
    return batch;
  }

  // A hello refused: an error reply, the stream ends, one more rejected
  // peer, nothing changed.
  void ExpectHelloRefused(const rpc::MirrorHello& hello) {
    const uint64_t rejected = RejectedPeers();
    const std::vector<float> before = cluster_->TableValues(0, 0);
    RawLink link(port());
    rpc::Error error;
    EXPECT_FALSE(link.Open(hello, &error).has_value());
    EXPECT_FALSE(error.message().empty());
    EXPECT_FALSE(link.Finish().ok());
    EXPECT_EQ(RejectedPeers(), rejected + 1);
    EXPECT_EQ(cluster_->TableValues(0, 0), before);
  }

  // A batch with one bad delta (and a good one) is refused as a whole: the
  // sequence number is consumed and acknowledged, the in-link counts one
  // rejected message, the table is untouched, and the stream goes on.
  void ExpectBatchRejected(rpc::TableDelta bad) {
    const rpc::MirrorLinkStats stats = InLink();
    const std::vector<float> before = cluster_->TableValues(0, 0);
    RawLink link(port());
    const std::optional<uint64_t> seq = link.Open(hello_);
    ASSERT_TRUE(seq.has_value());
    rpc::MirrorBatch batch =
        Batch(*seq, {SparseDelta(0, {owned_[0]}, {0}, {100.0f}), std::move(bad)});
    EXPECT_EQ(link.SendAndAwaitAck(batch), *seq);
    EXPECT_EQ(InLink().rejected(), stats.rejected() + 1);
    EXPECT_EQ(cluster_->TableValues(0, 0), before);
    // The same stream still applies good batches.
    EXPECT_EQ(link.SendAndAwaitAck(Batch(*seq + 1, {SparseDelta(0, {owned_[1]}, {1}, {2.0f})})),
              *seq + 1);
    EXPECT_FLOAT_EQ(Value(owned_[1], 1), before[owned_[1] * kWidth + 1] + 2.0f);
    link.Finish();
  }

  // A fresh stream is welcomed at the right sequence number and applies.
  void ExpectGoodStreamAccepted(uint64_t want_next_seq) {
    const float before = Value(owned_[0], 2);
    RawLink link(port());
    const std::optional<uint64_t> seq = link.Open(hello_);
    ASSERT_TRUE(seq.has_value()) << "a good hello was refused";
    EXPECT_EQ(*seq, want_next_seq);
    EXPECT_EQ(link.SendAndAwaitAck(Batch(*seq, {SparseDelta(0, {owned_[0]}, {2}, {0.5f})})),
              *seq);
    EXPECT_FLOAT_EQ(Value(owned_[0], 2), before + 0.5f);
    link.Finish();
  }

  HelloCatcher catcher_;
  std::unique_ptr<GeoCluster> cluster_;
  rpc::MirrorHello hello_;
  std::vector<uint64_t> owned_, foreign_;  // rows of table 0 by DC 0 shard 0
};

TEST_F(RawPeerTest, BarrierBlocksExactlyItsRowUntilTheBatchReleasesIt) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(1));
  const uint64_t r = 3, other = 5;
  const std::vector<float> initial = cluster_->TableValues(0, 0);

  RawLink link(port());
  ASSERT_EQ(link.Open(hello_), std::optional<uint64_t>(1));

  WorkerOptions options = cluster_->Options(0, 0);
  options.read_timeout_ms = 10000;
  auto worker = Worker::Connect(options);
  ASSERT_TRUE(worker.ok()) << worker.status();
  auto table = (*worker)->GetTable("w");
  ASSERT_TRUE(table.ok());

  rpc::AspBarrier barrier;  // as mirrors send it: varint row ids
  barrier.set_barrier_id(1);
  barrier.set_table_id(0);
  barrier.set_varint_row_ids(true);
  uint64_t last = 0;
  mirror::AppendVarintRowId(barrier.mutable_row_ids(), r, &last);
  ASSERT_TRUE(link.Send(barrier));
  ASSERT_TRUE(WaitFor([&] { return dc0().gate()->blocked_rows() == 1; }, absl::Seconds(10)));
  EXPECT_EQ(InLink().barriers(), 1u);

  std::atomic<bool> done{false};
  std::vector<float> blocked_row(kWidth);
  absl::Status blocked_status;
  std::thread reader([&] {
    blocked_status = table->Get(r, blocked_row);
    done = true;
  });
  // Another row, and the same row id of another table, are served at once.
  std::vector<float> row(kWidth);
  ASSERT_TRUE(table->Get(other, row).ok());
  EXPECT_EQ(row[0], initial[other * kWidth]);
  auto table_v = (*worker)->GetTable("v");
  ASSERT_TRUE(table_v.ok());
  std::vector<float> row_v(2);
  EXPECT_TRUE(table_v->Get(r % 8, row_v).ok());
  // The barrier's row is not (give it a generous moment to come wrongly).
  EXPECT_FALSE(WaitFor([&] { return done.load(); }, absl::Milliseconds(300)));

  rpc::MirrorBatch batch = Batch(1, {SparseDelta(0, {r}, {0}, {10.0f})});
  batch.set_barriers_through(1);
  EXPECT_EQ(link.SendAndAwaitAck(batch), std::optional<uint64_t>(1));
  ASSERT_TRUE(WaitFor([&] { return done.load(); }, absl::Seconds(10)));
  reader.join();
  ASSERT_TRUE(blocked_status.ok()) << blocked_status;
  EXPECT_FLOAT_EQ(blocked_row[0], initial[r * kWidth] + 10.0f);  // the update is visible
  EXPECT_EQ(blocked_row[1], initial[r * kWidth + 1]);
  EXPECT_EQ(dc0().gate()->blocked_rows(), 0u);
  const rpc::MirrorLinkStats in = InLink();
  EXPECT_GT(in.barrier_blocked_s(), 0.0);
  EXPECT_EQ(in.elements(), 1u);
  EXPECT_TRUE((*worker)->Finish().ok());
  link.Finish();
}

TEST_F(RawPeerTest, WrongFingerprintRefusedRightOneWelcomed) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(2));
  rpc::MirrorHello hello = hello_;
  hello.set_layout_fingerprint(hello_.layout_fingerprint() + 1);
  ExpectHelloRefused(hello);
  ExpectGoodStreamAccepted(1);
}

TEST_F(RawPeerTest, HelloOfAnotherJobRefused) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(2));
  rpc::MirrorHello hello = hello_;
  hello.set_job_id("another-job");
  ExpectHelloRefused(hello);
  ExpectGoodStreamAccepted(1);
}

TEST_F(RawPeerTest, HelloForWrongShardOrDcRefused) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(2));
  rpc::MirrorHello hello = hello_;
  hello.set_shard(1);
  ExpectHelloRefused(hello);
  hello = hello_;
  hello.set_to_dc(1);
  ExpectHelloRefused(hello);
  hello = hello_;
  hello.set_from_dc(0);  // DC 0 itself
  ExpectHelloRefused(hello);
  hello = hello_;
  hello.set_from_dc(7);  // no such DC
  ExpectHelloRefused(hello);
  ExpectGoodStreamAccepted(1);
}

TEST_F(RawPeerTest, BatchBeforeHelloRefused) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(2));
  const uint64_t rejected = RejectedPeers();
  const std::vector<float> before = cluster_->TableValues(0, 0);
  RawLink link(port());
  EXPECT_FALSE(link.SendAndAwaitAck(Batch(1, {SparseDelta(0, {owned_[0]}, {0}, {1.0f})})));
  EXPECT_FALSE(link.Finish().ok());
  EXPECT_EQ(RejectedPeers(), rejected + 1);
  EXPECT_EQ(cluster_->TableValues(0, 0), before);
  ExpectGoodStreamAccepted(1);
}

TEST_F(RawPeerTest, UnknownTableRejected) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(2));
  ExpectBatchRejected(SparseDelta(9, {0}, {0}, {1.0f}));
  ExpectGoodStreamAccepted(3);  // two batches were consumed above
}

TEST_F(RawPeerTest, RowNotOwnedOrOutOfRangeRejected) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(2));
  ASSERT_FALSE(foreign_.empty());
  ExpectBatchRejected(SparseDelta(0, {foreign_[0]}, {0}, {1.0f}));
  ExpectBatchRejected(SparseDelta(0, {kRows}, {0}, {1.0f}));
  ExpectBatchRejected(SparseDelta(0, {~uint64_t{0}}, {0}, {1.0f}));
  ExpectGoodStreamAccepted(7);
}

TEST_F(RawPeerTest, ColumnBeyondWidthRejected) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(2));
  ExpectBatchRejected(SparseDelta(0, {owned_[0]}, {kWidth}, {1.0f}));
  ExpectBatchRejected(SparseDelta(1, {0}, {2}, {1.0f}));  // table v has width 2
  ExpectGoodStreamAccepted(5);
}

TEST_F(RawPeerTest, TruncatedPackedFieldsRejected) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(2));
  rpc::TableDelta entries = SparseDelta(0, {owned_[0]}, {0}, {1.0f});
  entries.mutable_sparse_entries()->resize(7);  // not a multiple of 8
  ExpectBatchRejected(entries);
  rpc::TableDelta ids = SparseDelta(0, {owned_[0]}, {0}, {1.0f});
  ids.mutable_sparse_row_ids()->resize(5);
  ExpectBatchRejected(ids);
  rpc::TableDelta nnz = SparseDelta(0, {owned_[0]}, {0}, {1.0f});
  nnz.mutable_sparse_row_nnz()->push_back('\0');
  ExpectBatchRejected(nnz);
  rpc::TableDelta more = SparseDelta(0, {owned_[0]}, {0}, {1.0f});
  common::AppendPacked<uint32_t>(more.mutable_sparse_row_nnz(), 0);  // nnz past the rows
  ExpectBatchRejected(more);
  ExpectGoodStreamAccepted(9);
}

// Dense rows are legal in mirror batches (the outbox sends mostly-full rows
// dense) but must have exactly width floats per row.
TEST_F(RawPeerTest, DenseUpdatesOfTheWrongSizeRejected) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(2));
  rpc::TableDelta dense;
  dense.set_table_id(0);
  common::AppendPacked<uint64_t>(dense.mutable_dense_row_ids(), owned_[0]);
  for (uint32_t c = 0; c < kWidth; ++c) {
    common::AppendPacked<float>(dense.mutable_dense_values(), 1.0f);
  }
  rpc::TableDelta short_row = dense;
  short_row.mutable_dense_values()->resize(kWidth * 4 - 4);
  ExpectBatchRejected(short_row);
  rpc::TableDelta truncated_id = dense;
  truncated_id.mutable_dense_row_ids()->resize(6);
  ExpectBatchRejected(truncated_id);
  rpc::TableDelta foreign = dense;
  foreign.set_dense_row_ids(std::string(8, '\0'));
  const uint64_t foreign_row = foreign_.at(0);
  std::memcpy(foreign.mutable_dense_row_ids()->data(), &foreign_row, 8);
  ExpectBatchRejected(foreign);

  // A well-formed dense row is applied in full.
  const std::vector<float> before = cluster_->TableValues(0, 0);
  RawLink link(port());
  const std::optional<uint64_t> seq = link.Open(hello_);
  ASSERT_EQ(seq, std::optional<uint64_t>(7));
  rpc::MirrorBatch batch;
  batch.set_seq(*seq);
  *batch.add_updates() = dense;
  EXPECT_EQ(link.SendAndAwaitAck(batch), *seq);
  const std::vector<float> after = cluster_->TableValues(0, 0);
  for (uint32_t c = 0; c < kWidth; ++c) {
    EXPECT_FLOAT_EQ(after[owned_[0] * kWidth + c], before[owned_[0] * kWidth + c] + 1.0f);
  }
  link.Finish();
  ExpectGoodStreamAccepted(8);
}

// Compact deltas (binary16 values, varint row ids, bitmaps, ternary rows) are
// decoded before the store sees them; a malformed one is rejected like any
// other bad delta.
TEST_F(RawPeerTest, CompactDeltasAppliedAndMalformedOnesRejected) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(2));
  auto compact = [this](uint32_t sparse_col, bool bitmap = false) {
    rpc::TableDelta delta;
    mirror::DeltaEncoding encoding;
    encoding.half = true;
    encoding.varint_ids = true;
    encoding.bitmap_sparse = bitmap;
    mirror::DeltaWriter writer(&delta, 0, kWidth, encoding);
    writer.AddDenseRow(owned_[0], std::vector<float>{0.5f, -1.0f, 0.0f, 2.0f});
    writer.AddSparseRow(owned_[1], std::vector<uint32_t>{sparse_col}, std::vector<float>{0.25f});
    return delta;
  };
  const rpc::TableDelta half = compact(3);

  rpc::TableDelta odd = half;
  odd.mutable_dense_values()->pop_back();
  ExpectBatchRejected(odd);
  ExpectBatchRejected(compact(kWidth));  // column == width
  rpc::TableDelta truncated = half;
  truncated.mutable_dense_row_ids()->back() |= '\x80';  // the id's varint never ends
  ExpectBatchRejected(truncated);
  rpc::TableDelta wide_bitmap = compact(0, /*bitmap=*/true);
  (*wide_bitmap.mutable_sparse_entries())[0] = static_cast<char>(1u << kWidth);  // column 4
  ExpectBatchRejected(wide_bitmap);
  // A ternary row: bitmap (1 byte), scale byte, sign bits.
  rpc::TableDelta ternary;
  {
    mirror::DeltaEncoding encoding;
    encoding.varint_ids = true;
    encoding.bitmap_sparse = true;
    encoding.ternary = true;
    mirror::DeltaWriter writer(&ternary, 0, kWidth, encoding);
    writer.AddSparseRow(owned_[1], std::vector<uint32_t>{0, 1}, std::vector<float>{0.75f, -0.75f});
  }
  ASSERT_EQ(ternary.sparse_entries().size(), 3u);
  rpc::TableDelta bad_scale = ternary;
  (*bad_scale.mutable_sparse_entries())[1] = '\x7c';  // infinity
  ExpectBatchRejected(bad_scale);
  rpc::TableDelta no_signs = ternary;
  no_signs.mutable_sparse_entries()->pop_back();
  ExpectBatchRejected(no_signs);

  const std::vector<float> before = cluster_->TableValues(0, 0);
  const uint64_t elements_before = InLink().elements();
  RawLink link(port());
  const std::optional<uint64_t> seq = link.Open(hello_);
  ASSERT_EQ(seq, std::optional<uint64_t>(13));
  EXPECT_EQ(link.SendAndAwaitAck(Batch(*seq, {half, ternary})), *seq);
  const std::vector<float> after = cluster_->TableValues(0, 0);
  const float dense[kWidth] = {0.5f, -1.0f, 0.0f, 2.0f};
  for (uint32_t c = 0; c < kWidth; ++c) {
    EXPECT_EQ(after[owned_[0] * kWidth + c], before[owned_[0] * kWidth + c] + dense[c]);
  }
  EXPECT_EQ(after[owned_[1] * kWidth + 3], before[owned_[1] * kWidth + 3] + 0.25f);
  EXPECT_EQ(after[owned_[1] * kWidth + 0], before[owned_[1] * kWidth + 0] + 0.75f);
  EXPECT_EQ(after[owned_[1] * kWidth + 1], before[owned_[1] * kWidth + 1] - 0.75f);
  EXPECT_EQ(InLink().elements(), elements_before + 7);  // the dense row counts whole
  link.Finish();
}

TEST_F(RawPeerTest, BadBarrierRejectedAndBlocksNothing) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(2));
  RawLink link(port());
  const std::optional<uint64_t> seq = link.Open(hello_);
  ASSERT_TRUE(seq.has_value());
  auto barrier = [](uint64_t id, uint32_t table, std::string rows) {
    rpc::AspBarrier b;
    b.set_barrier_id(id);
    b.set_table_id(table);
    b.set_row_ids(std::move(rows));
    return b;
  };
  std::string owned, foreign;
  common::AppendPacked<uint64_t>(&owned, owned_[0]);
  common::AppendPacked<uint64_t>(&foreign, foreign_.at(0));
  ASSERT_TRUE(link.Send(barrier(1, 7, owned)));          // unknown table
  ASSERT_TRUE(link.Send(barrier(2, 0, foreign)));        // row not here
  ASSERT_TRUE(link.Send(barrier(3, 0, owned + "abc")));  // truncated
  rpc::AspBarrier unterminated = barrier(4, 0, "\x02\x85");  // a varint that never ends
  unterminated.set_varint_row_ids(true);
  ASSERT_TRUE(link.Send(unterminated));
  rpc::AspBarrier too_long = barrier(5, 0, std::string(1024, '\xff'));  // 8192 rows
  too_long.set_row_bitmap(true);
  ASSERT_TRUE(link.Send(too_long));
  rpc::AspBarrier both = barrier(6, 0, "\x01");
  both.set_row_bitmap(true);
  both.set_varint_row_ids(true);
  ASSERT_TRUE(link.Send(both));
  ASSERT_TRUE(WaitFor([&] { return InLink().rejected() == 6; }, absl::Seconds(10)));
  EXPECT_EQ(dc0().gate()->blocked_rows(), 0u);
  EXPECT_EQ(InLink().barriers(), 0u);
  // The stream still works, and a good row bitmap blocks exactly its rows.
  const uint64_t a = std::min(owned_[0], owned_[1]), b = std::max(owned_[0], owned_[1]);
  std::string bits((b - a) / 8 + 1, '\0');
  bits[0] = 1;
  bits[(b - a) / 8] = static_cast<char>(bits[(b - a) / 8] | (1 << ((b - a) % 8)));
  rpc::AspBarrier good = barrier(7, 0, bits);
  good.set_row_bitmap(true);
  good.set_row_base(a);
  ASSERT_TRUE(link.Send(good));
  ASSERT_TRUE(WaitFor([&] { return dc0().gate()->blocked_rows() == 2; }, absl::Seconds(10)));
  EXPECT_EQ(InLink().barriers(), 1u);
  rpc::MirrorBatch release = Batch(*seq, {SparseDelta(0, {owned_[0]}, {0}, {1.0f})});
  release.set_barriers_through(7);
  EXPECT_EQ(link.SendAndAwaitAck(release), *seq);
  EXPECT_EQ(dc0().gate()->blocked_rows(), 0u);
  link.Finish();
}

TEST_F(RawPeerTest, DuplicateSeqAckedAgainNotReapplied) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(2));
  const float before = Value(owned_[0], 3);
  RawLink link(port());
  const std::optional<uint64_t> seq = link.Open(hello_);
  ASSERT_EQ(seq, std::optional<uint64_t>(1));
  const rpc::MirrorBatch batch = Batch(1, {SparseDelta(0, {owned_[0]}, {3}, {4.0f})});
  EXPECT_EQ(link.SendAndAwaitAck(batch), std::optional<uint64_t>(1));
  EXPECT_EQ(link.SendAndAwaitAck(batch), std::optional<uint64_t>(1));  // acked again
  EXPECT_EQ(InLink().duplicates(), 1u);
  EXPECT_FLOAT_EQ(Value(owned_[0], 3), before + 4.0f);  // added once
  link.Finish();
  // A re-send after a reconnect is a duplicate too.
  RawLink again(port());
  ASSERT_EQ(again.Open(hello_), std::optional<uint64_t>(2));
  EXPECT_EQ(again.SendAndAwaitAck(batch), std::optional<uint64_t>(1));
  EXPECT_EQ(InLink().duplicates(), 2u);
  EXPECT_FLOAT_EQ(Value(owned_[0], 3), before + 4.0f);
  again.Finish();
  ExpectGoodStreamAccepted(2);
}

TEST_F(RawPeerTest, SequenceGapEndsTheStream) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(2));
  const std::vector<float> before = cluster_->TableValues(0, 0);
  RawLink link(port());
  ASSERT_EQ(link.Open(hello_), std::optional<uint64_t>(1));
  rpc::Error error;
  EXPECT_FALSE(
      link.SendAndAwaitAck(Batch(4, {SparseDelta(0, {owned_[0]}, {0}, {1.0f})}), &error));
  EXPECT_NE(error.message().find("gap"), std::string::npos) << error.message();
  EXPECT_FALSE(link.Finish().ok());
  EXPECT_EQ(InLink().rejected(), 1u);
  EXPECT_EQ(cluster_->TableValues(0, 0), before);
  ExpectGoodStreamAccepted(1);  // the gap consumed nothing
}

TEST_F(RawPeerTest, OversizedMessageRefused) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(2, /*max_message_bytes=*/2048));
  const std::vector<float> before = cluster_->TableValues(0, 0);
  RawLink link(port());
  ASSERT_EQ(link.Open(hello_), std::optional<uint64_t>(1));
  // Valid content, ~13 KB: the same row 300 times.
  const std::vector<uint64_t> rows(300, owned_[0]);
  const rpc::MirrorBatch big = Batch(1, {SparseDelta(0, rows, {0, 1, 2, 3}, {1, 1, 1, 1})});
  ASSERT_GT(big.ByteSizeLong(), 2048u);
  rpc::Error error;
  EXPECT_FALSE(link.SendAndAwaitAck(big, &error));
  EXPECT_NE(error.message().find("limit"), std::string::npos) << error.message();
  EXPECT_FALSE(link.Finish().ok());
  EXPECT_EQ(InLink().rejected(), 1u);
  EXPECT_EQ(cluster_->TableValues(0, 0), before);
  ExpectGoodStreamAccepted(1);  // not consumed either
}

}  // namespace
}  // namespace gaia::testing
