// Two jobs' TLS material and the peers a test plays against a job's servers:
// the job's own, one with another job's CA or certificate, one without a
// certificate, and ones with a wrong or no token.
#ifndef GAIA_TESTS_SECURITY_TLS_TEST_UTIL_H_
#define GAIA_TESTS_SECURITY_TLS_TEST_UTIL_H_

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "src/common/job_certs.h"
#include "src/common/link_security.h"
#include "src/common/rpc_options.h"
#include "tests/testing/subprocess.h"

namespace gaia::testing {

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The material of one job, made by `gaia certs`' code for 127.0.0.1.
struct JobMaterial {
  common::TlsFiles files;
  std::shared_ptr<const common::LinkSecurity> security;
};

inline JobMaterial MakeJobMaterial(const std::string& name) {
  JobMaterial job;
  common::JobCertsOptions options;
  options.out_dir = MakeTempDir("tls-" + name) + "/certs";
  options.hosts = {"127.0.0.1"};
  options.job_name = name;
  const absl::Status written = common::WriteJobCerts(options);
  EXPECT_TRUE(written.ok()) << written;
  job.files = common::JobCertsFilesFor(options.out_dir, "127.0.0.1");
  auto security = common::LinkSecurity::Load(job.files);
  EXPECT_TRUE(security.ok()) << security.status();
  if (security.ok()) job.security = *security;
  return job;
}

// `cert_from`'s certificate, key and CA with `token_from`'s token.
inline std::shared_ptr<const common::LinkSecurity> Mixed(const JobMaterial& cert_from,
                                                         const JobMaterial& token_from) {
  common::TlsFiles files = cert_from.files;
  files.token = token_from.files.token;
  auto security = common::LinkSecurity::Load(files);
  EXPECT_TRUE(security.ok()) << security.status();
  return security.ok() ? *security : nullptr;
}

// A TLS channel without the token interceptor (calls carry no token unless
// the test's ClientContext adds one) that trusts the CA in `ca_from` and
// shows the certificate and key of `cert_from` (none if null).
inline std::shared_ptr<grpc::Channel> BareTlsChannel(const JobMaterial& ca_from,
                                                     const JobMaterial* cert_from,
                                                     const std::string& address) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadText(ca_from.files.ca);
  if (cert_from != nullptr) {
    options.pem_cert_chain = ReadText(cert_from->files.cert);
    options.pem_private_key = ReadText(cert_from->files.key);
  }
  grpc::ChannelArguments args = common::ClientChannelArguments(common::ServerKind::kShard);
  args.SetSslTargetNameOverride(common::kJobPeerName);
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(options), args);
}

// TLS that trusts the job's CA but shows no client certificate.
inline std::shared_ptr<grpc::Channel> ChannelWithoutCertificate(const JobMaterial& job,
                                                                const std::string& address) {
  return BareTlsChannel(job, nullptr, address);
}

// The job's own certificate, but calls carry no token.
inline std::shared_ptr<grpc::Channel> ChannelWithoutToken(const JobMaterial& job,
                                                          const std::string& address) {
  return BareTlsChannel(job, &job, address);
}

// Trusts `job`'s CA, so it accepts the job's servers, but shows the
// certificate (and key) of `foreign`, another job: the server must refuse it.
inline std::shared_ptr<grpc::Channel> ChannelWithForeignCertificate(
    const JobMaterial& job, const JobMaterial& foreign, const std::string& address) {
  return BareTlsChannel(job, &foreign, address);
}

// How many refusals a refused peer adds to a server's count: exactly
// `calls` for calls refused by the token check; for a handshake the server
// refuses, at least one and at most one per connection attempt gRPC makes
// within the test's wait (it reconnects with backoff).
struct MoreRefusals {
  uint64_t at_least;
  uint64_t at_most;
  static MoreRefusals None() { return {0, 0}; }
  static MoreRefusals Calls(uint64_t calls) { return {calls, calls}; }
  static MoreRefusals Handshakes() { return {1, 16}; }
};

inline void ExpectMoreRefusals(uint64_t before, uint64_t after, MoreRefusals more) {
  EXPECT_GE(after, before + more.at_least);
  EXPECT_LE(after, before + more.at_most);
}

}  // namespace gaia::testing

#endif  // GAIA_TESTS_SECURITY_TLS_TEST_UTIL_H_
