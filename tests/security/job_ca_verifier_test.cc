// The server's check of a client certificate against the job's CA
// (src/common/job_ca_verifier.h), on `gaia certs`' material; the same check
// refusing real handshakes is in shard_tls_test and mirror_tls_test.
#include "src/common/job_ca_verifier.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/security/tls_test_util.h"

namespace gaia::testing {
namespace {

using ::testing::HasSubstr;

class JobCaVerifierTest : public ::testing::Test {
 protected:
  JobMaterial job_ = MakeJobMaterial("verifier-job");
  JobMaterial other_ = MakeJobMaterial("verifier-other");
  std::string ca_ = ReadText(job_.files.ca);
};

TEST_F(JobCaVerifierTest, TheJobsOwnCertificateVerifies) {
  const std::string cert = ReadText(job_.files.cert);
  EXPECT_EQ(common::ClientCertificateError(ca_, cert, ""), "");
  // gRPC's full chain may repeat the leaf.
  EXPECT_EQ(common::ClientCertificateError(ca_, cert, cert), "");
}

TEST_F(JobCaVerifierTest, AnotherJobsCertificateIsRefusedWithOpenSslsReason) {
  const std::string foreign = ReadText(other_.files.cert);
  const std::string why = common::ClientCertificateError(ca_, foreign, foreign);
  EXPECT_THAT(why, HasSubstr("the job's CA does not verify"));
  EXPECT_THAT(why, HasSubstr("issuer"));
}

TEST_F(JobCaVerifierTest, AnotherJobsCaInTheChainDoesNotMakeItTrusted) {
  // A peer cannot bring its own root: only the server's CA is trusted.
  const std::string foreign = ReadText(other_.files.cert);
  const std::string chain = foreign + ReadText(other_.files.ca);
  EXPECT_THAT(common::ClientCertificateError(ca_, foreign, chain),
              HasSubstr("the job's CA does not verify"));
}

TEST_F(JobCaVerifierTest, NoOrUnreadableCertificateIsRefused) {
  EXPECT_EQ(common::ClientCertificateError(ca_, "", ""), "no client certificate");
  EXPECT_EQ(common::ClientCertificateError(ca_, "not a certificate", ""),
            "no client certificate");
}

TEST_F(JobCaVerifierTest, AnUnreadableCaTrustsNothing) {
  const std::string cert = ReadText(job_.files.cert);
  EXPECT_THAT(common::ClientCertificateError("", cert, ""),
              HasSubstr("the job's CA does not verify"));
}

}  // namespace
}  // namespace gaia::testing
