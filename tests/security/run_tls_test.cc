// A launch's TLS material (src/cli/run_tls.h): what the launcher makes, what
// it takes from the spec, and what `gaia flush` reads back.
#include "src/cli/run_tls.h"

#include <sys/stat.h>

#include <filesystem>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/common/job_certs.h"
#include "tests/testing/subprocess.h"

namespace gaia::cli {
namespace {

using ::testing::HasSubstr;

common::JobSpec SpecWithTls(common::TlsMode mode) {
  common::JobSpec spec;
  spec.name = "j";
  spec.tls.enabled = mode;
  return spec;
}

bool IsPrivate(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && (st.st_mode & 077) == 0;
}

TEST(RunTls, OffAndAutoOnOneHostNeedNoMaterial) {
  const std::string run = gaia::testing::MakeTempDir("run-off");
  for (common::TlsMode mode : {common::TlsMode::kOff, common::TlsMode::kAuto}) {
    absl::StatusOr<common::TlsFiles> files = PrepareRunTls(SpecWithTls(mode), run);
    ASSERT_TRUE(files.ok()) << files.status();
    EXPECT_TRUE(files->empty());
  }
  EXPECT_FALSE(std::filesystem::exists(run + "/tls"));
  absl::StatusOr<common::TlsFiles> read = ReadRunTls(run);
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->empty());
}

TEST(RunTls, WithoutMaterialTheLauncherMakesTheRunsOwn) {
  const std::string run = gaia::testing::MakeTempDir("run-make");
  absl::StatusOr<common::TlsFiles> files = PrepareRunTls(SpecWithTls(common::TlsMode::kOn), run);
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ(files->ca, run + "/tls/ca.crt");
  EXPECT_TRUE(IsPrivate(files->key));
  EXPECT_TRUE(IsPrivate(files->token));
  EXPECT_TRUE(common::LinkSecurity::Load(*files).ok());
  // What `gaia flush` reads back.
  absl::StatusOr<common::TlsFiles> read = ReadRunTls(run);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->cert, files->cert);
  EXPECT_EQ(read->token, files->token);
}

TEST(RunTls, ADirFromGaiaCertsIsUsedAsIs) {
  const std::string base = gaia::testing::MakeTempDir("run-dir");
  common::JobCertsOptions options;
  options.out_dir = base + "/certs";
  options.hosts = {"10.0.0.9", "127.0.0.1"};
  ASSERT_TRUE(common::WriteJobCerts(options).ok());
  common::JobSpec spec = SpecWithTls(common::TlsMode::kOn);
  spec.tls.dir = options.out_dir;
  ASSERT_TRUE(CheckRunTls(spec).ok());
  absl::StatusOr<common::TlsFiles> files = PrepareRunTls(spec, base + "/run");
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ(files->cert, options.out_dir + "/127.0.0.1.crt");
  EXPECT_EQ(files->token, options.out_dir + "/token");
  EXPECT_FALSE(std::filesystem::exists(base + "/run/tls/token"));
}

TEST(RunTls, ADirWithoutThisHostIsAnErrorNamingIt) {
  const std::string base = gaia::testing::MakeTempDir("run-nohost");
  common::JobCertsOptions options;
  options.out_dir = base + "/certs";
  options.hosts = {"10.0.0.9"};
  ASSERT_TRUE(common::WriteJobCerts(options).ok());
  common::JobSpec spec = SpecWithTls(common::TlsMode::kOn);
  spec.tls.dir = options.out_dir;
  absl::Status s = CheckRunTls(spec);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("tls.dir: " + options.out_dir));
}

TEST(RunTls, TheUsersOwnCertificatesGetAFreshTokenPerRun) {
  const std::string base = gaia::testing::MakeTempDir("run-own");
  common::JobCertsOptions options;
  options.out_dir = base + "/pki";
  options.hosts = {"127.0.0.1"};
  ASSERT_TRUE(common::WriteJobCerts(options).ok());
  common::JobSpec spec = SpecWithTls(common::TlsMode::kOn);
  spec.tls.cert = options.out_dir + "/127.0.0.1.crt";
  spec.tls.key = options.out_dir + "/127.0.0.1.key";
  spec.tls.ca = options.out_dir + "/ca.crt";
  absl::StatusOr<common::TlsFiles> a = PrepareRunTls(spec, base + "/run-a");
  absl::StatusOr<common::TlsFiles> b = PrepareRunTls(spec, base + "/run-b");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->token, base + "/run-a/tls/token");
  EXPECT_TRUE(IsPrivate(a->token));
  EXPECT_NE(gaia::testing::ReadTextFile(a->token), gaia::testing::ReadTextFile(b->token));
}

TEST(RunTls, PrivateSocketFolderIsTheUsersOnlyAndGoesAway) {
  std::string path;
  {
    absl::StatusOr<std::unique_ptr<PrivateDir>> dir = PrivateDir::Create("gaia-test");
    ASSERT_TRUE(dir.ok()) << dir.status();
    path = (*dir)->path();
    struct stat st {};
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    EXPECT_LT(path.size() + 32, 107u) << "room for socket names";
    gaia::testing::WriteTextFile(path + "/x.sock", "");
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace gaia::cli
