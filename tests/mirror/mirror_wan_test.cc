// Mirror links through the in-process WAN relay (src/wan/relay.h):
// the DS bound while a link is down (DESIGN.md §4.2.4) and "nothing lost,
// nothing doubled" across a relay that dies and comes back (§5).
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "tests/mirror/geo_cluster.h"
#include "tests/mirror/mirror_test_util.h"
#include "src/wan/relay.h"

namespace gaia::testing {
namespace {

// Addresses the mirrors use, filled once the relay is up; empty until then
// (the links stay idle).
class Routes {
 public:
  std::string Get(uint32_t from, uint32_t to) const {
    absl::MutexLock lock(&mu_);
    auto it = routes_.find({from, to});
    return it == routes_.end() ? "" : it->second;
  }
  void Set(uint32_t from, uint32_t to, int port) {
    absl::MutexLock lock(&mu_);
    routes_[{from, to}] = "127.0.0.1:" + std::to_string(port);
  }

 private:
  mutable absl::Mutex mu_;
  std::map<std::pair<uint32_t, uint32_t>, std::string> routes_ ABSL_GUARDED_BY(mu_);
};

// Link "a>b" carries dc a's mirror stream to dc b, "a>b:ack" the replies.
std::string LinkName(uint32_t from, uint32_t to) {
  return std::to_string(from) + ">" + std::to_string(to);
}

// One route per direction of a 2-DC, 1-shard cluster; listen ports are
// `ports` (0: any).
absl::StatusOr<std::unique_ptr<wan::Relay>> StartRelay(const GeoCluster& cluster,
                                                       std::vector<int> ports, double delay_ms) {
  wan::RelayOptions options;
  for (uint32_t from = 0; from < 2; ++from) {
    const uint32_t to = 1 - from;
    options.links.push_back({LinkName(from, to), 1000, delay_ms});
    options.links.push_back({LinkName(from, to) + ":ack", 1000, delay_ms});
    options.routes.push_back({"127.0.0.1:" + std::to_string(ports[from]),
                              "127.0.0.1:" + std::to_string(cluster.mirror_port(to, 0)),
                              LinkName(from, to), LinkName(from, to) + ":ack"});
  }
  auto relay = std::make_unique<wan::Relay>(std::move(options));
  if (absl::Status started = relay->Start(); !started.ok()) return started;
  return relay;
}

GeoCluster::Config RelayedConfig(const std::shared_ptr<Routes>& routes) {
  GeoCluster::Config config;
  config.num_dcs = 2;
  config.tables = {Table("w", 48, 4)};
  config.route = [routes](uint32_t from, uint32_t to, uint32_t, int) {
    return routes->Get(from, to);
  };
  return config;
}

TEST(MirrorWan, DsBoundStallsTheDcWhoseMirrorFallsSilent) {
  auto routes = std::make_shared<Routes>();
  GeoCluster::Config config = RelayedConfig(routes);
  config.ds = 1;
  GeoCluster cluster(config);
  ASSERT_TRUE(cluster.ok());
  absl::StatusOr<std::unique_ptr<wan::Relay>> started = StartRelay(cluster, {0, 0}, 0);
  ASSERT_TRUE(started.ok()) << started.status();
  std::unique_ptr<wan::Relay> relay = std::move(*started);
  // DC 1 -> DC 0 is down before anything crosses it: DC 0 never hears DC 1's
  // mirror clock.
  ASSERT_TRUE(relay->SetLink(LinkName(1, 0), 0, 0).ok());
  routes->Set(0, 1, relay->ports()[0]);
  routes->Set(1, 0, relay->ports()[1]);
  cluster.ConnectPeers();

  const std::vector<float> initial = cluster.TableValues(0, 0);
  std::atomic<int64_t> clock[2] = {0, 0};
  Workload work;
  work.clocks = 10;
  work.seed = 8;
  work.on_clock = [&clock](uint32_t dc, uint32_t, int64_t c) { clock[dc] = c; };
  std::vector<double> sum;
  std::thread workers([&] { sum = RunWorkers(cluster, work); });

  // DC 1 still hears DC 0 and gets ahead of where DC 0 must stop.
  const int64_t bound = config.ds + 1;  // DC 0 reads at shard clock <= ds
  EXPECT_TRUE(WaitFor([&] { return clock[1].load() > bound; }, absl::Seconds(10)));
  // DC 0 stays stalled for a while.
  const absl::Time until = absl::Now() + absl::Seconds(1);
  int64_t max_seen = 0;
  while (absl::Now() < until) {
    max_seen = std::max(max_seen, clock[0].load());
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_LE(max_seen, bound) << "DC 0 ran past the DS bound with DC 1 silent";
  EXPECT_EQ(LinkStats(cluster.mirror(0, 0).GetStatus(), 1, false).mirror_clock(), 0);

  ASSERT_TRUE(relay->SetLink(LinkName(1, 0), 1000, 0).ok());
  workers.join();
  EXPECT_EQ(clock[0].load(), work.clocks);
  ASSERT_TRUE(cluster.AwaitQuiescent(absl::Seconds(30)));
  ExpectEveryDcHas(cluster, initial, sum);
  const rpc::MirrorStatusReply status = cluster.mirror(0, 0).GetStatus();
  EXPECT_GT(LinkStats(status, 1, false).clock_stall_s(), 0.5);
}

TEST(MirrorWan, RelayRestartLosesAndDoublesNothing) {
  auto routes = std::make_shared<Routes>();
  GeoCluster cluster(RelayedConfig(routes));
  ASSERT_TRUE(cluster.ok());
  absl::StatusOr<std::unique_ptr<wan::Relay>> started = StartRelay(cluster, {0, 0}, 10);
  ASSERT_TRUE(started.ok()) << started.status();
  std::unique_ptr<wan::Relay> relay = std::move(*started);
  const std::vector<int> ports = relay->ports();
  routes->Set(0, 1, ports[0]);
  routes->Set(1, 0, ports[1]);
  cluster.ConnectPeers();

  const std::vector<float> initial = cluster.TableValues(0, 0);
  std::atomic<int64_t> clock[2] = {0, 0};
  Workload work;
  work.clocks = 16;
  work.seed = 9;
  work.on_clock = [&clock](uint32_t dc, uint32_t, int64_t c) { clock[dc] = c; };
  std::vector<double> sum;
  std::thread workers([&] { sum = RunWorkers(cluster, work); });

  EXPECT_TRUE(WaitFor([&] { return clock[0].load() >= 4; }, absl::Seconds(10)));
  relay.reset();  // kills every connection and the bytes in flight
  auto disconnected = [&cluster](uint32_t dc) {
    return !LinkStats(cluster.mirror(dc, 0).GetStatus(), 1 - dc, true).connected();
  };
  EXPECT_TRUE(WaitFor([&] { return disconnected(0) && disconnected(1); }, absl::Seconds(10)));
  // Same ports again (SO_REUSEADDR); retry while the old sockets linger.
  ASSERT_TRUE(WaitFor(
      [&] {
        started = StartRelay(cluster, ports, 10);
        if (!started.ok()) return false;
        relay = std::move(*started);
        return true;
      },
      absl::Seconds(10)));
  workers.join();
  ASSERT_TRUE(cluster.AwaitQuiescent(absl::Seconds(30)));
  ExpectEveryDcHas(cluster, initial, sum);

  // Both directions reconnected through the new relay and carried data.
  for (const wan::LinkStats& link : relay->Stats()) {
    EXPECT_GT(link.bytes, 0u) << link.name;
  }
  uint64_t retransmitted = 0;
  for (uint32_t dc = 0; dc < 2; ++dc) {
    retransmitted += LinkStats(cluster.mirror(dc, 0).GetStatus(), 1 - dc, true).retransmitted();
  }
  RecordProperty("retransmitted", static_cast<int>(retransmitted));
}

}  // namespace
}  // namespace gaia::testing
