// Mirror links through the in-process WAN relay (src/wan/relay.h):
// the DS bound while a link is down (DESIGN.md §4.2.4) and "nothing lost,
// nothing doubled" across a relay that dies and comes back (§5).
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
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

// Starts the relay of `cluster` with DC 1 -> DC 0 down and connects every
// DC through it.
absl::StatusOr<std::unique_ptr<wan::Relay>> ConnectWithDc1ToDc0Down(GeoCluster& cluster,
                                                                    Routes& routes) {
  absl::StatusOr<std::unique_ptr<wan::Relay>> relay = StartRelay(cluster, {0, 0}, 0);
  if (!relay.ok()) return relay;
  if (absl::Status s = (*relay)->SetLink(LinkName(1, 0), 0, 0); !s.ok()) return s;
  routes.Set(0, 1, (*relay)->ports()[0]);
  routes.Set(1, 0, (*relay)->ports()[1]);
  cluster.ConnectPeers();
  return relay;
}

// The largest value `clock` takes over the next second (sampled).
int64_t MaxOverASecond(const std::atomic<int64_t>& clock) {
  const absl::Time until = absl::Now() + absl::Seconds(1);
  int64_t max_seen = 0;
  while (absl::Now() < until) {
    max_seen = std::max(max_seen, clock.load());
    absl::SleepFor(absl::Milliseconds(20));
  }
  return max_seen;
}

// Ten clocks of workers in both DCs, on a thread, with each DC's latest
// clock in view.
class WatchedWorkers {
 public:
  WatchedWorkers(GeoCluster& cluster, uint64_t seed) : initial(AllTableValues(cluster, 0)) {
    work.clocks = 10;
    work.seed = seed;
    work.on_clock = [this](uint32_t dc, uint32_t, int64_t c) { clock[dc] = c; };
    thread_ = std::thread([this, &cluster] { sum_ = RunWorkers(cluster, work); });
  }
  ~WatchedWorkers() {
    if (thread_.joinable()) thread_.join();
  }
  const ModelSums& Join() {
    thread_.join();
    return sum_;
  }

  const ModelValues initial;
  Workload work;
  std::atomic<int64_t> clock[2] = {0, 0};

 private:
  ModelSums sum_;
  std::thread thread_;
};

TEST(MirrorWan, DsBoundStallsTheDcWhoseMirrorFallsSilent) {
  auto routes = std::make_shared<Routes>();
  GeoCluster::Config config = RelayedConfig(routes);
  config.ds = 1;
  GeoCluster cluster(config);
  ASSERT_TRUE(cluster.ok());
  // DC 1 -> DC 0 is down before anything crosses it: DC 0 never hears DC 1's
  // mirror clock.
  absl::StatusOr<std::unique_ptr<wan::Relay>> started = ConnectWithDc1ToDc0Down(cluster, *routes);
  ASSERT_TRUE(started.ok()) << started.status();
  std::unique_ptr<wan::Relay> relay = std::move(*started);

  WatchedWorkers workers(cluster, /*seed=*/8);
  const ModelValues& initial = workers.initial;
  std::atomic<int64_t>* clock = workers.clock;
  const Workload& work = workers.work;

  // DC 1 still hears DC 0 and gets ahead of where DC 0 must stop.
  const int64_t bound = config.ds;  // DC 0 reads only at shard clocks < ds
  EXPECT_TRUE(WaitFor([&] { return clock[1].load() > bound; }, absl::Seconds(10)));
  // DC 0 stays stalled for a while.
  EXPECT_LE(MaxOverASecond(clock[0]), bound) << "DC 0 ran past the DS bound with DC 1 silent";
  EXPECT_EQ(LinkStats(cluster.mirror(0, 0).GetStatus(), 1, false).mirror_clock(), 0);

  ASSERT_TRUE(relay->SetLink(LinkName(1, 0), 1000, 0).ok());
  const ModelSums& sum = workers.Join();
  EXPECT_EQ(clock[0].load(), work.clocks);
  ASSERT_TRUE(cluster.AwaitQuiescent(absl::Seconds(30)));
  ExpectEveryDcHas(cluster, initial, sum);
  const rpc::MirrorStatusReply status = cluster.mirror(0, 0).GetStatus();
  EXPECT_GT(LinkStats(status, 1, false).clock_stall_s(), 0.5);
}

