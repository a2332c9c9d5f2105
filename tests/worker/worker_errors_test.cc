// Bad input and failures through the public API: clear errors, never a crash
// or a hang, and nothing sent for a rejected call.
#include <chrono>
#include <future>
#include <vector>

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "gaia/worker.h"
#include "tests/worker/test_cluster.h"

namespace gaia {
namespace {

using testing::TestCluster;
using testing::ZeroTable;

constexpr auto kWait = std::chrono::seconds(20);

TEST(WorkerErrors, BadCallsAreRejectedLocally) {
  TestCluster cluster({.tables = {ZeroTable("w", 10, 3)}, .num_shards = 2});
  ASSERT_TRUE(cluster.ok());
  auto worker = Worker::Connect(cluster.Options(0));
  ASSERT_TRUE(worker.ok()) << worker.status();
  absl::StatusOr<Table> missing = (*worker)->GetTable("nope");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos);
  EXPECT_NE(missing.status().message().find("w"), std::string::npos);

  Table t = *(*worker)->GetTable("w");
  std::vector<float> two(2), three(3), four(4);
  EXPECT_EQ(t.Inc(0, two).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t.Inc(10, three).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t.Get(0, four).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t.Get(99, three).code(), absl::StatusCode::kInvalidArgument);
  const uint64_t rows[] = {1, 2};
  EXPECT_EQ(t.GetMany(rows, three).code(), absl::StatusCode::kInvalidArgument);
  const uint32_t bad_cols[] = {3};
  const uint32_t cols[] = {0, 1};
  const float vals[] = {1.0f};
  EXPECT_EQ(t.IncSparse(0, bad_cols, vals).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t.IncSparse(0, cols, vals).code(), absl::StatusCode::kInvalidArgument);
  Table unbound;
  EXPECT_EQ(unbound.Get(0, three).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(unbound.name(), "");

  // None of it reached a shard: the table is still all zeros after a clock.
  ASSERT_TRUE((*worker)->Clock().ok());
  std::vector<float> row(3, -1);
  for (uint64_t r = 0; r < 10; ++r) {
    ASSERT_TRUE(t.Get(r, row).ok());
    EXPECT_EQ(row, std::vector<float>(3, 0.0f));
  }
  ASSERT_TRUE((*worker)->Finish().ok());
  EXPECT_EQ(t.Get(0, row).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*worker)->Clock().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(WorkerErrors, ConnectRejectsBadOptionsAndMismatchedShards) {
  TestCluster cluster({.tables = {ZeroTable("w", 10, 3)}, .num_shards = 2});
  ASSERT_TRUE(cluster.ok());

  WorkerOptions empty;
  EXPECT_EQ(Worker::Connect(empty).status().code(), absl::StatusCode::kInvalidArgument);

  WorkerOptions wrong_job = cluster.Options(0);
  wrong_job.job_id = "another-job";
  absl::Status s = Worker::Connect(wrong_job).status();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(cluster.addresses()[0]), std::string::npos) << s;

  WorkerOptions one_shard = cluster.Options(0);
  one_shard.shard_addresses.pop_back();
  s = Worker::Connect(one_shard).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;

  WorkerOptions swapped = cluster.Options(0);
  std::swap(swapped.shard_addresses[0], swapped.shard_addresses[1]);
  s = Worker::Connect(swapped).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
}

// Worker::Connect to `address` with a 300 ms connect timeout; how long it
// took in *took.
absl::Status ConnectWithShortTimeout(const std::string& address,
                                     std::chrono::steady_clock::duration* took) {
  WorkerOptions options;
  options.job_id = "worker-test";
  options.shard_addresses = {address};
  options.connect_timeout_ms = 300;
  const auto start = std::chrono::steady_clock::now();
  absl::Status s = Worker::Connect(options).status();
  *took = std::chrono::steady_clock::now() - start;
  return s;
}

TEST(WorkerErrors, NoShardListeningTimesOut) {
  // Start and destroy a shard to get a port nobody listens on.
  std::string address;
  {
    TestCluster cluster({.tables = {ZeroTable("w", 1, 1)}, .num_shards = 1});
    ASSERT_TRUE(cluster.ok());
    address = cluster.addresses()[0];
  }
  std::chrono::steady_clock::duration took;
  absl::Status s = ConnectWithShortTimeout(address, &took);
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  EXPECT_NE(s.message().find(address), std::string::npos) << s;
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST(WorkerErrors, NoShardOnLocalSocketFailsNamingIt) {
  const std::string address = TestCluster::LocalAddress(0) + "-nobody";
  std::chrono::steady_clock::duration took;
  absl::Status s = ConnectWithShortTimeout(address, &took);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_NE(s.message().find(address), std::string::npos) << s;
  // It retried until the connect timeout, not longer.
  EXPECT_GE(took, std::chrono::milliseconds(300));
  EXPECT_LT(took, std::chrono::seconds(10));

  s = ConnectWithShortTimeout("unix-abstract:", &took);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
}

TEST(WorkerErrors, LocalSocketInUseIsAnErrorAndFreedAtShutdown) {
  TestCluster cluster({.tables = {ZeroTable("w", 4, 1)}, .num_shards = 1, .unix_socket = true});
  ASSERT_TRUE(cluster.ok());
  server::ShardOptions options;
  options.job_id = "worker-test";
  options.tables = {ZeroTable("w", 4, 1)};
  options.local_address = cluster.addresses()[0];
  absl::StatusOr<std::unique_ptr<server::ShardServer>> second = server::ShardServer::Start(options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
  EXPECT_NE(second.status().message().find(options.local_address), std::string::npos);

  // Once the first shard is gone, its address can be listened on again.
  cluster.Kill(0);
  second = server::ShardServer::Start(options);
  EXPECT_TRUE(second.ok()) << second.status();
}

// A "shard" that answers Hello with bytes that are no ShardMessage, then
// keeps the stream open: the worker must end the stream itself and fail
// Connect with the decoding error, not hang.
class GarbageShard final : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* /*context*/) override {
    return new Reactor();
  }

 private:
  class Reactor final : public grpc::ServerGenericBidiReactor {
   public:
    Reactor() { StartRead(&in_); }
    void OnReadDone(bool ok) override {
      if (!ok) {
        Finish(grpc::Status::OK);
        return;
      }
      // A read reply whose length runs past the end of the message.
      grpc::Slice slice(std::string("\x12\x40\x08\x01", 4));
      out_ = grpc::ByteBuffer(&slice, 1);
      StartWrite(&out_);
    }
    void OnWriteDone(bool /*ok*/) override { StartRead(&in_); }
    void OnDone() override { delete this; }

   private:
    grpc::ByteBuffer in_;
    grpc::ByteBuffer out_;
  };
};

TEST(WorkerErrors, UndecodableShardMessageFailsConnect) {
  GarbageShard service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterCallbackGenericService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  ASSERT_GT(port, 0);

  WorkerOptions options;
  options.job_id = "worker-test";
  options.shard_addresses = {"127.0.0.1:" + std::to_string(port)};
  options.connect_timeout_ms = 10000;
  const auto start = std::chrono::steady_clock::now();
  absl::Status s = Worker::Connect(options).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal) << s;
  EXPECT_NE(s.message().find("malformed ShardMessage"), std::string::npos) << s;
  EXPECT_NE(s.message().find(options.shard_addresses[0]), std::string::npos) << s;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8));
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
}

