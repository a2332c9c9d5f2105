// Whole-job behaviour of the mirror under its settings: overlay hubs
// (DESIGN.md §4.2.6), gaia_async (§4.3), threshold decay (§4.2.1) and a job
// as wide as the EC2 11-region preset.
#include <cmath>
#include <cstdint>
#include <limits>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "tests/mirror/geo_cluster.h"
#include "tests/mirror/mirror_test_util.h"

namespace gaia::testing {
namespace {

TEST(MirrorHubs, FourDcsInTwoGroupsConvergeThroughHubs) {
  GeoCluster::Config config;
  config.num_dcs = 4;
  config.tables = {Table("w", 48, 3)};
  config.overlay = TwoGroups;
  GeoCluster cluster(config);
  ASSERT_TRUE(cluster.ok());
  ASSERT_NO_FATAL_FAILURE(RunAndExpectExact(cluster, 8, 3, absl::Seconds(30)));

  std::vector<rpc::MirrorStatusReply> status;
  for (uint32_t dc = 0; dc < 4; ++dc) status.push_back(cluster.mirror(dc, 0).GetStatus());
  // Non-hubs open no link to the other group, and nothing arrives there
  // from them.
  for (const auto& [non_hub, group_peer, far] :
       std::vector<std::tuple<uint32_t, uint32_t, std::vector<uint32_t>>>{
           {0, 1, {2, 3}}, {3, 2, {0, 1}}}) {
    for (const rpc::MirrorLinkStats& link : status[non_hub].links()) {
      if (link.outgoing()) {
        EXPECT_EQ(link.peer_dc(), group_peer)
            << "dc " << non_hub << " sends to dc " << link.peer_dc();
      }
    }
    for (uint32_t f : far) {
      EXPECT_EQ(LinkStats(status[f], non_hub, false).messages(), 0u)
          << "dc " << f << " received directly from non-hub dc " << non_hub;
    }
  }
  // The hubs carried the traffic between the groups.
  EXPECT_GT(LinkStats(status[2], 1, false).elements(), 0u);
  EXPECT_GT(LinkStats(status[1], 2, false).elements(), 0u);
}

struct ModeRun {
  std::vector<rpc::MirrorStatusReply> status;  // per dc (one shard)
};

// Runs a 2-DC job whose barriers would go out on any backlog at all.
ModeRun RunMode(int32_t ds, bool barriers, uint64_t seed) {
  GeoCluster::Config config;
  config.num_dcs = 2;
  config.workers_per_dc = 2;
  config.tables = {Table("w", 64, 4)};
  config.ds = ds;
  config.barriers = barriers;
  config.barrier_backlog_ms = 0;
  GeoCluster cluster(config);
  EXPECT_TRUE(cluster.ok());
  if (!cluster.ok()) return {};
  const ModelValues initial = AllTableValues(cluster, 0);
  const ModelSums sum = RunWorkers(cluster, 12, seed);
  EXPECT_TRUE(cluster.AwaitQuiescent(absl::Seconds(30)));
  ExpectEveryDcHas(cluster, initial, sum);
  ModeRun run;
  for (uint32_t dc = 0; dc < 2; ++dc) run.status.push_back(cluster.mirror(dc, 0).GetStatus());
  return run;
}

uint64_t TotalBarriers(const ModeRun& run) {
  uint64_t total = 0;
  for (const auto& s : run.status) {
    for (const rpc::MirrorLinkStats& link : s.links()) total += link.barriers();
  }
  return total;
}

// gaia_async: no barriers, and of the mirror clocks only the first (the
// start line), never the done clock.
TEST(MirrorAsync, NoBarriersOnlyTheFirstMirrorClockStillConverges) {
  const ModeRun run = RunMode(/*ds=*/-1, /*barriers=*/false, 4);
  ASSERT_EQ(run.status.size(), 2u);
  for (const auto& s : run.status) {
    EXPECT_GT(s.elements_sent(), 0u);
    for (const rpc::MirrorLinkStats& link : s.links()) {
      EXPECT_EQ(link.barriers(), 0u) << "dc " << s.dc() << " peer " << link.peer_dc();
      if (!link.outgoing()) {
        EXPECT_GE(link.mirror_clock(), 1) << "dc " << s.dc() << " peer " << link.peer_dc();
        EXPECT_LE(link.mirror_clock(), 12) << "dc " << s.dc() << " got later clocks from "
                                           << link.peer_dc();
        EXPECT_GT(link.messages(), 0u);
      }
    }
  }
}

// The same job in gaia mode shows what the async run must not: barriers
// (the backlog bar is 0) and mirror clocks (INT64_MAX once done).
TEST(MirrorAsync, GaiaModeSendsBarriersAndClocksForComparison) {
  const ModeRun run = RunMode(/*ds=*/2, /*barriers=*/true, 4);
  ASSERT_EQ(run.status.size(), 2u);
  EXPECT_GT(TotalBarriers(run), 0u);
  for (const auto& s : run.status) {
    const rpc::MirrorLinkStats in = LinkStats(s, 1 - s.dc(), false);
    EXPECT_EQ(in.mirror_clock(), std::numeric_limits<int64_t>::max()) << "dc " << s.dc();
  }
}

TEST(MirrorThreshold, HardThresholdDecaysWithInverseSqrtOfClock) {
  GeoCluster::Config config;
  config.num_dcs = 2;
  config.tables = {Table("w", 16, 2)};
  config.threshold.initial = 0.3;
  config.threshold.decay = significance::Decay::kInverseSqrt;
  GeoCluster cluster(config);
  ASSERT_TRUE(cluster.ok());
  constexpr int kClocks = 9;
  RunWorkers(cluster, kClocks, 5);
  ASSERT_TRUE(cluster.AwaitQuiescent(absl::Seconds(30)));
  for (uint32_t dc = 0; dc < 2; ++dc) {
    const rpc::MirrorStatusReply s = cluster.mirror(dc, 0).GetStatus();
    EXPECT_EQ(s.local_clock(), kClocks) << "dc " << dc;
    EXPECT_NEAR(s.hard_threshold(), 0.3 / std::sqrt(static_cast<double>(kClocks)), 1e-12)
        << "dc " << dc;
    EXPECT_LE(s.soft_threshold(), s.hard_threshold() + 1e-12);
  }
}

TEST(MirrorThreshold, HardThresholdFollowsTheReportedLearningRate) {
  GeoCluster::Config config;
  config.num_dcs = 2;
  config.tables = {Table("w", 16, 2)};
  config.threshold.initial = 0.2;
  config.threshold.decay = significance::Decay::kLearningRate;
  GeoCluster cluster(config);
  ASSERT_TRUE(cluster.ok());
  constexpr int kClocks = 6;
  Workload work;
  work.clocks = kClocks;
  work.seed = 6;
  work.learning_rate = [](int64_t c) { return 0.5 / static_cast<double>(c + 1); };
  RunWorkers(cluster, work);
  ASSERT_TRUE(cluster.AwaitQuiescent(absl::Seconds(30)));
  // Last report / first report = (0.5 / kClocks) / 0.5.
  for (uint32_t dc = 0; dc < 2; ++dc) {
    const rpc::MirrorStatusReply s = cluster.mirror(dc, 0).GetStatus();
    EXPECT_NEAR(s.hard_threshold(), 0.2 / kClocks, 1e-12) << "dc " << dc;
  }
}

TEST(MirrorSmoke, ElevenDcsConverge) {
  GeoCluster::Config config;
  config.num_dcs = 11;
  config.tables = {Table("w", 20, 2)};
  GeoCluster cluster(config);
  ASSERT_TRUE(cluster.ok());
  const ModelValues initial = AllTableValues(cluster, 0);
  Workload work;
  work.clocks = 5;
  work.seed = 7;
  work.updates_per_clock = 10;
  const ModelSums sum = RunWorkers(cluster, work);
  ASSERT_TRUE(cluster.AwaitQuiescent(absl::Seconds(30)));
  ExpectEveryDcHas(cluster, initial, sum);
}

}  // namespace
}  // namespace gaia::testing
