// `gaia certs`' material (src/common/job_certs.h), read back with OpenSSL,
// and LinkSecurity::Load's errors for bad material.
#include "src/common/job_certs.h"

#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "src/common/link_security.h"
#include "tests/testing/subprocess.h"

namespace gaia::common {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

struct X509Free {
  void operator()(X509* c) const { X509_free(c); }
};
using Cert = std::unique_ptr<X509, X509Free>;

Cert ReadCert(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return nullptr;
  Cert cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return cert;
}

// The subjectAltName entries as "IP:a.b.c.d" / "DNS:name".
std::vector<std::string> AltNames(X509* cert) {
  std::vector<std::string> out;
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_DNS) {
      out.push_back("DNS:" + std::string(reinterpret_cast<const char*>(
                                 ASN1_STRING_get0_data(name->d.dNSName))));
    } else if (name->type == GEN_IPADD && ASN1_STRING_length(name->d.iPAddress) == 4) {
      const unsigned char* ip = ASN1_STRING_get0_data(name->d.iPAddress);
      out.push_back("IP:" + std::to_string(ip[0]) + "." + std::to_string(ip[1]) + "." +
                    std::to_string(ip[2]) + "." + std::to_string(ip[3]));
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

// Days between now and the certificate's notAfter.
int DaysLeft(X509* cert) {
  int days = 0;
  int seconds = 0;
  EXPECT_EQ(ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert)), 1);
  return days;
}

TEST(JobCerts, HostCertificatesNameTheirHostAndChainToTheJobCa) {
  const std::string dir = gaia::testing::MakeTempDir("certs") + "/job";
  JobCertsOptions options;
  options.out_dir = dir;
  options.hosts = {"10.77.1.2", "db.example.org"};
  options.days = 12;
  ASSERT_TRUE(WriteJobCerts(options).ok());

  Cert ca = ReadCert(dir + "/ca.crt");
  ASSERT_NE(ca, nullptr);
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  Cert ip_host = ReadCert(dir + "/10.77.1.2.crt");
  ASSERT_NE(ip_host, nullptr);
  EXPECT_THAT(AltNames(ip_host.get()),
              ::testing::UnorderedElementsAre("IP:10.77.1.2", std::string("DNS:") + kJobPeerName));
  Cert dns_host = ReadCert(dir + "/db.example.org.crt");
  ASSERT_NE(dns_host, nullptr);
  EXPECT_THAT(AltNames(dns_host.get()), ::testing::Contains("DNS:db.example.org"));
  EXPECT_EQ(X509_check_ca(ip_host.get()), 0) << "a host certificate must not sign others";

  // Signed by the CA's key, not by themselves.
  EVP_PKEY* ca_key = X509_get0_pubkey(ca.get());
  EXPECT_EQ(X509_verify(ip_host.get(), ca_key), 1);
  EXPECT_EQ(X509_verify(dns_host.get(), ca_key), 1);
  EXPECT_NE(X509_verify(ip_host.get(), X509_get0_pubkey(ip_host.get())), 1);
  EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(ip_host.get())), EVP_PKEY_EC);

  // Valid now, for the days asked.
  EXPECT_LT(X509_cmp_current_time(X509_get0_notBefore(ip_host.get())), 0);
  EXPECT_GE(DaysLeft(ip_host.get()), 11);
  EXPECT_LE(DaysLeft(ip_host.get()), 12);

  // Keys and the token are the user's only; the folder too.
  EXPECT_EQ(ModeOf(dir), 0700u);
  EXPECT_EQ(ModeOf(dir + "/ca.key"), 0600u);
  EXPECT_EQ(ModeOf(dir + "/10.77.1.2.key"), 0600u);
  EXPECT_EQ(ModeOf(dir + "/token"), 0600u);

  // The material loads as a host's TLS setup.
  absl::StatusOr<std::shared_ptr<const LinkSecurity>> security =
      LinkSecurity::Load(JobCertsFilesFor(dir, "10.77.1.2"));
  ASSERT_TRUE(security.ok()) << security.status();
  EXPECT_TRUE((*security)->tls());
  EXPECT_EQ((*security)->token().size(), 64u);
}

