// Placement decides where each process of a run goes and how the others
// reach it; all of it is checked here without starting a process.
#include "src/cli/placement.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/cli/relay_plan.h"
#include "src/cli/wan_links.h"
#include "src/common/job_spec.h"
#include "src/common/topology.h"
#include "tests/cli/two_dc_spec.h"

namespace gaia::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

common::JobSpec Spec(uint32_t shards_a, uint32_t shards_b, common::WanEmulation emulate) {
  common::JobSpec spec = TwoDcTestSpec(shards_a, 1, shards_b, 2);
  spec.wan.emulate = emulate;
  spec.wan.bandwidth_mbps = 50;
  spec.wan.delay_ms = 7;
  return spec;
}

common::Topology Plan(const common::JobSpec& spec, common::Mode mode) {
  absl::StatusOr<common::Topology> topo = common::PlanTopology(spec, mode);
  EXPECT_TRUE(topo.ok()) << topo.status();
  return topo.ok() ? *topo : common::Topology{};
}

PlacementOptions Options() {
  PlacementOptions options;
  options.socket_prefix = "gaia-7";
  options.job_id = "job1";
  return options;
}

// What the kernel emulator's Up returns for DCs a and b, for the fields
// placement reads.
wan::NetnsPlan KernelWanPlan() {
  wan::NetnsPlan plan;
  plan.name = "r1";
  plan.dcs.resize(2);
  plan.dcs[0].dc = "a";
  plan.dcs[0].netns = "gaia-r1-a";
  plan.dcs[0].ip = "10.9.0.2";
  plan.dcs[1].dc = "b";
  plan.dcs[1].netns = "gaia-r1-b";
  plan.dcs[1].ip = "10.9.0.3";
  return plan;
}

TEST(Placement, WithoutAnEmulatedWanEverythingRunsHereAndConnectsDirectly) {
  const common::JobSpec spec = Spec(2, 1, common::WanEmulation::kNone);
  const common::Topology topo = Plan(spec, common::Mode::kBaseline);
  const Placement p = PlaceProcesses(spec, topo, nullptr, Options());
  ASSERT_EQ(p.dcs.size(), 2u);
  for (const DcPlacement& dc : p.dcs) {
    EXPECT_EQ(dc.where, Location{});
    EXPECT_EQ(dc.ip, "127.0.0.1");
  }
  EXPECT_TRUE(p.relays.empty());
  ASSERT_EQ(p.shards.size(), 3u);
  EXPECT_EQ(p.shards[2].dc, 1u);
  EXPECT_EQ(p.shards[2].listen, "") << "loopback is enough when everyone is here";
  EXPECT_EQ(p.shards[0].local_address, "unix-abstract:gaia-7-baseline-0-job1");
  // Worker 0 (DC a): its DC's shards over their sockets, b's shard directly.
  EXPECT_THAT(WorkerShardAddresses(p, topo, 0, {1001, 1002, 1003}, {}),
              ElementsAre("unix-abstract:gaia-7-baseline-0-job1",
                          "unix-abstract:gaia-7-baseline-1-job1", "127.0.0.1:1003"));
  EXPECT_EQ(LauncherAddress(p, 1, 1003), "127.0.0.1:1003");
}

TEST(Placement, TheProxyRelayCarriesEveryCrossDcConnection) {
  const common::JobSpec spec = Spec(2, 1, common::WanEmulation::kProxy);
  const common::Topology topo = Plan(spec, common::Mode::kBaseline);
  const Placement p = PlaceProcesses(spec, topo, nullptr, Options());
  ASSERT_EQ(p.relays.size(), 1u);
  EXPECT_FALSE(p.relay_per_dc);
  EXPECT_EQ(p.relays[0].name, "");
  EXPECT_EQ(p.relays[0].where, Location{});

  absl::StatusOr<wan::LinkMatrix> links = ResolveWanLinks(spec, topo.host_dcs);
  ASSERT_TRUE(links.ok()) << links.status();
  std::vector<RelayPlan> relays = {PlanBaselineRelay(*links, topo, {1001, 1002, 1003})};
  // Routes: a -> shard 2, b -> shard 0, b -> shard 1.
  for (size_t r = 0; r < relays[0].routes.size(); ++r) relays[0].routes[r].listen_port = 2000 + r;
  EXPECT_THAT(WorkerShardAddresses(p, topo, 0, {1001, 1002, 1003}, relays),
              ElementsAre("unix-abstract:gaia-7-baseline-0-job1",
                          "unix-abstract:gaia-7-baseline-1-job1", "127.0.0.1:2000"));
  EXPECT_THAT(
      WorkerShardAddresses(p, topo, 2, {1001, 1002, 1003}, relays),
      ElementsAre("127.0.0.1:2001", "127.0.0.1:2002", "unix-abstract:gaia-7-baseline-2-job1"));
}