// gaia_async: no DS bound, but a start line. With DC 1 -> DC 0 down from the
// start, DC 0 reads nothing past clock 0 (it lacks DC 1's clock-0 updates,
// an app's initial state); once DC 1's first clock is in, the link can go
// down again and DC 0 runs to the end without hearing another word.
TEST(MirrorWan, AsyncHoldsReadsOnlyAtTheStartLine) {
  auto routes = std::make_shared<Routes>();
  GeoCluster::Config config = RelayedConfig(routes);
  config.ds = -1;
  config.barriers = false;
  GeoCluster cluster(config);
  ASSERT_TRUE(cluster.ok());
  absl::StatusOr<std::unique_ptr<wan::Relay>> started = ConnectWithDc1ToDc0Down(cluster, *routes);
  ASSERT_TRUE(started.ok()) << started.status();
  std::unique_ptr<wan::Relay> relay = std::move(*started);

  WatchedWorkers workers(cluster, /*seed=*/11);
  const ModelValues& initial = workers.initial;
  std::atomic<int64_t>* clock = workers.clock;
  const Workload& work = workers.work;

  // DC 1 hears DC 0's first clock and runs on; DC 0 stays at the line.
  EXPECT_TRUE(WaitFor([&] { return clock[1].load() > 1; }, absl::Seconds(10)));
  EXPECT_LE(MaxOverASecond(clock[0]), 1)
      << "DC 0 read past clock 0 before DC 1's first clock was in";

  // The first clock crosses; then the link goes silent for good.
  ASSERT_TRUE(relay->SetLink(LinkName(1, 0), 1000, 0).ok());
  EXPECT_TRUE(WaitFor(
      [&] { return LinkStats(cluster.mirror(0, 0).GetStatus(), 1, false).mirror_clock() >= 1; },
      absl::Seconds(10)));
  ASSERT_TRUE(relay->SetLink(LinkName(1, 0), 0, 0).ok());
  EXPECT_TRUE(WaitFor([&] { return clock[0].load() == work.clocks; }, absl::Seconds(20)))
      << "DC 0 stopped at clock " << clock[0].load() << " with DC 1 silent";

  ASSERT_TRUE(relay->SetLink(LinkName(1, 0), 1000, 0).ok());
  const ModelSums& sum = workers.Join();
  ASSERT_TRUE(cluster.AwaitQuiescent(absl::Seconds(30)));
  ExpectEveryDcHas(cluster, initial, sum);
  EXPECT_GT(LinkStats(cluster.mirror(0, 0).GetStatus(), 1, false).clock_stall_s(), 0.5);
}

// Runs `body` (workers that wait for `release`) on a thread; Join, or the
// destructor whatever failed before it, releases and joins them.
class PausedWorkers {
 public:
  PausedWorkers(std::function<void()> body, absl::Notification* release)
      : release_(release), thread_(std::move(body)) {}
  ~PausedWorkers() { Join(); }
  PausedWorkers(const PausedWorkers&) = delete;
  PausedWorkers& operator=(const PausedWorkers&) = delete;

  void Join() {
    if (!release_->HasBeenNotified()) release_->Notify();
    if (thread_.joinable()) thread_.join();
  }

 private:
  absl::Notification* const release_;
  std::thread thread_;
};

// New batches a mirror has written on its link to `peer` (barriers and
// re-sent batches not counted).
uint64_t NewBatchesWritten(const GeoCluster& cluster, uint32_t dc, uint32_t peer) {
  const rpc::MirrorLinkStats link = LinkStats(cluster.mirror(dc, 0).GetStatus(), peer, true);
  return link.messages() - link.barriers();
}