TEST(JobCerts, EveryRunGetsItsOwnTokenAndCa) {
  const std::string base = gaia::testing::MakeTempDir("certs2");
  for (const char* sub : {"/a", "/b"}) {
    JobCertsOptions options;
    options.out_dir = base + sub;
    options.hosts = {"127.0.0.1"};
    ASSERT_TRUE(WriteJobCerts(options).ok());
  }
  auto a = LinkSecurity::Load(JobCertsFilesFor(base + "/a", "127.0.0.1"));
  auto b = LinkSecurity::Load(JobCertsFilesFor(base + "/b", "127.0.0.1"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)->token(), (*b)->token());
  Cert a_cert = ReadCert(base + "/a/127.0.0.1.crt");
  Cert b_ca = ReadCert(base + "/b/ca.crt");
  EXPECT_NE(X509_verify(a_cert.get(), X509_get0_pubkey(b_ca.get())), 1);
}

TEST(JobCerts, BadOptionsAndExistingMaterialAreRefused) {
  const std::string dir = gaia::testing::MakeTempDir("certs3") + "/job";
  JobCertsOptions options;
  options.out_dir = dir;
  options.hosts = {"bad host!"};
  absl::Status s = WriteJobCerts(options);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("'bad host!'"));
  options.hosts = {"127.0.0.1"};
  options.days = 0;
  EXPECT_TRUE(absl::IsInvalidArgument(WriteJobCerts(options)));
  options.days = 1;
  ASSERT_TRUE(WriteJobCerts(options).ok());
  s = WriteJobCerts(options);
  EXPECT_TRUE(absl::IsAlreadyExists(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(dir + "/ca.key"));
}

class BadMaterial : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = gaia::testing::MakeTempDir("badtls") + "/job";
    JobCertsOptions options;
    options.out_dir = dir_;
    options.hosts = {"127.0.0.1"};
    ASSERT_TRUE(WriteJobCerts(options).ok());
    files_ = JobCertsFilesFor(dir_, "127.0.0.1");
  }
  std::string LoadError() const {
    absl::StatusOr<std::shared_ptr<const LinkSecurity>> s = LinkSecurity::Load(files_);
    EXPECT_FALSE(s.ok());
    return s.ok() ? "" : std::string(s.status().message());
  }
  std::string dir_;
  TlsFiles files_;
};

TEST_F(BadMaterial, MissingFileIsNamed) {
  files_.ca = dir_ + "/nope.crt";
  EXPECT_THAT(LoadError(), HasSubstr("tls ca: cannot read " + dir_ + "/nope.crt"));
}

TEST_F(BadMaterial, NonPemCertificateIsNamed) {
  std::ofstream(dir_ + "/junk.crt") << "not a certificate\n";
  files_.cert = dir_ + "/junk.crt";
  EXPECT_THAT(LoadError(), HasSubstr("tls cert: " + dir_ + "/junk.crt holds no PEM CERTIFICATE"));
}

TEST_F(BadMaterial, KeyOrTokenReadableByOthersIsRefused) {
  fs::permissions(files_.key, fs::perms::group_read, fs::perm_options::add);
  EXPECT_THAT(LoadError(), HasSubstr("tls key: " + files_.key + " is readable by group or others"));
  fs::permissions(files_.key, fs::perms::group_read, fs::perm_options::remove);
  fs::permissions(files_.token, fs::perms::others_read, fs::perm_options::add);
  EXPECT_THAT(LoadError(), HasSubstr("tls token: " + files_.token));
}

TEST_F(BadMaterial, ShortTokenAndPartialSetAreRefused) {
  fs::remove(files_.token);
  {
    std::ofstream out(files_.token);
    out << "abc\n";
  }
  fs::permissions(files_.token, fs::perms::owner_read | fs::perms::owner_write,
                  fs::perm_options::replace);
  EXPECT_THAT(LoadError(), HasSubstr("holds 3 characters"));
  files_.token.clear();
  EXPECT_THAT(LoadError(), HasSubstr("tls token: missing"));
}

}  // namespace
}  // namespace gaia::common
