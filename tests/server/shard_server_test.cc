// A real ShardServer on 127.0.0.1:0, driven by raw gRPC Session streams.
#include "src/server/shard_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "src/common/partition.h"
#include "src/server/update_sink.h"
#include "tests/server/shard_test_util.h"

namespace gaia::server {
namespace {

using testing::DenseDelta;
using testing::DumpTable;
using testing::TableDump;
using testing::TestSession;

constexpr char kJob[] = "job-1";

ShardOptions Options(uint32_t num_workers, int32_t staleness, uint32_t partition_size = 1) {
  return testing::SmallTableOptions(kJob, num_workers, staleness, partition_size);
}

std::unique_ptr<ShardServer> StartOrDie(const ShardOptions& options) {
  return testing::StartOrFail(options);
}

std::vector<float> Values(const rpc::ShardMessage& message) {
  return testing::ReadValues(message);
}

void ExpectHelloOk(TestSession& session, uint32_t worker) {
  std::optional<rpc::ShardMessage> reply = session.Hello(kJob, worker);
  ASSERT_TRUE(reply.has_value());
  ASSERT_TRUE(reply->has_hello()) << reply->DebugString();
}

TEST(ShardServer, HelloDescribesTheShard) {
  auto server = StartOrDie(Options(3, 2));
  ASSERT_NE(server, nullptr);
  EXPECT_GT(server->port(), 0);
  TestSession session(server->port());
  std::optional<rpc::ShardMessage> reply = session.Hello(kJob, 2);
  ASSERT_TRUE(reply && reply->has_hello());
  EXPECT_EQ(reply->hello().num_workers(), 3u);
  EXPECT_EQ(reply->hello().staleness(), 2);
  EXPECT_EQ(reply->hello().num_shards(), 1u);
  ASSERT_EQ(reply->hello().tables_size(), 1);
  EXPECT_EQ(reply->hello().tables(0).width(), 2u);
  EXPECT_EQ(reply->hello().tables(0).num_rows(), 16u);
  EXPECT_TRUE(session.Sync().empty());
  EXPECT_EQ(server->Stats().connected_workers, 1u);
  EXPECT_TRUE(session.Goodbye(0));
  EXPECT_TRUE(session.Close().ok());
}

TEST(ShardServer, RefusesWrongJobAndWorkerOutOfRange) {
  auto server = StartOrDie(Options(2, 0));
  ASSERT_NE(server, nullptr);
  {
    TestSession session(server->port());
    std::optional<rpc::ShardMessage> reply = session.Hello("other-job", 0);
    ASSERT_TRUE(reply && reply->has_error());
    EXPECT_EQ(reply->error().code(), rpc::Error::FAILED_PRECONDITION);
    EXPECT_NE(reply->error().message().find("other-job"), std::string::npos);
    EXPECT_FALSE(session.Next().has_value());  // the shard ends the stream
    EXPECT_EQ(session.Finish().error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  }
  {
    TestSession session(server->port());
    std::optional<rpc::ShardMessage> reply = session.Hello(kJob, 2);
    ASSERT_TRUE(reply && reply->has_error());
    EXPECT_EQ(reply->error().code(), rpc::Error::FAILED_PRECONDITION);
    EXPECT_NE(reply->error().message().find("worker_id 2"), std::string::npos);
    EXPECT_FALSE(session.Next().has_value());
  }
  {
    TestSession session(server->port());  // no Hello first
    ASSERT_TRUE(session.Tick(1));
    std::optional<rpc::ShardMessage> reply = session.Next();
    ASSERT_TRUE(reply && reply->has_error());
    EXPECT_EQ(reply->error().code(), rpc::Error::FAILED_PRECONDITION);
  }
  EXPECT_EQ(server->Stats().connected_workers, 0u);
}

TEST(ShardServer, BspReadersNeverSeeCurrentClockUpdatesEarly) {
  auto server = StartOrDie(Options(2, 0));
  ASSERT_NE(server, nullptr);
  TestSession w0(server->port()), w1(server->port());
  ExpectHelloOk(w0, 0);
  ExpectHelloOk(w1, 1);

  ASSERT_TRUE(w0.Push(0, {DenseDelta(0, {3}, {1.0f, 2.0f})}));
  ASSERT_TRUE(w0.Tick(1));
  EXPECT_TRUE(w0.Sync().empty());  // the shard has processed both

  // Worker 1 is still at clock 0: its read (min_clock 0) must not see them.
  std::optional<rpc::ShardMessage> early = w1.Read(1, 0, {3}, 0);
  ASSERT_TRUE(early.has_value());
  EXPECT_EQ(Values(*early), (std::vector<float>{0, 0}));
  EXPECT_EQ(early->read().shard_clock(), 0);

  // Worker 0 at clock 1 asks for min_clock 1: parked until worker 1 ticks.
  ASSERT_TRUE(w0.SendRead(2, 0, {3}, 1));
  std::vector<rpc::ShardMessage> before_tick = w0.Sync();
  EXPECT_TRUE(before_tick.empty()) << "read answered before the shard clock reached 1";

  ASSERT_TRUE(w1.Tick(1));
  std::optional<rpc::ShardMessage> late = w0.WaitFor(2);
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(Values(*late), (std::vector<float>{1, 2}));
  EXPECT_EQ(late->read().shard_clock(), 1);
  std::optional<rpc::ShardMessage> after = w1.Read(3, 0, {3}, 1);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(Values(*after), (std::vector<float>{1, 2}));
}

// Each of two workers runs `clocks` iterations: read row 0 with
// min_clock = c - s, check it, add (worker + 1) to row 0, tick. Every
// update of clocks < shard_clock is visible and nothing else, so the value
// read must be exactly 3 * shard_clock, with shard_clock >= c - s.
void RunSspWorkers(int32_t staleness) {
  auto server = StartOrDie(Options(2, staleness));
  ASSERT_NE(server, nullptr);
  constexpr int kClocks = 30;
  std::atomic<int> violations{0};
  auto worker = [&](uint32_t id) {
    TestSession session(server->port());
    std::optional<rpc::ShardMessage> hello = session.Hello(kJob, id);
    if (!hello || !hello->has_hello()) {
      ++violations;
      return;
    }
    std::mt19937 rng(id + 17 * staleness);
    for (int c = 0; c < kClocks; ++c) {
      std::optional<rpc::ShardMessage> reply = session.Read(c + 1, 0, {0}, c - staleness);
      if (!reply || !reply->has_read()) {
        ++violations;
        return;
      }
      const int64_t shard_clock = reply->read().shard_clock();
      const std::vector<float> values = common::Unpack<float>(reply->read().values());
      if (shard_clock < c - staleness || values.size() != 2 ||
          values[0] != 3.0f * static_cast<float>(shard_clock)) {
        ADD_FAILURE() << "worker " << id << " clock " << c << " staleness " << staleness
                      << ": shard_clock " << shard_clock << " value "
                      << (values.empty() ? -1.0f : values[0]);
        ++violations;
      }
      session.Push(c, {DenseDelta(0, {0}, {static_cast<float>(id + 1), 0.0f})});
      if (rng() % 4 == 0) std::this_thread::yield();
      session.Tick(c + 1);
    }
    session.Goodbye(kClocks);
    session.Close();
  };
  std::thread t0(worker, 0), t1(worker, 1);
  t0.join();
  t1.join();
  EXPECT_EQ(violations.load(), 0);
  TableDump dump;
  ASSERT_TRUE(DumpTable(server->port(), 0, &dump).ok());
  EXPECT_EQ(dump.values[0], 3.0f * kClocks);
}

TEST(ShardServer, SspBoundHoldsForBsp) { RunSspWorkers(0); }
TEST(ShardServer, SspBoundHoldsForStalenessTwo) { RunSspWorkers(2); }

TEST(ShardServer, StalenessLetsAFastWorkerRunAhead) {
  auto server = StartOrDie(Options(2, 2));
  ASSERT_NE(server, nullptr);
  TestSession w0(server->port()), w1(server->port());
  ExpectHelloOk(w0, 0);
  ExpectHelloOk(w1, 1);
  // Worker 0 reaches clock 2 while worker 1 stays at 0: min_clock 0 is served.
  ASSERT_TRUE(w0.Tick(1));
  ASSERT_TRUE(w0.Tick(2));
  std::optional<rpc::ShardMessage> r = w0.Read(1, 0, {0}, 2 - 2);
  ASSERT_TRUE(r && r->has_read());
  // At clock 3 it must wait (min_clock 1).
  ASSERT_TRUE(w0.Tick(3));
  ASSERT_TRUE(w0.SendRead(2, 0, {0}, 3 - 2));
  EXPECT_TRUE(w0.Sync().empty());
  ASSERT_TRUE(w1.Tick(1));
  std::optional<rpc::ShardMessage> released = w0.WaitFor(2);
  ASSERT_TRUE(released && released->has_read());
  EXPECT_EQ(released->read().shard_clock(), 1);
}

TEST(ShardServer, GoodbyeReleasesTheClock) {
  auto server = StartOrDie(Options(2, 0));
  ASSERT_NE(server, nullptr);
  TestSession w0(server->port()), w1(server->port());
  ExpectHelloOk(w0, 0);
  ExpectHelloOk(w1, 1);
  ASSERT_TRUE(w0.Push(0, {DenseDelta(0, {1}, {5, 5})}));
  ASSERT_TRUE(w0.Tick(1));
  ASSERT_TRUE(w0.SendRead(7, 0, {1}, 1));
  EXPECT_TRUE(w0.Sync().empty());
  ASSERT_TRUE(w1.Goodbye(0));
  std::optional<rpc::ShardMessage> r = w0.WaitFor(7);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(Values(*r), (std::vector<float>{5, 5}));
  EXPECT_TRUE(w1.Close().ok());
  EXPECT_EQ(server->Stats().shard_clock, 1);
}

TEST(ShardServer, LatePushIsAppliedImmediately) {
  auto server = StartOrDie(Options(1, 0));
  ASSERT_NE(server, nullptr);
  TestSession w0(server->port());
  ExpectHelloOk(w0, 0);
  ASSERT_TRUE(w0.Tick(2));
  ASSERT_TRUE(w0.Push(0, {DenseDelta(0, {4}, {1, 1})}));  // behind the shard clock
  std::optional<rpc::ShardMessage> r = w0.Read(1, 0, {4}, 0);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(Values(*r), (std::vector<float>{1, 1}));
  const ShardStats stats = server->Stats();
  EXPECT_EQ(stats.updates_applied, 1u);
  EXPECT_EQ(stats.bytes_received, 8u);
  EXPECT_EQ(stats.shard_clock, 2);
}

// Records what the shard reports through its UpdateSink seam.
class RecordingSink : public UpdateSink {
 public:
  void OnRowsApplied(uint32_t table_id, std::span<const uint64_t> rows,
                     std::span<const float> deltas, int64_t shard_clock) override {
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < rows.size(); ++i) {
      log_.push_back({table_id, rows[i], deltas[i * 2], shard_clock});
    }
  }
  void OnClockAdvanced(int64_t clock, bool) override {
    absl::MutexLock lock(&mu_);
    clocks_.push_back(clock);
  }
  struct Entry {
    uint32_t table;
    uint64_t row;
    float first;
    int64_t clock;
  };
  std::vector<Entry> log() {
    absl::MutexLock lock(&mu_);
    return log_;
  }
  std::vector<int64_t> clocks() {
    absl::MutexLock lock(&mu_);
    return clocks_;
  }

 private:
  absl::Mutex mu_;
  std::vector<Entry> log_ ABSL_GUARDED_BY(mu_);
  std::vector<int64_t> clocks_ ABSL_GUARDED_BY(mu_);
};

// A buffered push reaches the sink when its clock becomes visible, coalesced
// with the other pushes of that clock.
TEST(ShardServer, UpdateSinkSeesBufferedUpdatesWhenTheyBecomeVisible) {
  ShardOptions options = Options(2, 0);
  auto sink = std::make_shared<RecordingSink>();
  options.update_sink = sink;
  auto server = StartOrDie(options);
  ASSERT_NE(server, nullptr);
  TestSession w0(server->port()), w1(server->port());
  ExpectHelloOk(w0, 0);
  ExpectHelloOk(w1, 1);
  ASSERT_TRUE(w0.Push(0, {DenseDelta(0, {2, 2}, {1, 0, 2, 0})}));
  ASSERT_TRUE(w0.Tick(1));
  EXPECT_TRUE(w0.Sync().empty());
  EXPECT_TRUE(sink->log().empty());  // worker 1 is still at clock 0
  ASSERT_TRUE(w1.Tick(1));
  EXPECT_TRUE(w1.Sync().empty());
  std::vector<RecordingSink::Entry> log = sink->log();
  ASSERT_EQ(log.size(), 1u);  // coalesced
  EXPECT_EQ(log[0].row, 2u);
  EXPECT_EQ(log[0].first, 3.0f);
  EXPECT_EQ(log[0].clock, 1);
  EXPECT_EQ(sink->clocks(), std::vector<int64_t>{1});
}

// The BSP fast path (the only worker left at its clock) applies a push at
// once and tells the sink then, still before the clock advance.
TEST(ShardServer, UpdateSinkSeesAnEarlyAppliedPushBeforeTheAdvance) {
  ShardOptions options = Options(1, 0);
  auto sink = std::make_shared<RecordingSink>();
  options.update_sink = sink;
  auto server = StartOrDie(options);
  ASSERT_NE(server, nullptr);
  TestSession w0(server->port());
  ExpectHelloOk(w0, 0);
  ASSERT_TRUE(w0.Push(0, {DenseDelta(0, {2}, {3, 0})}));
  EXPECT_TRUE(w0.Sync().empty());
  EXPECT_EQ(server->Stats().pushes_applied_early, 1u);
  std::vector<RecordingSink::Entry> log = sink->log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].row, 2u);
  EXPECT_EQ(log[0].first, 3.0f);
  EXPECT_EQ(log[0].clock, 1);         // becomes visible at shard clock 1
  EXPECT_TRUE(sink->clocks().empty());  // the advance comes with the tick
  ASSERT_TRUE(w0.Tick(1));
  EXPECT_TRUE(w0.Sync().empty());
  EXPECT_EQ(sink->log().size(), 1u);  // not reported twice
  EXPECT_EQ(sink->clocks(), std::vector<int64_t>{1});
}

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = StartOrDie(Options(1, 0, /*partition_size=*/2));
    ASSERT_NE(server_, nullptr);
    for (uint64_t r = 0; r < 16; ++r) {
      if (common::ShardOf(0, r, 2) == 0 && owned_ == kNone) owned_ = r;
      if (common::ShardOf(0, r, 2) != 0 && not_owned_ == kNone) not_owned_ = r;
    }
    ASSERT_NE(owned_, kNone);
    ASSERT_NE(not_owned_, kNone);
    session_ = std::make_unique<TestSession>(server_->port());
    ExpectHelloOk(*session_, 0);
    ASSERT_TRUE(DumpTable(server_->port(), 0, &before_).ok());
  }

  // Pushes `delta` at clock 0 together with a valid delta, ticks and checks
  // that an Error with `code` came back and the table did not change.
  void ExpectRejected(rpc::TableDelta delta, rpc::Error::Code code, const std::string& mentions) {
    ASSERT_TRUE(session_->Push(clock_, {DenseDelta(0, {owned_}, {1, 1}), std::move(delta)}));
    ASSERT_TRUE(session_->Tick(++clock_));
    std::vector<rpc::ShardMessage> got = session_->Sync();
    ASSERT_EQ(got.size(), 1u);
    ASSERT_TRUE(got[0].has_error());
    EXPECT_EQ(got[0].error().code(), code) << got[0].error().message();
    EXPECT_EQ(got[0].error().push_clock(), clock_ - 1);
    EXPECT_NE(got[0].error().message().find(mentions), std::string::npos)
        << got[0].error().message();
    TableDump after;
    ASSERT_TRUE(DumpTable(server_->port(), 0, &after).ok());
    EXPECT_EQ(after, before_);
  }

  static constexpr uint64_t kNone = ~uint64_t{0};
  std::unique_ptr<ShardServer> server_;
  std::unique_ptr<TestSession> session_;
  TableDump before_;
  uint64_t owned_ = kNone;
  uint64_t not_owned_ = kNone;
  int64_t clock_ = 0;
};

