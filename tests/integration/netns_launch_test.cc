// `gaia launch` with wan.emulate: netns: each DC's processes in a network
// namespace of their own, links shaped by tc from the vc-2dc preset, delay
// in per-DC relays where the kernel has no netem. Needs root with iproute2
// and tc (wan::ProbeKernel); otherwise every test here skips, saying why.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/testing/subprocess.h"
#include "src/wan/netns_emulator.h"

namespace gaia {
namespace {

using json = nlohmann::json;

// The default example's job, shorter, over the kernel emulator.
constexpr char kSpec[] = R"(name: mf-netns
mode: [baseline, gaia]
app:
  program: gaia_mf
  clocks: 12
  args: {rank: 16, lr: 0.007, lr-decay: 0.05, lambda: 0.01}
tables:
  - {name: R, rows: 1000, width: 16, init: {kind: normal, stddev: 0.1, seed: 1}}
dcs:
  - name: virginia
    shards: 1
    workers: 2
    data: "synthetic:users=2000,items=1000,ratings=200000,rank=16,noise=0.3,seed=7,dc=0,dcs=2"
  - name: california
    shards: 1
    workers: 2
    data: "synthetic:users=2000,items=1000,ratings=200000,rank=16,noise=0.3,seed=7,dc=1,dcs=2"
consistency: {model: bsp}
asp: {significance: relative, threshold: 0.01, ds: 2}
wan: {emulate: netns, preset: vc-2dc, bandwidth_scale: 0.2}
timeout_s: 300
)";

// Names in `dir` that start with `prefix`: the launcher's emulators are
// named "r<hex>", so their bridges are "gb-r..." (/sys/class/net) and their
// namespaces "gaia-r..." (/run/netns).
std::vector<std::string> EntriesStartingWith(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}
std::vector<std::string> OurBridges() { return EntriesStartingWith("/sys/class/net", "gb-r"); }
std::vector<std::string> OurNamespaces() { return EntriesStartingWith("/run/netns", "gaia-r"); }

class NetnsLaunch : public ::testing::Test {
 protected:
  void SetUp() override {
    const wan::KernelSupport support = wan::ProbeKernel();
    if (!support.ok) GTEST_SKIP() << "kernel WAN emulation unavailable: " << support.reason;
    state_dir_ = testing::MakeTempDir("netns-launch-state");
    setenv("GAIA_WAN_STATE_DIR", state_dir_.c_str(), 1);
  }
  void TearDown() override { unsetenv("GAIA_WAN_STATE_DIR"); }
  std::string state_dir_;
};

TEST_F(NetnsLaunch, BaselineAndGaiaRunInNamespacesAndLeaveNothingBehind) {
  const std::vector<std::string> namespaces_before = OurNamespaces();
  const std::vector<std::string> bridges_before = OurBridges();
  const std::string dir = testing::MakeTempDir("netns-launch");
  testing::WriteTextFile(dir + "/job.yaml", kSpec);
  const std::string results = dir + "/results";
  auto result = testing::RunProcess({testing::BinDir() + "/gaia", "launch", "--quiet",
                                     "--results", results, dir + "/job.yaml"},
                                    std::chrono::seconds(600));
  ASSERT_EQ(result.exit_code, 0) << result.output;

  json summary;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(results)) {
    if (entry.path().filename() == "summary.json") {
      summary = json::parse(testing::ReadTextFile(entry.path().string()), nullptr, false);
    }
  }
  ASSERT_TRUE(summary.is_object() && summary.contains("runs")) << result.output;
  ASSERT_EQ(summary["runs"].size(), 2u);
  for (const json& run : summary["runs"]) {
    SCOPED_TRACE(run.value("mode", std::string("?")));
    EXPECT_EQ(run.value("clocks_completed", 0), 12);
    // Cross-DC bytes went through the per-DC relays, both directions.
    EXPECT_GT(run.value("wan_bytes", uint64_t{0}), 0u);
    ASSERT_TRUE(run.contains("wan_links"));
    ASSERT_EQ(run["wan_links"].size(), 2u) << run.dump(2);
    for (const json& link : run["wan_links"]) EXPECT_GT(link["bytes"].get<uint64_t>(), 0u);
  }
  const json& gaia = summary["runs"][1];
  ASSERT_TRUE(gaia.contains("mirror")) << gaia.dump(2);
  EXPECT_LT(gaia["mirror"]["dc_max_difference"].get<double>(), 1e-3);

  // The run's namespaces and state are gone.
  EXPECT_EQ(OurNamespaces(), namespaces_before);
  EXPECT_EQ(OurBridges(), bridges_before);
  EXPECT_TRUE(std::filesystem::is_empty(state_dir_));
}

}  // namespace
}  // namespace gaia
