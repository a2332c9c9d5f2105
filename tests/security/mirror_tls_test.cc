// DESIGN.md §5 "Only the job's own peers get in", on the mirror's links:
// mirror <-> mirror (Mirror.Link) and the launcher's flush/status calls. With
// the job's material, two DCs end exact over mutual TLS (workers included);
// a peer with another job's CA, without a certificate, or with a wrong or no
// token is refused and no table changes.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "src/mirror/link_call.h"
#include "tests/mirror/geo_cluster.h"
#include "tests/mirror/mirror_test_util.h"
#include "tests/security/tls_test_util.h"

namespace gaia::testing {
namespace {

constexpr absl::Duration kRefusedWait = absl::Seconds(3);

class MirrorTls : public ::testing::Test {
 protected:
  void SetUp() override {
    job_ = MakeJobMaterial("job");
    other_ = MakeJobMaterial("other");
    ASSERT_TRUE(job_.security && other_.security);
    GeoCluster::Config config;
    config.num_dcs = 2;
    config.workers_per_dc = 1;
    config.tables = {Table("w", 32, 4)};
    config.tls = job_.files;
    cluster_ = std::make_unique<GeoCluster>(config);
    ASSERT_TRUE(cluster_->ok());
    address_ = "127.0.0.1:" + std::to_string(cluster_->mirror_port(0, 0));
  }

  uint64_t Refused() const { return cluster_->mirror(0, 0).GetStatus().calls_refused(); }

  // Opens Mirror.Link over `channel` and sends a hello of this job; the
  // status the stream ends with.
  grpc::Status OpenLink(std::shared_ptr<grpc::Channel> channel) {
    auto stub = rpc::Mirror::NewStub(std::move(channel));
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kRefusedWait));
    auto stream = stub->Link(&context);
    rpc::MirrorMessage hello;
    hello.mutable_hello()->set_job_id(cluster_->config().job_id);
    hello.mutable_hello()->set_from_dc(1);
    hello.mutable_hello()->set_to_dc(0);
    (void)stream->Write(hello);
    rpc::MirrorReply reply;
    while (stream->Read(&reply)) {
    }
    return stream->Finish();
  }

  grpc::StatusCode Flush(std::shared_ptr<grpc::Channel> channel) {
    auto stub = rpc::Mirror::NewStub(std::move(channel));
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kRefusedWait));
    rpc::FlushReply reply;
    return stub->Flush(&context, rpc::FlushRequest(), &reply).error_code();
  }

  // A refused peer: neither a link nor a flush gets through, and DC 0's
  // table is as it was.
  void ExpectRefused(std::shared_ptr<grpc::Channel> channel, MoreRefusals more) {
    const std::vector<float> before = cluster_->TableValues(0, 0);
    const uint64_t refused = Refused();
    const grpc::Status link = OpenLink(channel);
    EXPECT_FALSE(link.ok());
    EXPECT_NE(Flush(channel), grpc::StatusCode::OK);
    EXPECT_EQ(cluster_->TableValues(0, 0), before);
    ExpectMoreRefusals(refused, Refused(), more);
  }

  JobMaterial job_;
  JobMaterial other_;
  std::unique_ptr<GeoCluster> cluster_;
  std::string address_;
};

TEST_F(MirrorTls, TheJobsOwnLinksCarryEveryUpdate) {
  ASSERT_NO_FATAL_FAILURE(RunAndExpectExact(*cluster_, 6, 3, absl::Seconds(60)));
  EXPECT_GT(LinkStats(cluster_->mirror(0, 0).GetStatus(), 1, false).messages(), 0u);
  EXPECT_EQ(Flush(mirror::MirrorChannel(address_, job_.security)), grpc::StatusCode::OK);
  EXPECT_EQ(Refused(), 0u);
  EXPECT_EQ(cluster_->mirror(1, 0).GetStatus().calls_refused(), 0u);
}

TEST_F(MirrorTls, PeerWithAnotherJobsCertificateIsRefusedAtTheHandshakeAndCounted) {
  ExpectRefused(ChannelWithForeignCertificate(job_, other_, address_),
                MoreRefusals::Handshakes());
}

TEST_F(MirrorTls, PeerWithAnotherJobsCaRefusesTheMirror) {
  // It ends the handshake on the mirror's certificate: nothing to count.
  ExpectRefused(mirror::MirrorChannel(address_, Mixed(other_, job_)), MoreRefusals::None());
}

TEST_F(MirrorTls, PeerWithoutCertificateIsRefusedAtTheHandshakeAndCounted) {
  ExpectRefused(ChannelWithoutCertificate(job_, address_), MoreRefusals::Handshakes());
  // Plaintext is not a TLS handshake: gRPC drops it before any check of ours.
  ExpectRefused(mirror::MirrorChannel(address_, nullptr), MoreRefusals::None());
}

TEST_F(MirrorTls, PeerWithAWrongOrNoTokenIsRefusedAndCounted) {
  // Two calls each (the link and a flush), each counted.
  ExpectRefused(mirror::MirrorChannel(address_, Mixed(job_, other_)), MoreRefusals::Calls(2));
  ExpectRefused(ChannelWithoutToken(job_, address_), MoreRefusals::Calls(2));
}

}  // namespace
}  // namespace gaia::testing
