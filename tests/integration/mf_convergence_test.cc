// Multi-process MF jobs through the real launcher: `lan` and a 2-DC
// `baseline` run (cross-DC connections through the WAN relay) each converge
// to within 2% of a single-process serial SGD reference's converged loss on
// the same data. Uses the embedded default job, examples/mf-2dc.yaml.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/testing/subprocess.h"

namespace gaia {
namespace {

using json = nlohmann::json;

constexpr char kDataDc0[] =
    "synthetic:users=4000,items=1000,ratings=800000,rank=16,noise=0.3,zipf=0.3,"
    "user_zipf=0.5,seed=7,dc=0,dcs=2";
constexpr char kDataDc1[] =
    "synthetic:users=4000,items=1000,ratings=800000,rank=16,noise=0.3,zipf=0.3,"
    "user_zipf=0.5,seed=7,dc=1,dcs=2";

double SerialConvergedObjective() {
  auto result = testing::RunProcess(
      {testing::BinDir() + "/gaia_mf_serial", "--json", "--epochs=100",
       std::string("--data=") + kDataDc0, std::string("--data=") + kDataDc1, "--rank=16",
       "--lr=0.007", "--lr-decay=0.05", "--lambda=0.01", "--r-init-stddev=0.1"},
      std::chrono::seconds(300));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  const size_t brace = result.output.find('{');
  json j = json::parse(result.output.substr(brace == std::string::npos ? 0 : brace), nullptr, false);
  EXPECT_TRUE(j.is_object()) << result.output;
  EXPECT_TRUE(j.value("converged", false)) << result.output;
  return j.value("converged_objective", std::nan(""));
}

// Runs the example in `mode`; returns the run's summary entry. With
// `output`, progress is on and the launcher's output is stored there; with
// `results_dir`, where the results went.
json LaunchExample(const std::string& mode, std::string* output = nullptr,
                   std::string* results_dir = nullptr,
                   const std::string& spec = testing::SourceDir() + "/examples/mf-2dc.yaml") {
  const std::string results = testing::MakeTempDir("mf-" + mode);
  if (results_dir != nullptr) *results_dir = results;
  std::vector<std::string> argv = {testing::BinDir() + "/gaia", "launch", "--mode", mode,
                                   "--results", results, spec};
  if (output == nullptr) argv.insert(argv.begin() + 2, "--quiet");
  auto result = testing::RunProcess(argv, std::chrono::seconds(600));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  if (output != nullptr) *output = result.output;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(results)) {
    if (entry.path().filename() != "summary.json") continue;
    json summary = json::parse(testing::ReadTextFile(entry.path().string()), nullptr, false);
    if (summary.is_object() && summary.contains("runs") && !summary["runs"].empty()) {
      return summary["runs"][0];
    }
  }
  ADD_FAILURE() << "no summary.json under " << results << "\n" << result.output;
  return json::object();
}

// Every worker's shard addresses, from the configs the launcher wrote.
std::vector<std::vector<std::string>> WorkerShardAddresses(const std::string& results) {
  std::vector<std::vector<std::string>> workers;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(results)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("worker-", 0) != 0 || entry.path().extension() != ".json") continue;
    json config = json::parse(testing::ReadTextFile(entry.path().string()), nullptr, false);
    EXPECT_TRUE(config.is_object() && config.contains("shard_addresses")) << entry.path();
    if (!config.is_object() || !config.contains("shard_addresses")) continue;
    workers.push_back(config["shard_addresses"].get<std::vector<std::string>>());
  }
  return workers;
}

class MfConvergence : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { serial_ = SerialConvergedObjective(); }
  static double serial_;
};
double MfConvergence::serial_ = 0;

void ExpectWithinTwoPercent(const json& run, double serial) {
  ASSERT_TRUE(run.contains("converged")) << run.dump(2);
  ASSERT_TRUE(run["converged"].is_object()) << "run did not converge: " << run.dump(2);
  const double objective = run["converged"]["objective"].get<double>();
  EXPECT_LE(std::abs(objective - serial), 0.02 * serial)
      << "converged objective " << objective << " vs serial reference " << serial;
}

TEST_F(MfConvergence, LanMatchesSerialReference) {
  ASSERT_TRUE(std::isfinite(serial_));
  std::string results;
  const json run = LaunchExample("lan", nullptr, &results);
  ExpectWithinTwoPercent(run, serial_);
  EXPECT_EQ(run.value("wan_bytes", uint64_t{1}), 0u);
  // The example's test data: the workers' held-out error, combined.
  ASSERT_TRUE(run.contains("held_out")) << run.dump(2);
  EXPECT_EQ(run["held_out"]["name"], "test_rmse");
  EXPECT_EQ(run["held_out"]["clock"], 59);
  // The planted model's noise is 0.3: a trained model's test error is near it.
  EXPECT_GT(run["held_out"]["value"].get<double>(), 0.3);
  EXPECT_LT(run["held_out"]["value"].get<double>(), 0.4);
  // One DC on one host: every worker reaches every shard over its Unix socket.
  const auto workers = WorkerShardAddresses(results);
  EXPECT_EQ(workers.size(), 4u);
  for (const std::vector<std::string>& addresses : workers) {
    for (const std::string& address : addresses) {
      EXPECT_THAT(address, ::testing::StartsWith("unix-abstract:"));
    }
  }
}

