// DESIGN.md §5 "Only the job's own peers get in", on a real shard's links:
// worker -> shard over TCP (mutual TLS + token) and over the same-host Unix
// socket (token), and control (Control.Status/Dump). A peer with another
// job's CA, without a certificate, or with a wrong or no token is refused,
// and the table does not change; the job's own peer works.
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "src/common/packing.h"
#include "src/server/shard_core.h"
#include "src/server/shard_server.h"
#include "src/worker/shard_session.h"
#include "tests/security/tls_test_util.h"

namespace gaia::testing {
namespace {

constexpr char kJob[] = "tls-job";
constexpr uint64_t kRows = 16;
constexpr uint32_t kWidth = 2;
// A refused TLS handshake leaves a wait_for_ready call waiting: bound it.
constexpr absl::Duration kRefusedWait = absl::Seconds(3);
constexpr absl::Duration kWait = absl::Seconds(20);

rpc::WorkerMessage PushOnes(int64_t clock) {
  rpc::WorkerMessage message;
  rpc::PushBatch* batch = message.mutable_push();
  batch->set_clock(clock);
  rpc::TableDelta* delta = batch->add_tables();
  delta->set_table_id(0);
  std::string ids;
  std::vector<float> values(kRows * kWidth, 1.0f);
  for (uint64_t r = 0; r < kRows; ++r) common::AppendPacked<uint64_t>(&ids, {&r, 1});
  delta->set_dense_row_ids(ids);
  std::string packed;
  common::AppendPacked<float>(&packed, values);
  delta->set_dense_values(packed);
  return message;
}

rpc::WorkerMessage Tick(int64_t clock) {
  rpc::WorkerMessage message;
  message.mutable_clock()->set_clock(clock);
  return message;
}

class ShardTls : public ::testing::Test {
 protected:
  void SetUp() override {
    job_ = MakeJobMaterial("job");
    other_ = MakeJobMaterial("other");
    ASSERT_TRUE(job_.security && other_.security);
    server::ShardOptions options;
    options.job_id = kJob;
    common::TableSpec table;
    table.name = "w";
    table.rows = kRows;
    table.width = kWidth;
    table.init = common::InitKind::kZeros;
    options.tables = {table};
    options.num_workers = 1;
    options.local_address = "unix-abstract:gaia-tls-test-" + std::to_string(getpid());
    options.shutdown_grace_ms = 200;
    options.security = job_.security;
    auto shard = server::ShardServer::Start(options);
    ASSERT_TRUE(shard.ok()) << shard.status();
    shard_ = std::move(*shard);
    tcp_ = "127.0.0.1:" + std::to_string(shard_->port());
    unix_ = options.local_address;
  }

  std::vector<float> Table() const {
    auto dump = shard_->core()->Dump(0);
    EXPECT_TRUE(dump.ok()) << dump.status();
    return dump.ok() ? common::Unpack<float>(dump->values()) : std::vector<float>{};
  }
  uint64_t Refused() const { return shard_->Stats().calls_refused; }

  // A worker session over `channel`: it pushes ones into every row in
  // `clock` at once (before the hello is answered) and ticks; then waits
  // for the hello and says Goodbye.
  absl::Status PushSession(std::shared_ptr<grpc::Channel> channel, const std::string& address,
                           absl::Duration wait, int64_t clock = 0) {
    rpc::Hello hello;
    hello.set_job_id(kJob);
    hello.set_worker_id(0);
    std::unique_ptr<internal::ShardSession> session =
        internal::ShardSession::Start(std::move(channel), address, hello);
    (void)session->Send(PushOnes(clock));
    (void)session->Send(Tick(clock + 1));
    absl::StatusOr<rpc::HelloReply> reply = session->AwaitHello(absl::Now() + wait);
    if (!reply.ok()) return reply.status();
    return session->Close(/*final_clock=*/clock + 1, absl::Now() + wait);
  }

  absl::Status PushWith(const common::LinkSecurity& security, const std::string& address,
                        absl::Duration wait) {
    auto channel = internal::MakeShardChannel(address, absl::Now() + wait, security);
    if (!channel.ok()) return channel.status();
    return PushSession(*channel, address, wait);
  }

  // A refused session leaves every value as it was.
  void ExpectRefusedSession(std::shared_ptr<grpc::Channel> channel, const std::string& address,
                            MoreRefusals more) {
    const std::vector<float> before = Table();
    const uint64_t refused = Refused();
    EXPECT_FALSE(PushSession(std::move(channel), address, kRefusedWait).ok());
    EXPECT_EQ(Table(), before);
    ExpectMoreRefusals(refused, Refused(), more);
  }

