// Placement over dcs[].hosts (docs/MULTI_HOST.md): which process goes to
// which host and how the others reach it. No process is started.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/cli/placement.h"
#include "src/common/job_spec.h"
#include "src/common/topology.h"
#include "tests/cli/two_dc_spec.h"

namespace gaia::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

common::HostSpec Host(const std::string& address) {
  common::HostSpec host;
  host.address = address;
  return host;
}

// DC a: 2 shards, 3 workers on hosts 198.51.100.1 and .2 (round-robin);
// DC b: 2 shards, 2 workers, both shards on .3 and both workers on .4.
common::JobSpec HostsSpec() {
  common::JobSpec spec = TwoDcTestSpec(2, 3, 2, 2);
  spec.dcs[0].hosts = {Host("198.51.100.1"), Host("198.51.100.2")};
  spec.dcs[0].hosts[1].ssh_user = "gaia";
  spec.dcs[0].hosts[1].ssh_port = 2222;
  common::HostSpec b3 = Host("198.51.100.3"), b4 = Host("198.51.100.4");
  b3.shards = 2;
  b3.workers = 0;
  b4.shards = 0;
  b4.workers = 2;
  spec.dcs[1].hosts = {b3, b4};
  return spec;
}

Placement Place(const common::JobSpec& spec, common::Mode mode, common::Topology* topo) {
  absl::StatusOr<common::Topology> planned = common::PlanTopology(spec, mode);
  EXPECT_TRUE(planned.ok()) << planned.status();
  *topo = *planned;
  PlacementOptions options;
  options.socket_prefix = "gaia-7";
  options.job_id = "job1";
  return PlaceProcesses(spec, *topo, nullptr, options);
}

Location On(const std::string& host) { return Location{.host = host, .netns = ""}; }

TEST(PlacementHosts, RoundRobinOrPerHostCountsAndEveryRemoteHostListedOnce) {
  common::Topology topo;
  const Placement p = Place(HostsSpec(), common::Mode::kGaia, &topo);
  ASSERT_EQ(p.shards.size(), 4u);
  EXPECT_EQ(p.shards[0].where, On("198.51.100.1"));
  EXPECT_EQ(p.shards[1].where, On("198.51.100.2"));
  EXPECT_EQ(p.shards[2].where, On("198.51.100.3"));
  EXPECT_EQ(p.shards[3].where, On("198.51.100.3"));
  ASSERT_EQ(p.workers.size(), 5u);
  EXPECT_EQ(p.workers[0].where, On("198.51.100.1"));
  EXPECT_EQ(p.workers[1].where, On("198.51.100.2"));
  EXPECT_EQ(p.workers[2].where, On("198.51.100.1"));
  EXPECT_EQ(p.workers[3].where, On("198.51.100.4"));
  EXPECT_EQ(p.workers[4].where, On("198.51.100.4"));
  ASSERT_EQ(p.hosts.size(), 4u);
  EXPECT_EQ(p.hosts[1].address, "198.51.100.2");
  EXPECT_EQ(p.hosts[1].ssh_user, "gaia");
  EXPECT_EQ(p.hosts[1].ssh_port, 2222u);
  EXPECT_EQ(p.hosts[1].dc, "a");
  EXPECT_EQ(p.hosts[3].dc, "b");
}

TEST(PlacementHosts, RemoteShardsListenOnTheirHostAndOtherHostsReachThemOverTcp) {
  common::Topology topo;
  const Placement p = Place(HostsSpec(), common::Mode::kGaia, &topo);
  EXPECT_EQ(p.shards[1].listen, "198.51.100.2:0");
  EXPECT_EQ(p.shards[1].ip, "198.51.100.2");
  // Worker 0 (host .1): its own host's shard by Unix socket, the other over TCP.
  EXPECT_THAT(WorkerShardAddresses(p, topo, 0, {5000, 5001, 5002, 5003}, {}),
              ElementsAre("unix-abstract:gaia-7-gaia-0-job1", "198.51.100.2:5001"));
  // DC b's workers share no host with its shards.
  EXPECT_THAT(WorkerShardAddresses(p, topo, 3, {5000, 5001, 5002, 5003}, {}),
              ElementsAre("198.51.100.3:5002", "198.51.100.3:5003"));
  EXPECT_THAT(MirrorPeers(p, topo, 3, {7000, 7001, 7002, 7003}, {}),
              ElementsAre(Pair(0u, "198.51.100.2:7001")));
  EXPECT_EQ(LauncherAddress(p, 2, 5002), "198.51.100.3:5002");
}

TEST(PlacementHosts, BaselineWorkersReachEveryDcsShardsOnTheirHosts) {
  common::Topology topo;
  const Placement p = Place(HostsSpec(), common::Mode::kBaseline, &topo);
  EXPECT_THAT(WorkerShardAddresses(p, topo, 3, {5000, 5001, 5002, 5003}, {}),
              ElementsAre("198.51.100.1:5000", "198.51.100.2:5001", "198.51.100.3:5002",
                          "198.51.100.3:5003"));
}

TEST(PlacementHosts, LoopbackHostsRunHereAsWithoutHosts) {
  common::JobSpec spec = TwoDcTestSpec(1, 2, 1, 1);
  spec.dcs[0].hosts = {Host("127.0.0.1"), Host("localhost")};
  common::Topology topo;
  const Placement p = Place(spec, common::Mode::kGaia, &topo);
  EXPECT_EQ(p.shards[0].where, Location{});
  EXPECT_EQ(p.shards[0].listen, "");
  EXPECT_EQ(p.workers[1].where, Location{});
  EXPECT_TRUE(p.hosts.empty());
  EXPECT_THAT(WorkerShardAddresses(p, topo, 1, {5000, 5001}, {}),
              ElementsAre("unix-abstract:gaia-7-gaia-0-job1"));
}

TEST(PlacementHosts, DescribeNamesEveryProcessAndItsHost) {
  common::Topology topo;
  const Placement p = Place(HostsSpec(), common::Mode::kGaia, &topo);
  const std::string text = DescribePlacement(p, topo);
  EXPECT_THAT(text, HasSubstr("shard 3 (dc b): host 198.51.100.3\n"));
  EXPECT_THAT(text, HasSubstr("worker 4 (dc b): host 198.51.100.4\n"));
}

}  // namespace
}  // namespace gaia::cli