TEST_F(MfConvergence, TwoDcBaselineOverRelayMatchesSerialReference) {
  ASSERT_TRUE(std::isfinite(serial_));
  std::string results;
  const json run = LaunchExample("baseline", nullptr, &results);
  ExpectWithinTwoPercent(run, serial_);
  // Every worker talks to the other DC's shard through the relay (TCP), to
  // its own DC's over that shard's Unix socket.
  EXPECT_GT(run.value("wan_bytes", uint64_t{0}), 0u);
  const auto workers = WorkerShardAddresses(results);
  EXPECT_EQ(workers.size(), 4u);
  for (const std::vector<std::string>& addresses : workers) {
    ASSERT_EQ(addresses.size(), 2u);
    const int local = (addresses[0].rfind("unix-abstract:", 0) == 0) +
                      (addresses[1].rfind("unix-abstract:", 0) == 0);
    const int tcp = (addresses[0].rfind("127.0.0.1:", 0) == 0) +
                    (addresses[1].rfind("127.0.0.1:", 0) == 0);
    EXPECT_EQ(local, 1) << addresses[0] << " " << addresses[1];
    EXPECT_EQ(tcp, 1) << addresses[0] << " " << addresses[1];
  }
  ASSERT_TRUE(run.contains("wan_links"));
  EXPECT_EQ(run["wan_links"].size(), 2u);
}

// ASP between the DCs (DESIGN.md §4.2): converges like the serial
// reference, and after the final flush both DCs hold the same model.
TEST_F(MfConvergence, TwoDcGaiaMatchesSerialReferenceAndDcCopiesAgree) {
  ASSERT_TRUE(std::isfinite(serial_));
  std::string output;
  // 80 clocks instead of the example's 60: the other DC's updates arrive in
  // bursts, so a gaia run can meet the launcher's convergence window a few
  // clocks after lan does (1 of 4 runs under load did so after clock 60).
  std::string spec = testing::ReadTextFile(testing::SourceDir() + "/examples/mf-2dc.yaml");
  const size_t at = spec.find("clocks: 60");
  ASSERT_NE(at, std::string::npos) << "examples/mf-2dc.yaml no longer runs 60 clocks";
  spec.replace(at, 10, "clocks: 80");
  const std::string spec_path = testing::MakeTempDir("mf-gaia-spec") + "/mf-2dc-80.yaml";
  std::ofstream(spec_path) << spec;
  const json run = LaunchExample("gaia", &output, nullptr, spec_path);
  ExpectWithinTwoPercent(run, serial_);
  // Progress names each WAN link with its rate, and the filtered share.
  EXPECT_THAT(output, ::testing::HasSubstr("virginia->california "));
  EXPECT_THAT(output, ::testing::HasSubstr("california->virginia "));
  EXPECT_THAT(output, ::testing::ContainsRegex("[0-9.]+ MB/s"));
  EXPECT_THAT(output, ::testing::HasSubstr("filtered "));
  ASSERT_TRUE(run.contains("mirror")) << run.dump(2);
  const json& mirror = run["mirror"];
  EXPECT_LT(mirror["dc_max_difference"].get<double>(), 1e-3);
  EXPECT_GT(mirror["elements_seen"].get<uint64_t>(), 0u);
  EXPECT_GT(mirror["elements_sent"].get<uint64_t>(), 0u);
  // Every local update element was scored on its own (thesis Fig. 5.4).
  EXPECT_EQ(mirror["updates_scored"].get<uint64_t>(), mirror["elements_seen"].get<uint64_t>());
  const double insignificant = mirror["insignificant_fraction"].get<double>();
  EXPECT_GE(insignificant, 0.0);
  EXPECT_LE(insignificant, 1.0);
  ASSERT_EQ(mirror["links"].size(), 2u);  // virginia->california and back
  for (const json& link : mirror["links"]) {
    EXPECT_GT(link["bytes"].get<uint64_t>(), 0u) << link.dump();
    EXPECT_EQ(link["rejected"].get<uint64_t>(), 0u) << link.dump();
  }
  EXPECT_GT(run.value("wan_bytes", uint64_t{0}), 0u);
  // Each DC's shard reports its peak memory.
  ASSERT_TRUE(run.contains("shard_peak_rss_bytes")) << run.dump(2);
  ASSERT_EQ(run["shard_peak_rss_bytes"].size(), 2u);
  for (const json& rss : run["shard_peak_rss_bytes"]) EXPECT_GT(rss.get<uint64_t>(), 1u << 20);
}

TEST_F(MfConvergence, TwoDcGaiaAsyncEndsWithEqualCopiesAndNoBarriers) {
  const json run = LaunchExample("gaia_async");
  ASSERT_TRUE(run.contains("mirror")) << run.dump(2);
  EXPECT_LT(run["mirror"]["dc_max_difference"].get<double>(), 1e-3);
  for (const json& link : run["mirror"]["links"]) {
    EXPECT_EQ(link["barriers"].get<uint64_t>(), 0u) << link.dump();
    // Reads are held only at the start line (docs/ASP.md): each worker's
    // first read past clock 0 waits for the peer's first clock, ~0.1 s here;
    // nothing holds them after that, over 60 clocks.
    EXPECT_LT(link["clock_stall_s"].get<double>(), 3.0) << link.dump();
  }
}

}  // namespace
}  // namespace gaia
