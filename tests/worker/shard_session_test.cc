// ShardSession against a real in-process shard: what it knows about the
// bytes the shard has yet to take in ahead of a read (BytesAheadOf), which
// decides whether a reader polls for its reply (worker_read.cc).
#include "src/worker/shard_session.h"

#include <cstring>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "src/common/byte_buffer.h"
#include "tests/worker/test_cluster.h"

namespace gaia::internal {
namespace {

constexpr absl::Duration kWait = absl::Seconds(20);

std::string PackedRow(uint64_t row) {
  std::string packed(sizeof(row), '\0');
  std::memcpy(packed.data(), &row, sizeof(row));
  return packed;
}

// A dense push of `rows` rows of `width` floats (rows 0..rows-1) in `clock`.
rpc::WorkerMessage DensePush(int64_t clock, uint64_t rows, uint32_t width) {
  rpc::WorkerMessage message;
  rpc::PushBatch* batch = message.mutable_push();
  batch->set_clock(clock);
  rpc::TableDelta* delta = batch->add_tables();
  delta->set_table_id(0);
  std::string ids;
  for (uint64_t r = 0; r < rows; ++r) ids += PackedRow(r);
  delta->set_dense_row_ids(std::move(ids));
  delta->set_dense_values(std::string(rows * width * sizeof(float), '\0'));
  return message;
}

// ClockTick(clock): the worker left clock - 1.
rpc::WorkerMessage Tick(int64_t clock) {
  rpc::WorkerMessage message;
  message.mutable_clock()->set_clock(clock);
  return message;
}

// The Hello of worker 0 of the test cluster's job.
rpc::Hello TestHello() {
  rpc::Hello hello;
  hello.set_job_id("worker-test");
  hello.set_worker_id(0);
  return hello;
}

// A session with the cluster's only shard, past its Hello (null on failure,
// with the test failed).
std::unique_ptr<ShardSession> StartSession(const testing::TestCluster& cluster) {
  const std::string& address = cluster.addresses()[0];
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      MakeShardChannel(address, absl::Now() + kWait, *common::LinkSecurity::Plaintext());
  EXPECT_TRUE(channel.ok()) << channel.status();
  if (!channel.ok()) return nullptr;
  std::unique_ptr<ShardSession> session = ShardSession::Start(*channel, address, TestHello());
  absl::StatusOr<rpc::HelloReply> reply = session->AwaitHello(absl::Now() + kWait);
  EXPECT_TRUE(reply.ok()) << reply.status();
  return reply.ok() ? std::move(session) : nullptr;
}

void ExpectAnswered(const std::shared_ptr<PendingRead>& read) {
  ASSERT_TRUE(read->done.WaitForNotificationWithDeadline(absl::Now() + kWait));
  ASSERT_TRUE(read->status.ok()) << read->status;
}

TEST(ShardSession, BytesAheadOfAReadCountOnlyWhatFollowsTheNewestAnswer) {
  testing::TestCluster cluster({.tables = {testing::ZeroTable("t", 4096, 256)}, .num_shards = 1});
  ASSERT_TRUE(cluster.ok());
  std::unique_ptr<ShardSession> session = StartSession(cluster);
  ASSERT_TRUE(session);
  rpc::WorkerMessage hello;
  *hello.mutable_hello() = TestHello();
  const uint64_t hello_bytes = common::SerializeToByteBuffer(hello).Length();

  // Each read asks for a clock the shard has not reached, so it stays
  // unanswered (held at the shard) until the tick that releases it: the
  // checks before that tick cannot race with the answer.
  // Nothing answered yet: the Hello is ahead of the first read.
  auto first = session->Read(0, PackedRow(1), /*min_clock=*/1);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ((*first)->stream_offset, hello_bytes);
  EXPECT_EQ(session->BytesAheadOf(**first), hello_bytes);

  // Clock 0's pushes and its tick, which answers the first read.
  const rpc::WorkerMessage push = DensePush(/*clock=*/0, /*rows=*/1024, /*width=*/256);
  const uint64_t push_bytes = common::SerializeToByteBuffer(push).Length();
  ASSERT_GT(push_bytes, 1024u * 256 * sizeof(float));
  ASSERT_TRUE(session->Send(push).ok());
  ASSERT_TRUE(session->Send(Tick(1)).ok());
  ASSERT_NO_FATAL_FAILURE(ExpectAnswered(*first));
  EXPECT_EQ(session->BytesAheadOf(**first), 0u);

  // Everything sent after the newest answered request is ahead of a read:
  // that request itself, the pushes and the tick.
  auto second = session->Read(0, PackedRow(2), /*min_clock=*/2);
  ASSERT_TRUE(second.ok()) << second.status();
  const uint64_t ahead = (*second)->stream_offset - (*first)->stream_offset;
  EXPECT_GT(ahead, push_bytes);
  EXPECT_LT(ahead, push_bytes + 128);
  EXPECT_EQ(session->BytesAheadOf(**second), ahead);
  ASSERT_TRUE(session->Send(Tick(2)).ok());
  ASSERT_NO_FATAL_FAILURE(ExpectAnswered(*second));

  // Reads with only a tick between them: little is ahead.
  auto third = session->Read(0, PackedRow(3), /*min_clock=*/3);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(session->BytesAheadOf(**third), (*third)->stream_offset - (*second)->stream_offset);
  EXPECT_LT(session->BytesAheadOf(**third), 64u);
  ASSERT_TRUE(session->Send(Tick(3)).ok());
  ASSERT_NO_FATAL_FAILURE(ExpectAnswered(*third));

  // An answer never moves the mark back, and nothing is ahead of an
  // answered read.
  EXPECT_EQ(session->BytesAheadOf(**second), 0u);
  EXPECT_EQ(session->BytesAheadOf(**first), 0u);
  EXPECT_TRUE(session->Close(/*final_clock=*/3, absl::Now() + kWait).ok());
}

// A read that fails at the shard (an unknown table) is answered too: what
// was sent before it has been taken in.
TEST(ShardSession, AnErrorAnswerAlsoMovesTheMark) {
  testing::TestCluster cluster({.tables = {testing::ZeroTable("t", 64, 4)}, .num_shards = 1});
  ASSERT_TRUE(cluster.ok());
  std::unique_ptr<ShardSession> session = StartSession(cluster);
  ASSERT_TRUE(session);

  ASSERT_TRUE(session->Send(DensePush(/*clock=*/0, /*rows=*/64, /*width=*/4)).ok());
  ASSERT_TRUE(session->Send(Tick(1)).ok());
  auto bad = session->Read(/*table_id=*/7, PackedRow(1), /*min_clock=*/0);
  ASSERT_TRUE(bad.ok()) << bad.status();
  ASSERT_TRUE((*bad)->done.WaitForNotificationWithDeadline(absl::Now() + kWait));
  EXPECT_FALSE((*bad)->status.ok());
  EXPECT_EQ(session->BytesAheadOf(**bad), 0u);
  auto next = session->Read(0, PackedRow(1), /*min_clock=*/2);  // held until Tick(2)
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(session->BytesAheadOf(**next), (*next)->stream_offset - (*bad)->stream_offset);
  ASSERT_TRUE(session->Send(Tick(2)).ok());
  ASSERT_NO_FATAL_FAILURE(ExpectAnswered(*next));
  EXPECT_TRUE(session->Close(/*final_clock=*/2, absl::Now() + kWait).ok());
}

}  // namespace
}  // namespace gaia::internal
