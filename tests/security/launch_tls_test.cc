// The real launcher with `tls.enabled: true` on one host (how CI tests
// TLS): the 2-DC MF job in gaia mode converges as it does without TLS, and
// the run's folder holds the material the launcher made, private to the
// user. The token is on no command line and in no worker config.
#include <sys/stat.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/testing/subprocess.h"

namespace gaia {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

// examples/mf-2dc.yaml with 80 clocks (as tests/integration's gaia-mode
// test: under load a gaia run may converge after clock 60) and `tls_line`
// appended.
std::string WriteSpec(const std::string& dir, const std::string& tls_line) {
  std::string spec = testing::ReadTextFile(testing::SourceDir() + "/examples/mf-2dc.yaml");
  const size_t at = spec.find("clocks: 60");
  EXPECT_NE(at, std::string::npos) << "examples/mf-2dc.yaml no longer runs 60 clocks";
  if (at != std::string::npos) spec.replace(at, 10, "clocks: 80");
  const std::string path = dir + "/job.yaml";
  testing::WriteTextFile(path, spec + tls_line + "\n");
  return path;
}

struct LaunchedRun {
  json summary;     // the run's entry in summary.json
  std::string dir;  // results/<job>/<time>
  std::string output;
};

LaunchedRun LaunchGaia(const std::string& name, const std::string& tls_line) {
  const std::string dir = testing::MakeTempDir(name);
  const std::string spec = WriteSpec(dir, tls_line);
  LaunchedRun run;
  const std::string results = dir + "/results";
  auto result = testing::RunProcess({testing::BinDir() + "/gaia", "launch", "--quiet", "--mode",
                                     "gaia", "--results", results, spec},
                                    std::chrono::seconds(600));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  run.output = result.output;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(results)) {
    if (entry.path().filename() != "summary.json") continue;
    json summary = json::parse(testing::ReadTextFile(entry.path().string()), nullptr, false);
    if (summary.is_object() && summary.contains("runs") && !summary["runs"].empty()) {
      run.summary = summary["runs"][0];
      run.dir = entry.path().parent_path().string();
    }
  }
  EXPECT_FALSE(run.dir.empty()) << "no summary.json under " << results;
  return run;
}

std::string AllFilesUnder(const std::string& dir, const std::string& extension) {
  std::string text;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.path().extension() == extension) text += testing::ReadTextFile(entry.path());
  }
  return text;
}

TEST(LaunchTls, GaiaModeConvergesWithTlsAsWithout) {
  const LaunchedRun plain = LaunchGaia("plain", "tls: {enabled: false}");
  const LaunchedRun tls = LaunchGaia("tls", "tls: {enabled: true}");
  ASSERT_TRUE(plain.summary.contains("final_objective")) << plain.summary;
  ASSERT_TRUE(tls.summary.contains("final_objective")) << tls.summary;
  const double a = plain.summary["final_objective"].get<double>();
  const double b = tls.summary["final_objective"].get<double>();
  // Same job and data, run to convergence; asynchronous mirroring makes
  // runs differ slightly.
  EXPECT_NEAR(b, a, 0.02 * a) << "plain " << a << ", tls " << b;
  EXPECT_FALSE(plain.summary["converged"].is_null()) << plain.summary;
  EXPECT_FALSE(tls.summary["converged"].is_null()) << tls.summary;

  // The launcher made the run's material, private to the user.
  const std::string material = tls.dir + "/tls";
  for (const char* private_file : {"ca.key", "127.0.0.1.key", "token"}) {
    struct stat st {};
    ASSERT_EQ(stat((material + "/" + private_file).c_str(), &st), 0) << private_file;
    EXPECT_EQ(st.st_mode & 077, 0u) << private_file << " is readable by others";
  }
  EXPECT_FALSE(std::filesystem::exists(plain.dir + "/tls"));

  // Every shard and mirror served TLS; the token is in no config or log.
  const std::string logs = AllFilesUnder(tls.dir, ".log");
  EXPECT_THAT(logs, HasSubstr("(mutual TLS)"));
  // Same-host sockets are files in a private folder, gone after the run.
  const size_t sock = logs.find("and unix:/");
  ASSERT_NE(sock, std::string::npos) << "no shard served a private Unix socket";
  const std::string sock_path = logs.substr(sock + 9, logs.find(' ', sock + 9) - sock - 9);
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(sock_path).parent_path()))
      << sock_path;
  EXPECT_THAT(logs, Not(HasSubstr("refused a call")));
  std::string token = testing::ReadTextFile(material + "/token");
  token.erase(token.find_last_not_of("\n") + 1);
  ASSERT_EQ(token.size(), 64u);
  EXPECT_THAT(logs + AllFilesUnder(tls.dir, ".json") + AllFilesUnder(tls.dir, ".yaml"),
              Not(HasSubstr(token)));
}

TEST(LaunchTls, ValidateShowsWhetherTlsIsOn) {
  const std::string dir = testing::MakeTempDir("tls-validate");
  for (const auto& [line, want] :
       {std::pair{"tls: {enabled: true}", "tls on (enabled: true), a job CA and token made"},
        std::pair{"tls: {enabled: false}", "tls off (enabled: false)"},
        std::pair{"", "tls off (enabled: auto)"}}) {
    auto result = testing::RunProcess(
        {testing::BinDir() + "/gaia", "validate", WriteSpec(dir, line)}, std::chrono::seconds(30));
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_THAT(result.output, HasSubstr(want));
  }
}

TEST(LaunchTls, MissingMaterialIsAnErrorNamingTheFileBeforeAnythingStarts) {
  const std::string dir = testing::MakeTempDir("tls-missing");
  const std::string spec =
      WriteSpec(dir, "tls: {enabled: true, cert: c.pem, key: k.pem, ca: ca.pem}");
  auto result = testing::RunProcess(
      {testing::BinDir() + "/gaia", "launch", "--quiet", "--results", dir + "/r", spec},
      std::chrono::seconds(60));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("tls cert: cannot read " + dir + "/c.pem"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/r"));
}

}  // namespace
}  // namespace gaia
