// DESIGN.md §5 "Nothing lost, nothing doubled": after the final flush every
// DC's copy equals initial + the sum of every worker's updates.
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gaia/worker.h"
#include "tests/mirror/geo_cluster.h"
#include "tests/mirror/mirror_test_util.h"

namespace gaia::testing {
namespace {

// Two tables of different shapes: every table of every DC is checked.
TEST(MirrorFlush, EveryDcEndsWithInitialPlusAllUpdates) {
  GeoCluster::Config config;
  config.num_dcs = 2;
  config.shards_per_dc = 2;
  config.workers_per_dc = 2;
  config.tables = {Table("w", 64, 4), Table("v", 30, 3)};
  GeoCluster cluster(config);
  ASSERT_TRUE(cluster.ok());
  const ModelValues initial = AllTableValues(cluster, 0);
  EXPECT_EQ(initial, AllTableValues(cluster, 1));  // same seed, same start
  const ModelSums sum = RunWorkers(cluster, 15, 1);
  ASSERT_TRUE(cluster.AwaitQuiescent(absl::Seconds(30)));
  ExpectEveryDcHas(cluster, initial, sum);
  // The check reaches table 1: one element of it off, and only there, fails.
  ASSERT_EQ(sum.size(), 2u);
  ModelSums wrong = sum;
  wrong[1].back() += 1.0;
  EXPECT_FALSE(EveryDcHas(cluster, initial, wrong)) << "a table-1-only difference was missed";
  // Most of the traffic was filtered: the mirrors sent fewer elements than
  // they saw only if the filter worked; and they did send something.
  const rpc::MirrorStatusReply status = cluster.mirror(0, 0).GetStatus();
  EXPECT_GT(status.elements_seen(), 0u);
  EXPECT_GT(status.elements_sent(), 0u);
}

// Ternary values (src/significance/emission.h): the remainders each sweep
// keeps back are sent by later sweeps or the flush; hubs forward ternary rows
// like any other. Every copy still ends exactly at initial + all updates.
TEST(MirrorFlush, TernaryValuesThroughHubsLoseAndDoubleNothing) {
  GeoCluster::Config config;
  config.num_dcs = 4;
  config.shards_per_dc = 2;
  config.workers_per_dc = 2;
  config.tables = {Table("w", 64, 16), Table("b", 20, 4)};
  config.values = significance::ValueEmission::kTernary;
  config.overlay = TwoGroups;
  GeoCluster cluster(config);
  ASSERT_TRUE(cluster.ok());
  ASSERT_NO_FATAL_FAILURE(RunAndExpectExact(cluster, 12, 5, absl::Seconds(60)));
  const rpc::MirrorStatusReply status = cluster.mirror(2, 0).GetStatus();
  EXPECT_GT(LinkStats(status, 1, false).elements(), 0u);  // through the hubs
}

// Every mirror message after the link's first acknowledgement
// gzip-compressed (as on a slow link), and none: the receiver inflates what
// is compressed, and both end exact.
TEST(MirrorFlush, CompressedAndPlainLinksBothDeliverEverything) {
  for (double compress_below_mbps : {1e12, 0.0}) {
    GeoCluster::Config config;
    config.num_dcs = 3;
    config.workers_per_dc = 2;
    config.tables = {Table("w", 64, 16)};
    config.values = significance::ValueEmission::kTernary;
    config.compress_below_mbps = compress_below_mbps;
    GeoCluster cluster(config);
    ASSERT_TRUE(cluster.ok());
    ASSERT_NO_FATAL_FAILURE(RunAndExpectExact(cluster, 10, 9, absl::Seconds(60)));
  }
}

TEST(MirrorFlush, ThreeDcsFullBroadcast) {
  GeoCluster::Config config;
  config.num_dcs = 3;
  config.tables = {Table("w", 40, 3)};
  GeoCluster cluster(config);
  ASSERT_TRUE(cluster.ok());
  ASSERT_NO_FATAL_FAILURE(RunAndExpectExact(cluster, 10, 2, absl::Seconds(30)));
}

// Queues bounded to a few elements per link: every sweep round is emitted
// in many steps as the links drain, the rest waiting in the accumulators;
// mirror clocks still flow (the DS bound would stall the workers otherwise)
// and nothing is lost or doubled.
TEST(MirrorFlush, TinyQueueBoundStillDeliversEverything) {
  GeoCluster::Config config;
  config.num_dcs = 3;
  config.shards_per_dc = 2;
  config.tables = {Table("w", 120, 8)};
  config.max_queued_bytes = 64;  // 8 queued elements per link
  GeoCluster cluster(config);
  ASSERT_TRUE(cluster.ok());
  ASSERT_NO_FATAL_FAILURE(RunAndExpectExact(cluster, 12, 3, absl::Seconds(60)));
  const rpc::MirrorStatusReply status = cluster.mirror(1, 0).GetStatus();
  EXPECT_TRUE(status.final_flush_done());
  // Many small batches rather than one per clock.
  EXPECT_GT(LinkStats(status, 0, true).messages(), 24u);
}

}  // namespace
}  // namespace gaia::testing