// A shard going away while a read waits on it: the read fails (no hang, no
// crash), and so do later calls.
TEST(WorkerErrors, ShardDiesWhileReadIsBlocked) {
  TestCluster cluster({.tables = {ZeroTable("w", 10, 3)}, .num_shards = 2, .num_workers = 2});
  ASSERT_TRUE(cluster.ok());
  auto w0 = Worker::Connect(cluster.Options(0));
  auto w1 = Worker::Connect(cluster.Options(1));
  ASSERT_TRUE(w0.ok() && w1.ok());
  Table t = *(*w0)->GetTable("w");
  ASSERT_TRUE((*w0)->Clock().ok());
  // BSP: w0 at clock 1 waits for w1, which never clocks. Read rows on both shards.
  auto pending = std::async(std::launch::async, [&] {
    std::vector<uint64_t> rows(10);
    for (uint64_t r = 0; r < 10; ++r) rows[r] = r;
    std::vector<float> out(30);
    return t.GetMany(rows, out);
  });
  EXPECT_EQ(pending.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  cluster.Kill(0);
  ASSERT_EQ(pending.wait_for(kWait), std::future_status::ready);
  absl::Status s = pending.get();
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.code() == absl::StatusCode::kUnavailable ||
              s.code() == absl::StatusCode::kAborted)
      << s;

  std::vector<float> row(3);
  EXPECT_FALSE(t.Get(0, row).ok());
  EXPECT_FALSE((*w0)->Clock().ok());
  // Finish reports the failure but returns promptly.
  EXPECT_FALSE((*w0)->Finish().ok());
}

TEST(WorkerErrors, ReadTimeoutIsDeadlineExceeded) {
  TestCluster cluster({.tables = {ZeroTable("w", 4, 1)}, .num_shards = 1, .num_workers = 2});
  ASSERT_TRUE(cluster.ok());
  WorkerOptions options = cluster.Options(0);
  options.read_timeout_ms = 200;
  auto w0 = Worker::Connect(options);
  auto w1 = Worker::Connect(cluster.Options(1));
  ASSERT_TRUE(w0.ok() && w1.ok());
  Table t = *(*w0)->GetTable("w");
  ASSERT_TRUE((*w0)->Clock().ok());
  std::vector<float> row(1);
  absl::Status s = t.Get(0, row);
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  // The late reply (once w1 clocks) is dropped, and the next read works.
  ASSERT_TRUE((*w1)->Clock().ok());
  EXPECT_TRUE(t.Get(0, row).ok());
}

}  // namespace
}  // namespace gaia
