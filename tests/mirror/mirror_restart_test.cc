// DESIGN.md §5 "Nothing lost, nothing doubled" across a sender restart: "A
// restarted sender announces a new incarnation, so nothing it sends is
// mistaken for a duplicate." A shard of DC 1 comes back as a restarted
// process would (GeoCluster::RestartShard), and its new mirror numbers its
// batches from 1 again.
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "absl/time/time.h"
#include "tests/mirror/geo_cluster.h"
#include "tests/mirror/mirror_test_util.h"

namespace gaia::testing {
namespace {

// ds = -1 (gaia_async) and 2 (gaia): DC 0 finishes before DC 1 comes back,
// and the new DC 1 hears DC 0's mirror clock (the start line, or the done
// clock) only because DC 0's mirror sends it again when it meets the
// restarted receiver; without it DC 1's reads would be held for good.
class MirrorRestart : public ::testing::TestWithParam<int32_t> {};

TEST_P(MirrorRestart, UpdatesOfARestartedSenderReachTheOtherDc) {
  GeoCluster::Config config;
  config.num_dcs = 2;
  config.tables = {Table("w", 48, 4)};
  config.ds = GetParam();
  GeoCluster cluster(config);
  ASSERT_TRUE(cluster.ok());
  const ModelValues initial = AllTableValues(cluster, 0);

  // The first sender's batches take sequence numbers 1..n at DC 0; far more
  // than the restarted sender's few below.
  ModelSums sum = RunWorkers(cluster, /*clocks=*/12, /*seed=*/3);
  ASSERT_TRUE(cluster.AwaitQuiescent(absl::Seconds(30)));
  ASSERT_NO_FATAL_FAILURE(ExpectEveryDcHas(cluster, initial, sum));
  const rpc::MirrorLinkStats before =
      LinkStats(cluster.mirror(0, 0).GetStatus(), 1, /*outgoing=*/false);
  ASSERT_GT(before.messages(), 0u);

  ASSERT_TRUE(cluster.RestartShard(1, 0));
  Workload work;
  work.clocks = 3;
  work.seed = 4;
  work.only_dc = 1;
  const ModelSums restarted_sum = RunWorkers(cluster, work);
  ASSERT_TRUE(cluster.AwaitQuiescent(absl::Seconds(30)));

  // DC 0 holds everything DC 1 sent, before and after the restart. Without
  // incarnations it would have acknowledged the new sender's batches as
  // re-sends of the old one's and dropped them.
  for (size_t t = 0; t < sum.size(); ++t) {
    for (size_t i = 0; i < sum[t].size(); ++i) sum[t][i] += restarted_sum[t][i];
  }
  EXPECT_TRUE(DcHas(cluster, 0, initial, sum));
  const rpc::MirrorLinkStats after =
      LinkStats(cluster.mirror(0, 0).GetStatus(), 1, /*outgoing=*/false);
  EXPECT_GT(after.messages(), before.messages());
  EXPECT_EQ(after.duplicates(), before.duplicates())
      << "the new sender's batches were taken for re-sends of the old one's";
}

INSTANTIATE_TEST_SUITE_P(AsyncAndGaia, MirrorRestart, ::testing::Values(-1, 2));

}  // namespace
}  // namespace gaia::testing
