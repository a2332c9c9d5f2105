// Read-my-writes (DESIGN.md §4.1): a worker's reads include its own updates
// that the shard snapshot they are served from does not show yet, whether
// they are still buffered (not clocked) or were sent at an earlier Clock()
// but the shard clock has not passed their clock. Each own update counts
// once: before and after the Clock() that sends it, from the row cache and
// from the shard. Other workers' updates stay invisible until SSP/BSP makes
// them so. Real ShardServers on 127.0.0.1:0, public API only.
#include <chrono>
#include <future>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "gaia/worker.h"
#include "tests/worker/test_cluster.h"

namespace gaia {
namespace {

using testing::MustConnect;
using testing::MustTable;
using testing::TestCluster;
using testing::ZeroTable;

constexpr auto kWait = std::chrono::seconds(20);

std::vector<float> MustGet(const Table& table, uint64_t row) {
  std::vector<float> out(table.width(), -1.0f);
  absl::Status status = table.Get(row, out);
  EXPECT_TRUE(status.ok()) << status;
  return out;
}

// Parameters: staleness (0 = BSP, 2 = SSP) and the row cache on or off.
class OwnWritesTest : public ::testing::TestWithParam<std::tuple<int, bool>> {
 protected:
  WorkerOptions Options(const TestCluster& cluster, uint32_t worker) const {
    WorkerOptions options = cluster.Options(worker);
    options.enable_cache = std::get<1>(GetParam());
    return options;
  }
  int staleness() const { return std::get<0>(GetParam()); }
};

// Every kind of Inc is visible to the worker's next read, before any
// Clock(); other rows and the same row id of another table are untouched.
TEST_P(OwnWritesTest, GetAfterIncSeesOwnWriteBeforeClock) {
  TestCluster cluster({.tables = {ZeroTable("w", 8, 3), ZeroTable("v", 8, 1)},
                       .num_shards = 2, .staleness = staleness()});
  ASSERT_TRUE(cluster.ok());
  auto worker = MustConnect(Options(cluster, 0));
  ASSERT_TRUE(worker);
  Table w = MustTable(*worker, "w");
  Table v = MustTable(*worker, "v");
  EXPECT_EQ(MustGet(w, 2), (std::vector<float>{0, 0, 0}));  // caches the row

  ASSERT_TRUE(w.Inc(2, std::vector<float>{1, 2, 3}).ok());
  EXPECT_EQ(MustGet(w, 2), (std::vector<float>{1, 2, 3}));
  ASSERT_TRUE(w.Inc(2, std::vector<float>{1, 1, 1}).ok());
  EXPECT_EQ(MustGet(w, 2), (std::vector<float>{2, 3, 4}));
  const uint32_t cols[] = {0};
  const float vals[] = {10};
  ASSERT_TRUE(w.IncSparse(2, cols, vals).ok());
  EXPECT_EQ(MustGet(w, 2), (std::vector<float>{12, 3, 4}));
  const std::vector<uint64_t> rows = {5, 2};
  ASSERT_TRUE(w.IncMany(rows, std::vector<float>{7, 7, 7, 1, 0, 0}).ok());
  EXPECT_EQ(MustGet(w, 2), (std::vector<float>{13, 3, 4}));
  EXPECT_EQ(MustGet(w, 5), (std::vector<float>{7, 7, 7}));
  EXPECT_EQ(MustGet(w, 3), (std::vector<float>{0, 0, 0}));
  EXPECT_EQ(MustGet(v, 2), (std::vector<float>{0}));
  EXPECT_EQ(worker->clock(), 0);
  EXPECT_TRUE(worker->Finish().ok());
}

// A row read (and cached) before the Clock() that sends the worker's
// updates, then read again after it, from the cache or from the shard:
// every own update counts exactly once, every clock.
TEST_P(OwnWritesTest, AfterClockOwnWritesCountOnce) {
  TestCluster cluster({.tables = {ZeroTable("w", 16, 2)}, .num_shards = 2,
                       .staleness = staleness()});
  ASSERT_TRUE(cluster.ok());
  auto worker = MustConnect(Options(cluster, 0));
  ASSERT_TRUE(worker);
  Table w = MustTable(*worker, "w");
  std::vector<uint64_t> all(16);
  for (uint64_t r = 0; r < 16; ++r) all[r] = r;
  std::vector<float> out(16 * 2);
  for (int c = 0; c < 5; ++c) {
    // Row r gets r + 1 per clock; rows >= 8 only on even clocks.
    auto want = [&](uint64_t r, int clocks_done) {
      return static_cast<float>((r + 1) * (r < 8 ? clocks_done : (clocks_done + 1) / 2));
    };
    ASSERT_EQ(MustGet(w, 3)[0], want(3, c)) << "clock " << c;
    for (uint64_t r = 0; r < 16; ++r) {
      if (r >= 8 && c % 2 == 1) continue;
      const float d = static_cast<float>(r + 1);
      ASSERT_TRUE(w.Inc(r, std::vector<float>{d, -d}).ok());
    }
    ASSERT_TRUE(w.GetMany(all, out).ok());
    for (uint64_t r = 0; r < 16; ++r) {
      ASSERT_EQ(out[r * 2], want(r, c + 1)) << "clock " << c << " row " << r << " before Clock";
      ASSERT_EQ(out[r * 2 + 1], -want(r, c + 1)) << "clock " << c << " row " << r;
    }
    ASSERT_TRUE(worker->Clock().ok());
    ASSERT_TRUE(w.GetMany(all, out).ok());
    for (uint64_t r = 0; r < 16; ++r) {
      ASSERT_EQ(out[r * 2], want(r, c + 1)) << "clock " << c << " row " << r << " after Clock";
    }
    ASSERT_EQ(MustGet(w, 12)[1], -want(12, c + 1)) << "clock " << c;
  }
  EXPECT_TRUE(worker->Finish().ok());
}

// Two workers: each sees its own un-clocked writes, never the other's;
// after both Clock() they see each other's, once.
TEST_P(OwnWritesTest, OtherWorkersDoNotSeeUnclockedWrites) {
  TestCluster cluster({.tables = {ZeroTable("w", 4, 1)}, .num_shards = 1, .num_workers = 2,
                       .staleness = staleness()});
  ASSERT_TRUE(cluster.ok());
  auto a = MustConnect(Options(cluster, 0));
  auto b = MustConnect(Options(cluster, 1));
  ASSERT_TRUE(a && b);
  Table ta = MustTable(*a, "w");
  Table tb = MustTable(*b, "w");
  ASSERT_TRUE(ta.Inc(1, std::vector<float>{1}).ok());
  ASSERT_TRUE(tb.Inc(1, std::vector<float>{10}).ok());
  EXPECT_EQ(MustGet(ta, 1)[0], 1.0f);
  EXPECT_EQ(MustGet(tb, 1)[0], 10.0f);

  ASSERT_TRUE(a->Clock().ok());
  ASSERT_TRUE(b->Clock().ok());
  // Under BSP both now read shard clock 1; under SSP (staleness 2) a read
  // may still be served at shard clock 0 (or from a row cached there), but
  // own updates show either way.
  auto expect_one_of = [&](float got, float at_clock0, float at_clock1) {
    if (staleness() == 0) {
      EXPECT_EQ(got, at_clock1);
    } else {
      EXPECT_TRUE(got == at_clock0 || got == at_clock1) << got;
    }
  };
  expect_one_of(MustGet(ta, 1)[0], 1, 11);
  expect_one_of(MustGet(tb, 1)[0], 10, 11);

  ASSERT_TRUE(ta.Inc(1, std::vector<float>{100}).ok());  // a's, not clocked
  expect_one_of(MustGet(tb, 1)[0], 10, 11);
  expect_one_of(MustGet(ta, 1)[0], 101, 111);
  EXPECT_TRUE(a->Finish().ok());
  EXPECT_TRUE(b->Finish().ok());
}

INSTANTIATE_TEST_SUITE_P(StalenessAndCache, OwnWritesTest,
                         ::testing::Combine(::testing::Values(0, 2), ::testing::Bool()));

// SSP (staleness 2) with a slow worker: the fast one's reads are answered at
// an old shard clock, which lacks the updates it sent at later clocks; those
// are added, the ones the shard already shows are not, and reads still
// block beyond the staleness bound as before.
class SspOwnWritesTest : public ::testing::TestWithParam<bool> {};  // cache?

TEST_P(SspOwnWritesTest, ReadsAddSentUpdatesTheShardClockDoesNotCover) {
  TestCluster cluster({.tables = {ZeroTable("w", 8, 2)}, .num_shards = 2, .num_workers = 2,
                       .staleness = 2});
  ASSERT_TRUE(cluster.ok());
  WorkerOptions o0 = cluster.Options(0);
  WorkerOptions o1 = cluster.Options(1);
  o0.enable_cache = o1.enable_cache = GetParam();
  auto fast = MustConnect(o0);
  auto slow = MustConnect(o1);
  ASSERT_TRUE(fast && slow);
  Table tf = MustTable(*fast, "w");
  Table ts = MustTable(*slow, "w");
  const std::vector<float> one = {1, 1};

  // The slow worker stays at clock 0, so the shard clock stays 0: every read
  // of the fast one is served at shard clock 0, i.e. shows none of its
  // sent updates, and gets them from its own record.
  for (int c = 0; c < 2; ++c) {
    ASSERT_TRUE(tf.Inc(0, one).ok());
    ASSERT_TRUE(fast->Clock().ok());
    EXPECT_EQ(MustGet(tf, 0)[0], static_cast<float>(c + 1)) << "clock " << fast->clock();
  }
  ASSERT_TRUE(tf.Inc(0, one).ok());
  ASSERT_TRUE(fast->Clock().ok());  // clock 3: reads need shard clock >= 1

  ASSERT_TRUE(ts.Inc(0, std::vector<float>{100, 100}).ok());
  auto blocked = std::async(std::launch::async, [&] { return MustGet(tf, 0)[0]; });
  EXPECT_EQ(blocked.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout)
      << "a read beyond the staleness bound was answered";
  ASSERT_TRUE(slow->Clock().ok());
  ASSERT_EQ(blocked.wait_for(kWait), std::future_status::ready);
  // Shard clock 1 shows clock 0 of both workers (1 + 100); the fast
  // worker's clocks 1 and 2 come from its own record: 103, not 101 (own
  // writes missing) nor 104 (clock 0 counted twice).
  EXPECT_EQ(blocked.get(), 103.0f);

  // The slow worker sees its own new write, not the fast one's clocks 1-2.
  ASSERT_TRUE(ts.Inc(0, std::vector<float>{1000, 1000}).ok());
  EXPECT_EQ(MustGet(ts, 0)[1], 1101.0f);
  EXPECT_EQ(MustGet(tf, 0)[1], 103.0f);  // and the fast one not the slow one's
  EXPECT_TRUE(fast->Finish().ok());
  EXPECT_TRUE(slow->Finish().ok());
}

INSTANTIATE_TEST_SUITE_P(Cache, SspOwnWritesTest, ::testing::Bool());

// The chunked multi-shard read path (many chunks in flight, rows in any
// order, repeats), with some rows served from the cache at older stamps and
// some from the shards: every position gets its row's own updates once.
TEST(ReadMyWrites, ChunkedGetManyAddsOwnUpdatesToEveryPosition) {
  for (bool cache : {false, true}) {
    SCOPED_TRACE(::testing::Message() << "cache " << cache);
    TestCluster cluster({.tables = {ZeroTable("t", 101, 3)}, .num_shards = 3, .staleness = 2});
    ASSERT_TRUE(cluster.ok());
    WorkerOptions options = cluster.Options(0);
    options.max_batch_bytes = 2 * 3 * sizeof(float);  // two rows per chunk
    options.enable_cache = cache;
    auto worker = MustConnect(options);
    ASSERT_TRUE(worker);
    Table t = MustTable(*worker, "t");
    std::vector<uint64_t> rows;
    for (uint64_t r = 0; r < 101; ++r) rows.push_back((r * 37) % 101);  // a permutation
    rows.push_back(5);                                                // and a repeat
    std::vector<float> out(rows.size() * 3);
    std::vector<float> sum(101, 0.0f);  // column 0 of every row, as this worker made it
    for (int c = 0; c < 4; ++c) {
      // Rows touched this clock: every (c + 2)-th, and row 5.
      for (uint64_t r = 0; r < 101; ++r) {
        if (r % (c + 2) != 0 && r != 5) continue;
        const float d = static_cast<float>(r + c);
        ASSERT_TRUE(t.Inc(r, std::vector<float>{d, 1, -d}).ok());
        sum[r] += d;
      }
      // Half the rows first (cached now, if caching), then all of them.
      ASSERT_TRUE(t.GetMany(std::span<const uint64_t>(rows).first(50),
                            std::span<float>(out).first(150)).ok());
      ASSERT_TRUE(t.GetMany(rows, out).ok());
      for (size_t i = 0; i < rows.size(); ++i) {
        ASSERT_EQ(out[i * 3], sum[rows[i]]) << "clock " << c << " position " << i;
        ASSERT_EQ(out[i * 3 + 2], -sum[rows[i]]) << "clock " << c << " position " << i;
      }
      ASSERT_TRUE(worker->Clock().ok());
    }
    ASSERT_TRUE(t.GetMany(rows, out).ok());
    for (size_t i = 0; i < rows.size(); ++i) {
      ASSERT_EQ(out[i * 3], sum[rows[i]]) << "after the last clock, position " << i;
    }
  }
}

}  // namespace
}  // namespace gaia