TEST_F(BadInputTest, PushesAreRejectedWholeAndLeaveTheTableUnchanged) {
  ExpectRejected(DenseDelta(7, {owned_}, {1, 1}), rpc::Error::NOT_FOUND, "unknown table 7");
  ExpectRejected(DenseDelta(0, {owned_}, {1, 1, 1}), rpc::Error::INVALID_ARGUMENT, "dense_values");
  rpc::TableDelta truncated = DenseDelta(0, {owned_}, {1, 1});
  truncated.mutable_dense_values()->resize(7);
  ExpectRejected(truncated, rpc::Error::INVALID_ARGUMENT, "dense_values");
  rpc::TableDelta truncated_ids = DenseDelta(0, {owned_}, {1, 1});
  truncated_ids.mutable_dense_row_ids()->resize(5);
  ExpectRejected(truncated_ids, rpc::Error::INVALID_ARGUMENT, "dense_row_ids");
  ExpectRejected(DenseDelta(0, {not_owned_}, {1, 1}), rpc::Error::NOT_FOUND,
                 "row " + std::to_string(not_owned_));
  ExpectRejected(DenseDelta(0, {16}, {1, 1}), rpc::Error::INVALID_ARGUMENT, "out of range");

  // The stream is still usable and a valid push still applies.
  ASSERT_TRUE(session_->Push(clock_, {DenseDelta(0, {owned_}, {2, 3})}));
  ASSERT_TRUE(session_->Tick(clock_ + 1));
  std::optional<rpc::ShardMessage> r = session_->Read(1, 0, {owned_}, clock_ + 1);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(Values(*r), (std::vector<float>{2, 3}));
}

