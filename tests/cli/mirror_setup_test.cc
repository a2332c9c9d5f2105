// The launcher's gaia-mode plumbing: mirror options from the spec, peers
// files, relay routes between mirrors.
#include "src/cli/mirror_setup.h"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/cli/relay_plan.h"
#include "src/cli/wan_links.h"
#include "tests/testing/subprocess.h"
#include "tests/cli/two_dc_spec.h"

namespace gaia::cli {
namespace {

using ::testing::HasSubstr;

common::JobSpec GaiaSpec() {
  common::JobSpec spec = TwoDcTestSpec(2, 1, 2, 1);
  spec.asp.threshold = 0.05;
  spec.asp.ds = 3;
  return spec;
}

TEST(MirrorSetup, OptionsFollowTheSpecAndTheShardsPlace) {
  const common::JobSpec spec = GaiaSpec();
  auto topo = common::PlanTopology(spec, common::Mode::kGaia);
  ASSERT_TRUE(topo.ok());
  auto registry = LoadSignificance(spec);
  ASSERT_TRUE(registry.ok()) << registry.status();
  // Shard 3 is the second shard of DC b.
  auto options = MirrorOptionsFor(spec, *topo, 3, "job-7", **registry);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->dc, 1u);
  EXPECT_EQ(options->partition_index, 1u);
  EXPECT_EQ(options->partition_size, 2u);
  EXPECT_EQ(options->job_id, "job-7");
  EXPECT_EQ(options->ds, 3);
  EXPECT_TRUE(options->barriers);
  EXPECT_DOUBLE_EQ(options->threshold.initial, 0.05);
  EXPECT_TRUE(options->threshold.soft_enabled);
  EXPECT_EQ(options->overlay.num_dcs(), 2u);
}

TEST(MirrorSetup, GaiaAsyncHasNoBarriersAndNoDsBound) {
  common::JobSpec spec = GaiaSpec();
  spec.asp.goal = common::AspGoal::kCost;
  auto topo = common::PlanTopology(spec, common::Mode::kGaiaAsync);
  ASSERT_TRUE(topo.ok());
  auto registry = LoadSignificance(spec);
  ASSERT_TRUE(registry.ok());
  auto options = MirrorOptionsFor(spec, *topo, 0, "j", **registry);
  ASSERT_TRUE(options.ok());
  EXPECT_LT(options->ds, 0);
  EXPECT_FALSE(options->barriers);
  EXPECT_FALSE(options->threshold.soft_enabled);
}

TEST(MirrorSetup, UnknownFunctionAndMissingPluginAreNamed) {
  common::JobSpec spec = GaiaSpec();
  spec.asp.significance = "no_such_fn";
  auto unknown = LoadSignificance(spec);
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("no_such_fn"));
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("relative"));
  spec.asp.significance = "relative";
  spec.source = "/nonexistent-dir/job.yaml";
  spec.asp.plugins = {"libmissing.so"};
  auto missing = LoadSignificance(spec);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("/nonexistent-dir/libmissing.so"));
}

TEST(MirrorSetup, PeersFile) {
  const std::string dir = testing::MakeTempDir("peers");
  EXPECT_TRUE(absl::IsUnavailable(ReadPeersFile(dir + "/none.json").status()));
  std::ofstream(dir + "/good.json") << R"({"peers": {"1": "127.0.0.1:7001", "2": "h:9"}})";
  auto peers = ReadPeersFile(dir + "/good.json");
  ASSERT_TRUE(peers.ok()) << peers.status();
  EXPECT_EQ(peers->size(), 2u);
  EXPECT_EQ(peers->at(1), "127.0.0.1:7001");
  EXPECT_EQ(peers->at(2), "h:9");
  std::ofstream(dir + "/bad.json") << R"({"peers": {"x": "h:1"}})";
  EXPECT_TRUE(absl::IsInvalidArgument(ReadPeersFile(dir + "/bad.json").status()));
  std::ofstream(dir + "/junk.json") << "not json";
  EXPECT_TRUE(absl::IsInvalidArgument(ReadPeersFile(dir + "/junk.json").status()));
}

TEST(RelayPlan, GaiaRoutesEveryMirrorToEveryOtherDcsShards) {
  const common::JobSpec spec = GaiaSpec();
  auto topo = common::PlanTopology(spec, common::Mode::kGaia);
  ASSERT_TRUE(topo.ok());
  auto links = ResolveWanLinks(spec, topo->host_dcs);
  ASSERT_TRUE(links.ok()) << links.status();
  RelayPlan plan = PlanGaiaRelay(*links, *topo, {9000, 9001, 9002, 9003});
  ASSERT_EQ(plan.links.size(), 2u);
  // Each DC reaches the other DC's two shards through the relay.
  ASSERT_EQ(plan.routes.size(), 4u);
  for (const RelayRoute& route : plan.routes) {
    EXPECT_NE(topo->shards[route.shard].host_dc, route.from_dc);
    EXPECT_EQ(route.target_port, 9000 + static_cast<int>(route.shard));
  }
}

}  // namespace
}  // namespace gaia::cli