TEST(Placement, LanModeNeverEmulatesAWan) {
  const common::JobSpec spec = Spec(2, 1, common::WanEmulation::kProxy);
  const common::Topology topo = Plan(spec, common::Mode::kLan);
  const Placement p = PlaceProcesses(spec, topo, nullptr, Options());
  EXPECT_TRUE(p.relays.empty());
  ASSERT_EQ(p.workers.size(), 3u);
  EXPECT_THAT(WorkerShardAddresses(p, topo, 2, {1, 2, 3}, {}),
              ElementsAre("unix-abstract:gaia-7-lan-0-job1", "unix-abstract:gaia-7-lan-1-job1",
                          "unix-abstract:gaia-7-lan-2-job1"));
}

TEST(Placement, KernelWanPutsEachDcInItsNamespaceWithARelayOfItsOwn) {
  const common::JobSpec spec = Spec(1, 1, common::WanEmulation::kNetns);
  const common::Topology topo = Plan(spec, common::Mode::kGaia);
  const wan::NetnsPlan kernel = KernelWanPlan();
  const Placement p = PlaceProcesses(spec, topo, &kernel, Options());
  EXPECT_EQ(p.dcs[1].where, (Location{.host = "", .netns = "gaia-r1-b"}));
  EXPECT_EQ(p.dcs[1].ip, "10.9.0.3");
  EXPECT_EQ(p.shards[1].where, p.dcs[1].where);
  EXPECT_EQ(p.shards[1].listen, "0.0.0.0:0") << "the launcher reaches it from outside";
  EXPECT_EQ(p.workers[2].where, p.dcs[1].where);
  ASSERT_TRUE(p.relay_per_dc);
  ASSERT_EQ(p.relays.size(), 2u);
  EXPECT_EQ(p.relays[0].name, "a");
  EXPECT_EQ(p.relays[0].where, p.dcs[0].where);
  EXPECT_EQ(LauncherAddress(p, 1, 5000), "10.9.0.3:5000");

  absl::StatusOr<wan::LinkMatrix> links = ResolveWanLinks(spec, topo.host_dcs);
  ASSERT_TRUE(links.ok()) << links.status();
  std::vector<RelayPlan> relays = SplitPerSourceDc(PlanGaiaRelay(*links, topo, {7000, 7001}), topo,
                                                   {p.dcs[0].ip, p.dcs[1].ip}, true);
  ASSERT_EQ(relays.size(), 2u);
  ASSERT_EQ(relays[0].routes.size(), 1u);
  EXPECT_EQ(relays[0].routes[0].target_host, "10.9.0.3");
  relays[0].routes[0].listen_port = 3000;
  relays[1].routes[0].listen_port = 3001;
  // Each mirror reaches its peer through its own DC's relay, on loopback there.
  EXPECT_THAT(MirrorPeers(p, topo, 0, {7000, 7001}, relays),
              ElementsAre(Pair(1u, "127.0.0.1:3000")));
  EXPECT_THAT(MirrorPeers(p, topo, 1, {7000, 7001}, relays),
              ElementsAre(Pair(0u, "127.0.0.1:3001")));
}

TEST(Placement, MirrorsPeerWithTheSamePartitionInEveryOtherDc) {
  const common::JobSpec spec = Spec(2, 2, common::WanEmulation::kNone);
  const common::Topology topo = Plan(spec, common::Mode::kGaia);
  const Placement p = PlaceProcesses(spec, topo, nullptr, Options());
  // Shards 0, 1 in a; 2, 3 in b; partitions 0, 1 in each.
  EXPECT_THAT(MirrorPeers(p, topo, 1, {7000, 7001, 7002, 7003}, {}),
              ElementsAre(Pair(1u, "127.0.0.1:7003")));
  EXPECT_THAT(MirrorPeers(p, topo, 2, {7000, 7001, 7002, 7003}, {}),
              ElementsAre(Pair(0u, "127.0.0.1:7000")));
}

TEST(Placement, ReachIsLoopbackOnlyWhereBothRunInTheSamePlace) {
  const Location here;
  const Location ns{.host = "", .netns = "gaia-r1-a"};
  EXPECT_EQ(Reach(here, here, "10.9.0.2", 80), "127.0.0.1:80");
  EXPECT_EQ(Reach(ns, ns, "10.9.0.2", 80), "127.0.0.1:80");
  EXPECT_EQ(Reach(here, ns, "10.9.0.2", 80), "10.9.0.2:80");
}

TEST(Placement, CommandsRunInsideTheirNamespaceAndRemoteOnesAreNotLocalChildren) {
  absl::StatusOr<std::vector<std::string>> here = CommandAt(Location{}, {"prog", "-x"}, "/sbin/ip");
  ASSERT_TRUE(here.ok());
  EXPECT_THAT(*here, ElementsAre("prog", "-x"));
  absl::StatusOr<std::vector<std::string>> ns =
      CommandAt(Location{.host = "", .netns = "gaia-r1-a"}, {"prog"}, "/sbin/ip");
  ASSERT_TRUE(ns.ok());
  EXPECT_THAT(*ns, ElementsAre("/sbin/ip", "netns", "exec", "gaia-r1-a", "prog"));
  absl::StatusOr<std::vector<std::string>> remote =
      CommandAt(Location{.host = "10.0.0.5", .netns = ""}, {"prog"}, "/sbin/ip");
  EXPECT_EQ(remote.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gaia::cli