// The relay dies while both directions hold batches the receivers never
// got: the data links are taken down first, and each DC writes at least one
// batch into its dead link before the relay goes. After reconnecting through
// a new relay, each sender must re-send them (the receivers' welcomes name
// them as not applied), and every DC still ends with every update once.
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

  const ModelValues initial = AllTableValues(cluster, 0);
  // Every worker waits after reaching kPauseAt until the data links are
  // down, so that what its DC sends next provably goes into a dead link.
  constexpr int64_t kPauseAt = 4;
  absl::Notification links_down;
  std::atomic<int64_t> clock[2] = {0, 0};
  Workload work;
  work.clocks = 16;
  work.seed = 9;
  work.on_clock = [&clock, &links_down](uint32_t dc, uint32_t, int64_t c) {
    clock[dc] = c;
    if (c == kPauseAt) links_down.WaitForNotificationWithTimeout(absl::Seconds(30));
  };
  ModelSums sum;
  PausedWorkers workers([&] { sum = RunWorkers(cluster, work); }, &links_down);

  // Both DCs paused, and each has heard the other's mirror clock kPauseAt:
  // the DS bound lets both go on past it while nothing arrives, and nothing
  // they sent earlier is still owed (its barriers released with that clock).
  auto mirror_clock_heard = [&cluster](uint32_t dc) {
    return LinkStats(cluster.mirror(dc, 0).GetStatus(), 1 - dc, false).mirror_clock();
  };
  ASSERT_TRUE(WaitFor([&] { return clock[0].load() == kPauseAt && clock[1].load() == kPauseAt; },
                      absl::Seconds(20)));
  ASSERT_TRUE(WaitFor([&] { return mirror_clock_heard(0) >= kPauseAt &&
                                   mirror_clock_heard(1) >= kPauseAt; },
                      absl::Seconds(10)));
  for (uint32_t from = 0; from < 2; ++from) {
    ASSERT_TRUE(relay->SetLink(LinkName(from, 1 - from), 0, 10).ok());
  }
  const uint64_t written_before[2] = {NewBatchesWritten(cluster, 0, 1),
                                      NewBatchesWritten(cluster, 1, 0)};
  links_down.Notify();
  // Each DC's next clock goes out as a batch into its dead link.
  ASSERT_TRUE(WaitFor(
      [&] {
        return NewBatchesWritten(cluster, 0, 1) > written_before[0] &&
               NewBatchesWritten(cluster, 1, 0) > written_before[1];
      },
      absl::Seconds(10)));
  for (uint32_t dc = 0; dc < 2; ++dc) {
    EXPECT_EQ(mirror_clock_heard(dc), kPauseAt) << "dc " << dc << " heard through a down link";
  }

  relay.reset();  // kills every connection and the bytes it holds
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
  workers.Join();
  EXPECT_EQ(clock[0].load(), work.clocks);
  EXPECT_EQ(clock[1].load(), work.clocks);
  ASSERT_TRUE(cluster.AwaitQuiescent(absl::Seconds(30)));
  ExpectEveryDcHas(cluster, initial, sum);

  // Both directions reconnected through the new relay and carried data.
  for (const wan::LinkStats& link : relay->Stats()) {
    EXPECT_GT(link.bytes, 0u) << link.name;
  }
  // What the old relay swallowed was sent again, on both links.
  for (uint32_t dc = 0; dc < 2; ++dc) {
    const uint64_t retransmitted =
        LinkStats(cluster.mirror(dc, 0).GetStatus(), 1 - dc, true).retransmitted();
    EXPECT_GT(retransmitted, 0u) << "dc " << dc << " re-sent nothing after the relay restart";
    RecordProperty("retransmitted_" + std::to_string(dc), static_cast<int>(retransmitted));
  }
}

}  // namespace
}  // namespace gaia::testing
