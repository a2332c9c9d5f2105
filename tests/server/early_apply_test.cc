// The BSP fast path of ShardCore::Push: a push from the only worker still at
// its clock is added to the table at once, and no read may observe it before
// the shard clock passes that clock.
#include <gtest/gtest.h>

#include <vector>

#include "src/server/shard_server.h"
#include "tests/server/shard_test_util.h"

namespace gaia::server {
namespace {

using testing::DenseDelta;
using testing::TestSession;

constexpr char kJob[] = "job-early";

std::unique_ptr<ShardServer> Start(uint32_t num_workers, int32_t staleness) {
  return testing::StartOrFail(testing::SmallTableOptions(kJob, num_workers, staleness));
}

void Hello(TestSession& session, uint32_t worker) {
  std::optional<rpc::ShardMessage> reply = session.Hello(kJob, worker);
  ASSERT_TRUE(reply.has_value() && reply->has_hello());
}

std::vector<float> Values(const rpc::ShardMessage& message) {
  return testing::ReadValues(message);
}

TEST(EarlyApply, SingleWorkerPushIsAppliedAtOnceButReadsWaitForTheTick) {
  auto server = Start(1, 0);
  ASSERT_NE(server, nullptr);
  TestSession w(server->port());
  Hello(w, 0);
  ASSERT_TRUE(w.Push(0, {DenseDelta(0, {3}, {1.0f, 2.0f})}));
  // A read of clock 0 sent after the push (e.g. by another app thread
  // before Clock() ticks) must not see it: it is parked, not answered.
  ASSERT_TRUE(w.SendRead(1, 0, {3}, 0));
  EXPECT_TRUE(w.Sync().empty()) << "read answered while clock-0 updates were applied early";
  EXPECT_EQ(server->Stats().pushes_applied_early, 1u);
  EXPECT_EQ(server->Stats().shard_clock, 0);

  ASSERT_TRUE(w.Tick(1));
  std::optional<rpc::ShardMessage> reply = w.WaitFor(1);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(Values(*reply), (std::vector<float>{1, 2}));
  EXPECT_EQ(reply->read().shard_clock(), 1);  // exactly the updates of clocks < 1
  // Once the clock passed, reads are answered at once again.
  std::optional<rpc::ShardMessage> again = w.Read(2, 0, {3}, 1);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(Values(*again), (std::vector<float>{1, 2}));
}

TEST(EarlyApply, LastStragglerPushIsAppliedEarlyAndOthersSeeItOnlyAfterItsTick) {
  auto server = Start(2, 0);
  ASSERT_NE(server, nullptr);
  TestSession w0(server->port()), w1(server->port());
  Hello(w0, 0);
  Hello(w1, 1);

  // Worker 0 finishes clock 0 first: its push must be buffered (worker 1
  // still reads clock 0).
  ASSERT_TRUE(w0.Push(0, {DenseDelta(0, {3}, {1.0f, 1.0f})}));
  ASSERT_TRUE(w0.Tick(1));
  EXPECT_TRUE(w0.Sync().empty());
  EXPECT_EQ(server->Stats().pushes_applied_early, 0u);
  std::optional<rpc::ShardMessage> before = w1.Read(1, 0, {3}, 0);
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(Values(*before), (std::vector<float>{0, 0}));

  // Worker 0 waits for clock 1; worker 1, the last at clock 0, pushes.
  ASSERT_TRUE(w0.SendRead(2, 0, {3}, 1));
  ASSERT_TRUE(w1.Push(0, {DenseDelta(0, {3}, {10.0f, 20.0f})}));
  ASSERT_TRUE(w1.SendRead(3, 0, {3}, 0));  // clock-0 read racing its own tick
  EXPECT_TRUE(w1.Sync().empty());
  EXPECT_TRUE(w0.Sync().empty());
  EXPECT_EQ(server->Stats().pushes_applied_early, 1u);

  ASSERT_TRUE(w1.Tick(1));
  for (TestSession* session : {&w0, &w1}) {
    std::optional<rpc::ShardMessage> reply = session->WaitFor(session == &w0 ? 2 : 3);
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(Values(*reply), (std::vector<float>{11, 21}));
    EXPECT_EQ(reply->read().shard_clock(), 1);
  }
}

TEST(EarlyApply, OnceEveryHolderPushedTheClockItsPushesGoInAtOnce) {
  auto server = Start(3, 0);
  ASSERT_NE(server, nullptr);
  TestSession w0(server->port()), w1(server->port()), w2(server->port());
  Hello(w0, 0);
  Hello(w1, 1);
  Hello(w2, 2);
  // Worker 2 is done with clock 0 and waits for clock 1.
  ASSERT_TRUE(w2.Tick(1));
  EXPECT_TRUE(w2.Sync().empty());
  ASSERT_TRUE(w2.SendRead(1, 0, {3}, 1));

  // Worker 0 pushes clock 0 while worker 1 still reads clock 0: buffered.
  ASSERT_TRUE(w0.Push(0, {DenseDelta(0, {3}, {1.0f, 1.0f})}));
  EXPECT_TRUE(w0.Sync().empty());
  EXPECT_EQ(server->Stats().pushes_applied_early, 0u);
  std::optional<rpc::ShardMessage> before = w1.Read(1, 0, {3}, 0);
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(Values(*before), (std::vector<float>{0, 0}));

  // Worker 1 pushes clock 0 too: both holders are in their Clock(), so its
  // push and the buffered one go into the table now, and so does a second
  // push of worker 0's; reads that could see them wait for the clock.
  ASSERT_TRUE(w1.Push(0, {DenseDelta(0, {3}, {10.0f, 10.0f})}));
  EXPECT_TRUE(w1.Sync().empty());
  ASSERT_TRUE(w0.Push(0, {DenseDelta(0, {3, 4}, {100.0f, 100.0f, 5.0f, 6.0f})}));
  EXPECT_TRUE(w0.Sync().empty());
  EXPECT_EQ(server->Stats().pushes_applied_early, 2u);
  ASSERT_TRUE(w0.SendRead(2, 0, {3}, 0));  // a clock-0 read racing its own tick
  EXPECT_TRUE(w0.Sync().empty());
  EXPECT_TRUE(w2.Sync().empty());
  EXPECT_EQ(server->Stats().shard_clock, 0);

  ASSERT_TRUE(w0.Tick(1));
  EXPECT_TRUE(w0.Sync().empty());
  EXPECT_TRUE(w2.Sync().empty()) << "clock 0 passed before worker 1 ticked";
  ASSERT_TRUE(w1.Tick(1));
  std::optional<rpc::ShardMessage> w0_reply = w0.WaitFor(2);
  std::optional<rpc::ShardMessage> w2_reply = w2.WaitFor(1);
  for (const auto& reply : {w0_reply, w2_reply}) {
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(Values(*reply), (std::vector<float>{111, 111}));
    EXPECT_EQ(reply->read().shard_clock(), 1);
  }
  std::optional<rpc::ShardMessage> row4 = w1.Read(3, 0, {4}, 1);
  ASSERT_TRUE(row4.has_value());
  EXPECT_EQ(Values(*row4), (std::vector<float>{5, 6}));
}

TEST(EarlyApply, NotTakenWithStaleness) {
  auto server = Start(1, 1);
  ASSERT_NE(server, nullptr);
  TestSession w(server->port());
  Hello(w, 0);
  ASSERT_TRUE(w.Push(0, {DenseDelta(0, {3}, {1.0f, 2.0f})}));
  std::optional<rpc::ShardMessage> reply = w.Read(1, 0, {3}, 0);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(Values(*reply), (std::vector<float>{0, 0}));
  EXPECT_EQ(server->Stats().pushes_applied_early, 0u);
}

TEST(EarlyApply, GoodbyeReleasesReadsHeldForAnEarlyClock) {
  auto server = Start(2, 0);
  ASSERT_NE(server, nullptr);
  TestSession w0(server->port()), w1(server->port());
  Hello(w0, 0);
  Hello(w1, 1);
  ASSERT_TRUE(w0.Tick(1));
  // The two sessions are separate streams: make sure the shard processed w0's
  // tick before w1 pushes, so w1 is the only holder of clock 0.
  EXPECT_TRUE(w0.Sync().empty());
  ASSERT_TRUE(w1.Push(0, {DenseDelta(0, {5}, {4.0f, 4.0f})}));
  ASSERT_TRUE(w0.SendRead(1, 0, {5}, 1));
  EXPECT_TRUE(w0.Sync().empty());
  ASSERT_TRUE(w1.Goodbye(0));  // Finish(): the last push, then Goodbye
  std::optional<rpc::ShardMessage> reply = w0.WaitFor(1);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(Values(*reply), (std::vector<float>{4, 4}));
  EXPECT_EQ(server->Stats().pushes_applied_early, 1u);
}

}  // namespace
}  // namespace gaia::server