TEST_F(BadInputTest, BadReadsGetAnErrorWithTheRequestId) {
  std::optional<rpc::ShardMessage> r = session_->Read(41, 3, {owned_}, 0);
  ASSERT_TRUE(r && r->has_error());
  EXPECT_EQ(r->error().code(), rpc::Error::NOT_FOUND);
  r = session_->Read(42, 0, {not_owned_}, 0);
  ASSERT_TRUE(r && r->has_error());
  EXPECT_EQ(r->error().code(), rpc::Error::NOT_FOUND);
  EXPECT_EQ(r->error().request_id(), 42u);
  rpc::WorkerMessage bad;
  bad.mutable_read()->set_request_id(43);
  bad.mutable_read()->set_row_ids("abc");
  ASSERT_TRUE(session_->Send(bad));
  r = session_->WaitFor(43);
  ASSERT_TRUE(r && r->has_error());
  EXPECT_EQ(r->error().code(), rpc::Error::INVALID_ARGUMENT);
  // Clocks never go backwards.
  ASSERT_TRUE(session_->Tick(3));
  ASSERT_TRUE(session_->Tick(2));
  std::vector<rpc::ShardMessage> got = session_->Sync();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].error().code(), rpc::Error::INVALID_ARGUMENT);
}

TEST(ShardServer, DumpOfUnknownTableFails) {
  auto server = StartOrDie(Options(1, 0));
  ASSERT_NE(server, nullptr);
  TableDump dump;
  EXPECT_EQ(DumpTable(server->port(), 5, &dump).error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(DumpTable(server->port(), 0, &dump).ok());
  EXPECT_EQ(dump.rows.size(), 16u);
  EXPECT_EQ(dump.values.size(), 32u);
}

TEST(ShardServer, StartFailsClearlyWhenThePortIsTaken) {
  auto first = StartOrDie(Options(1, 0));
  ASSERT_NE(first, nullptr);
  ShardOptions options = Options(1, 0);
  options.listen_address = "127.0.0.1:" + std::to_string(first->port());
  absl::StatusOr<std::unique_ptr<ShardServer>> second = ShardServer::Start(options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("cannot listen on " + options.listen_address),
            absl::string_view::npos)
      << second.status();
}

TEST(ShardServer, StartRejectsBadOptions) {
  ShardOptions options = Options(0, 0);
  EXPECT_EQ(ShardServer::Start(options).status().code(), absl::StatusCode::kInvalidArgument);
  options = Options(1, -1);
  EXPECT_EQ(ShardServer::Start(options).status().code(), absl::StatusCode::kInvalidArgument);
  options = Options(1, 0, 2);
  options.partition_index = 2;
  EXPECT_EQ(ShardServer::Start(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ShardServer, ShutdownAbortsParkedReads) {
  auto server = StartOrDie(Options(2, 0));
  ASSERT_NE(server, nullptr);
  TestSession session(server->port());
  ExpectHelloOk(session, 0);
  ASSERT_TRUE(session.SendRead(9, 0, {0}, 5));
  EXPECT_TRUE(session.Sync().empty());  // parked
  std::thread stopper([&] { server->Shutdown(); });
  std::optional<rpc::ShardMessage> r = session.WaitFor(9);
  ASSERT_TRUE(r && r->has_error());
  EXPECT_EQ(r->error().code(), rpc::Error::ABORTED);
  EXPECT_EQ(r->error().request_id(), 9u);
  EXPECT_FALSE(session.Next().has_value());
  EXPECT_EQ(session.Finish().error_code(), grpc::StatusCode::ABORTED);
  stopper.join();
  server->Shutdown();  // idempotent
  server->Wait();      // returns at once after shutdown
}

TEST(ShardServer, ControlShutdownStopsTheServer) {
  auto server = StartOrDie(Options(1, 0));
  ASSERT_NE(server, nullptr);
  rpc::StatusReply status;
  ASSERT_TRUE(testing::ShardStatus(server->port(), &status).ok());
  EXPECT_EQ(status.rows_owned(), 16u);
  EXPECT_EQ(status.table_bytes(), 16u * 2 * 4);
  EXPECT_GT(status.rss_bytes(), 0u);

  auto stub = rpc::Control::NewStub(testing::Connect(server->port()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + testing::kRpcDeadline);
  rpc::ShutdownReply reply;
  ASSERT_TRUE(stub->Shutdown(&context, rpc::ShutdownRequest(), &reply).ok());
  server->Wait();
}

TEST(ShardServer, StreamEndingWithoutGoodbyeDoesNotCrash) {
  auto server = StartOrDie(Options(2, 0));
  ASSERT_NE(server, nullptr);
  {
    TestSession session(server->port());
    ExpectHelloOk(session, 0);
    ASSERT_TRUE(session.Push(0, {DenseDelta(0, {0}, {1, 1})}));
    ASSERT_TRUE(session.SendRead(5, 0, {0}, 3));  // parked, then the stream dies
    EXPECT_TRUE(session.Sync().empty());
  }  // ClientContext destroyed: the call is cancelled
  // A reconnecting worker 0 continues; the shard is healthy.
  TestSession again(server->port());
  ExpectHelloOk(again, 0);
  ASSERT_TRUE(again.Tick(1));
  TestSession w1(server->port());
  ExpectHelloOk(w1, 1);
  ASSERT_TRUE(w1.Tick(1));
  std::optional<rpc::ShardMessage> r = w1.Read(1, 0, {0}, 1);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(Values(*r), (std::vector<float>{1, 1}));
}

}  // namespace
}  // namespace gaia::server