  JobMaterial job_;
  JobMaterial other_;
  std::unique_ptr<server::ShardServer> shard_;
  std::string tcp_;
  std::string unix_;
};

TEST_F(ShardTls, TheJobsOwnWorkerPushesOverTcp) {
  ASSERT_TRUE(PushWith(*job_.security, tcp_, kWait).ok());
  EXPECT_EQ(Table(), std::vector<float>(kRows * kWidth, 1.0f));
  EXPECT_EQ(Refused(), 0u);
}

TEST_F(ShardTls, TheJobsOwnWorkerPushesOverTheUnixSocket) {
  ASSERT_TRUE(PushWith(*job_.security, unix_, kWait).ok());
  EXPECT_EQ(Table(), std::vector<float>(kRows * kWidth, 1.0f));
  EXPECT_EQ(Refused(), 0u);
}

TEST_F(ShardTls, WorkerWithAnotherJobsCertificateIsRefusedAtTheHandshakeAndCounted) {
  ExpectRefusedSession(ChannelWithForeignCertificate(job_, other_, tcp_), tcp_,
                       MoreRefusals::Handshakes());
}

TEST_F(ShardTls, WorkerWithAnotherJobsCaRefusesTheShard) {
  std::shared_ptr<const common::LinkSecurity> foreign = Mixed(other_, job_);
  ASSERT_TRUE(foreign);
  // The worker does not trust the shard's certificate and ends the handshake
  // before showing its own: the shard has nothing to count.
  ExpectRefusedSession(foreign->Channel(tcp_, common::ClientChannelArguments(
                                                  common::ServerKind::kShard)),
                       tcp_, MoreRefusals::None());
}

TEST_F(ShardTls, WorkerWithoutCertificateIsRefusedAtTheHandshakeAndCounted) {
  ExpectRefusedSession(ChannelWithoutCertificate(job_, tcp_), tcp_, MoreRefusals::Handshakes());
}

TEST_F(ShardTls, PlaintextWorkerIsRefused) {
  // Not a TLS handshake at all: gRPC drops the bytes before any check of ours.
  ExpectRefusedSession(common::LinkSecurity::Plaintext()->Channel(
                           tcp_, common::ClientChannelArguments(common::ServerKind::kShard)),
                       tcp_, MoreRefusals::None());
}

TEST_F(ShardTls, WorkerWithAWrongOrNoTokenIsRefusedAndCounted) {
  std::shared_ptr<const common::LinkSecurity> wrong_token = Mixed(job_, other_);
  ASSERT_TRUE(wrong_token);
  ExpectRefusedSession(
      wrong_token->Channel(tcp_, common::ClientChannelArguments(common::ServerKind::kShard)), tcp_,
      MoreRefusals::Calls(1));
  ExpectRefusedSession(ChannelWithoutToken(job_, tcp_), tcp_, MoreRefusals::Calls(1));
}

TEST_F(ShardTls, UnixSocketWorkerWithAWrongOrNoTokenIsRefusedAndCounted) {
  std::shared_ptr<const common::LinkSecurity> wrong_token = Mixed(job_, other_);
  ASSERT_TRUE(wrong_token);
  for (const common::LinkSecurity* security :
       {wrong_token.get(), common::LinkSecurity::Plaintext().get()}) {
    auto channel = internal::MakeShardChannel(unix_, absl::Now() + kWait, *security);
    ASSERT_TRUE(channel.ok()) << channel.status();
    ExpectRefusedSession(*channel, unix_, MoreRefusals::Calls(1));
  }
}

TEST_F(ShardTls, ControlCallsNeedTheJobsCertificateAndToken) {
  auto status_code = [](std::shared_ptr<grpc::Channel> channel) {
    auto stub = rpc::Control::NewStub(std::move(channel));
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kRefusedWait));
    rpc::DumpRequest request;
    rpc::DumpReply reply;
    return stub->Dump(&context, request, &reply).error_code();
  };
  const auto args = common::ClientChannelArguments(common::ServerKind::kShard);
  EXPECT_EQ(status_code(job_.security->Channel(tcp_, args)), grpc::StatusCode::OK);
  EXPECT_NE(status_code(Mixed(other_, job_)->Channel(tcp_, args)), grpc::StatusCode::OK);
  EXPECT_EQ(Refused(), 0u);  // the caller refused the shard
  EXPECT_NE(status_code(ChannelWithoutCertificate(job_, tcp_)), grpc::StatusCode::OK);
  EXPECT_NE(status_code(ChannelWithForeignCertificate(job_, other_, tcp_)),
            grpc::StatusCode::OK);
  // One handshake each: a call without wait_for_ready fails on the first.
  EXPECT_EQ(Refused(), 2u);
  EXPECT_EQ(status_code(Mixed(job_, other_)->Channel(tcp_, args)),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(status_code(ChannelWithoutToken(job_, tcp_)), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Refused(), 4u);

  // The count is what Control.Status reports.
  auto stub = rpc::Control::NewStub(job_.security->Channel(tcp_, args));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kWait));
  rpc::StatusReply reply;
  ASSERT_TRUE(stub->Status(&context, rpc::StatusRequest(), &reply).ok());
  EXPECT_EQ(reply.calls_refused(), 4u);
}

}  // namespace
}  // namespace gaia::testing
