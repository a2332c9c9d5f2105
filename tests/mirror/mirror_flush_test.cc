// DESIGN.md §5 "Nothing lost, nothing doubled": after the final flush every
// DC's copy equals initial + the sum of every worker's updates.
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gaia/worker.h"
#include "tests/mirror/geo_cluster.h"

namespace gaia::testing {
namespace {

common::TableSpec Table(std::string name, uint64_t rows, uint32_t width) {
  common::TableSpec spec;
  spec.name = std::move(name);
  spec.rows = rows;
  spec.width = width;
  spec.init = common::InitKind::kNormal;
  spec.init_stddev = 1.0;
  return spec;
}

// Runs `clocks` clocks of random sparse updates on every worker of every DC
// and returns the sum of all deltas per element of table 0.
std::vector<double> RunWorkers(const GeoCluster& cluster, int clocks, uint64_t seed) {
  const common::TableSpec& spec = cluster.config().tables[0];
  const uint32_t dcs = cluster.config().num_dcs;
  const uint32_t per_dc = cluster.config().workers_per_dc;
  std::vector<std::vector<double>> sums(dcs * per_dc,
                                        std::vector<double>(spec.rows * spec.width, 0.0));
  std::vector<std::thread> threads;
  for (uint32_t dc = 0; dc < dcs; ++dc) {
    for (uint32_t w = 0; w < per_dc; ++w) {
      threads.emplace_back([&, dc, w] {
        auto worker = Worker::Connect(cluster.Options(dc, w));
        ASSERT_TRUE(worker.ok()) << worker.status();
        auto table = (*worker)->GetTable(spec.name);
        ASSERT_TRUE(table.ok());
        std::mt19937_64 rng(seed * 1000 + dc * 10 + w);
        std::uniform_int_distribution<uint64_t> pick(0, spec.rows - 1);
        std::normal_distribution<float> noise(0.0f, 0.05f);
        std::vector<double>& sum = sums[dc * per_dc + w];
        std::vector<float> row(spec.width), delta(spec.width);
        for (int c = 0; c < clocks; ++c) {
          for (int u = 0; u < 20; ++u) {
            const uint64_t r = pick(rng);
            ASSERT_TRUE(table->Get(r, row).ok());
            for (uint32_t i = 0; i < spec.width; ++i) {
              delta[i] = noise(rng);
              sum[r * spec.width + i] += delta[i];
            }
            ASSERT_TRUE(table->Inc(r, delta).ok());
          }
          ASSERT_TRUE((*worker)->Clock().ok());
        }
        ASSERT_TRUE((*worker)->Finish().ok());
      });
    }
  }
  for (auto& t : threads) t.join();
  std::vector<double> total(spec.rows * spec.width, 0.0);
  for (const auto& s : sums) {
    for (size_t i = 0; i < s.size(); ++i) total[i] += s[i];
  }
  return total;
}

void ExpectEveryDcHas(const GeoCluster& cluster, const std::vector<float>& initial,
                      const std::vector<double>& sum) {
  for (uint32_t dc = 0; dc < cluster.config().num_dcs; ++dc) {
    const std::vector<float> values = cluster.TableValues(dc, 0);
    ASSERT_EQ(values.size(), initial.size());
    size_t bad = 0;
    for (size_t i = 0; i < values.size(); ++i) {
      const double want = initial[i] + sum[i];
      if (std::abs(values[i] - want) > 1e-3 * (1 + std::abs(want))) {
        if (++bad <= 5) {
          ADD_FAILURE() << "dc " << dc << " element " << i << ": " << values[i] << " != " << want;
        }
      }
    }
    EXPECT_EQ(bad, 0u) << "dc " << dc;
  }
}

TEST(MirrorFlush, EveryDcEndsWithInitialPlusAllUpdates) {
  GeoCluster::Config config;
  config.num_dcs = 2;
  config.shards_per_dc = 2;
  config.workers_per_dc = 2;
  config.tables = {Table("w", 64, 4)};
  GeoCluster cluster(config);
  ASSERT_TRUE(cluster.ok());
  const std::vector<float> initial = cluster.TableValues(0, 0);
  EXPECT_EQ(initial, cluster.TableValues(1, 0));  // same seed, same start
  const std::vector<double> sum = RunWorkers(cluster, 15, 1);
  ASSERT_TRUE(cluster.AwaitQuiescent(absl::Seconds(30)));
  ExpectEveryDcHas(cluster, initial, sum);
  // Most of the traffic was filtered: the mirrors sent fewer elements than
  // they saw only if the filter worked; and they did send something.
  const rpc::MirrorStatusReply status = cluster.mirror(0, 0).GetStatus();
  EXPECT_GT(status.elements_seen(), 0u);
  EXPECT_GT(status.elements_sent(), 0u);
}

TEST(MirrorFlush, ThreeDcsFullBroadcast) {
  GeoCluster::Config config;
  config.num_dcs = 3;
  config.tables = {Table("w", 40, 3)};
  GeoCluster cluster(config);
  ASSERT_TRUE(cluster.ok());
  const std::vector<float> initial = cluster.TableValues(0, 0);
  const std::vector<double> sum = RunWorkers(cluster, 10, 2);
  ASSERT_TRUE(cluster.AwaitQuiescent(absl::Seconds(30)));
  ExpectEveryDcHas(cluster, initial, sum);
}

}  // namespace
}  // namespace gaia::testing
