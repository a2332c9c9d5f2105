// The worker library against real ShardServers on 127.0.0.1:0, through the
// public API only: BSP and SSP visibility, caching, batching, concurrency.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
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

// All rows of `table`, read with one GetMany.
std::vector<float> ReadAll(const Table& table) {
  std::vector<uint64_t> rows(table.num_rows());
  for (uint64_t r = 0; r < rows.size(); ++r) rows[r] = r;
  std::vector<float> out(rows.size() * table.width(), -1.0f);
  absl::Status status = table.GetMany(rows, out);
  EXPECT_TRUE(status.ok()) << status;
  return out;
}

// Parameters: the worker's row cache on or off; TCP or same-host Unix sockets.
class BspTest : public ::testing::TestWithParam<std::tuple<bool, bool>> {};

// Two workers, BSP: a read at clock c sees exactly the updates of clocks < c,
// from both workers, and blocks until the slower worker has left clock c-1.
TEST_P(BspTest, ReadsSeeExactlyEarlierClocksOfAllWorkers) {
  TestCluster cluster({.tables = {ZeroTable("w", 40, 4)}, .num_shards = 2, .num_workers = 2,
                       .unix_socket = std::get<1>(GetParam())});
  ASSERT_TRUE(cluster.ok());
  WorkerOptions o0 = cluster.Options(0);
  WorkerOptions o1 = cluster.Options(1);
  o0.enable_cache = o1.enable_cache = std::get<0>(GetParam());
  auto w0 = MustConnect(o0);
  auto w1 = MustConnect(o1);
  ASSERT_TRUE(w0 && w1);
  EXPECT_EQ(w0->staleness(), 0);
  Table t0 = MustTable(*w0, "w");
  Table t1 = MustTable(*w1, "w");
  EXPECT_EQ(t0.name(), "w");
  EXPECT_EQ(t0.width(), 4u);
  EXPECT_EQ(t0.num_rows(), 40u);

  const int kClocks = 4;
  for (int c = 0; c < kClocks; ++c) {
    // Both workers see the same table: (c) clocks of (row+1) from w0 and
    // 10*(row+1) from w1 per element.
    for (const Table* t : {&t0, &t1}) {
      std::vector<float> all = ReadAll(*t);
      for (uint64_t r = 0; r < 40; ++r) {
        ASSERT_FLOAT_EQ(all[r * 4 + 2], static_cast<float>(c * 11 * (r + 1)))
            << "clock " << c << " row " << r;
      }
    }
    for (uint64_t r = 0; r < 40; ++r) {
      std::vector<float> d0(4, static_cast<float>(r + 1));
      std::vector<float> d1(4, static_cast<float>(10 * (r + 1)));
      ASSERT_TRUE(t0.Inc(r, d0).ok());
      ASSERT_TRUE(t1.Inc(r, d1).ok());
    }
    // The current clock's updates are visible to the worker that made them
    // (read-my-writes), not yet to the other.
    std::vector<float> row(4);
    ASSERT_TRUE(t0.Get(5, row).ok());
    EXPECT_FLOAT_EQ(row[0], static_cast<float>(c * 11 * 6 + 6));
    ASSERT_TRUE(t1.Get(5, row).ok());
    EXPECT_FLOAT_EQ(row[0], static_cast<float>(c * 11 * 6 + 60));

    ASSERT_TRUE(w0->Clock().ok());
    // w0 is at clock c+1, w1 still at c: w0's read must wait for w1.
    auto pending = std::async(std::launch::async, [&] {
      std::vector<float> out(4);
      absl::Status s = t0.Get(5, out);
      EXPECT_TRUE(s.ok()) << s;
      return out[1];
    });
    ASSERT_TRUE(w1->Clock().ok());
    ASSERT_EQ(pending.wait_for(kWait), std::future_status::ready);
    EXPECT_FLOAT_EQ(pending.get(), static_cast<float>((c + 1) * 11 * 6));
  }
  EXPECT_EQ(w0->clock(), kClocks);
  EXPECT_TRUE(w0->Finish().ok());
  EXPECT_TRUE(w0->Finish().ok());  // idempotent
  EXPECT_TRUE(w1->Finish().ok());
}

INSTANTIATE_TEST_SUITE_P(CacheAndTransport, BspTest,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool()));

// SSP with staleness 2: a worker may run up to 2 clocks ahead of the slowest
// before its reads block, and then sees the slow worker's early updates.
TEST(Ssp, ReadsBlockOnlyBeyondStaleness) {
  TestCluster cluster({.tables = {ZeroTable("w", 8, 2)}, .num_shards = 1, .num_workers = 2,
                       .staleness = 2});
  ASSERT_TRUE(cluster.ok());
  WorkerOptions o0 = cluster.Options(0);
  o0.read_timeout_ms = 5000;
  auto w0 = MustConnect(o0);
  auto w1 = MustConnect(cluster.Options(1));
  ASSERT_TRUE(w0 && w1);
  EXPECT_EQ(w0->staleness(), 2);
  Table t0 = MustTable(*w0, "w");
  Table t1 = MustTable(*w1, "w");
  std::vector<float> row(2);
  const std::vector<float> one = {1, 1};

  // w1 never clocks here; w0 runs ahead to clock 2, reading all the way.
  for (int c = 0; c < 2; ++c) {
    ASSERT_TRUE(t0.Inc(0, one).ok());
    ASSERT_TRUE(w0->Clock().ok());
    absl::Status s = t0.Get(0, row);
    ASSERT_TRUE(s.ok()) << "clock " << w0->clock() << ": " << s;
  }
  ASSERT_TRUE(t0.Inc(0, one).ok());
  ASSERT_TRUE(w0->Clock().ok());  // clock 3: needs shard clock >= 1

  const std::vector<float> hundred = {100, 100};
  ASSERT_TRUE(t1.Inc(0, hundred).ok());
  auto pending = std::async(std::launch::async, [&] {
    std::vector<float> out(2);
    absl::Status s = t0.Get(0, out);
    EXPECT_TRUE(s.ok()) << s;
    return out[0];
  });
  ASSERT_TRUE(w1->Clock().ok());
  ASSERT_EQ(pending.wait_for(kWait), std::future_status::ready);
  // Shard clock 1: clock 0 of both workers, i.e. 1 + 100; plus w0's own
  // clocks 1 and 2, which the shard does not show yet (read-my-writes).
  EXPECT_FLOAT_EQ(pending.get(), 103.0f);
}

// Four threads Inc into one worker concurrently; after Clock() every sum is exact.
TEST(Concurrency, FourThreadsIncIntoOneWorker) {
  TestCluster cluster({.tables = {ZeroTable("w", 64, 8), ZeroTable("b", 16, 3)},
                       .num_shards = 3});
  ASSERT_TRUE(cluster.ok());
  auto worker = MustConnect(cluster.Options(0));
  ASSERT_TRUE(worker);
  Table w = MustTable(*worker, "w");
  Table b = MustTable(*worker, "b");
  constexpr int kThreads = 4;
  constexpr int kRounds = 200;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      const std::vector<float> ones(8, 1.0f);
      const uint32_t cols[] = {0, 2};
      const float vals[] = {1.0f, 2.0f};
      for (int round = 0; round < kRounds; ++round) {
        for (uint64_t r = 0; r < 64; ++r) ASSERT_TRUE(w.Inc(r, ones).ok());
        ASSERT_TRUE(b.IncSparse((round + i) % 16, cols, vals).ok());
        if (round % 50 == 0) {  // reads interleave with Incs
          std::vector<float> out(8);
          ASSERT_TRUE(w.Get(round % 64, out).ok());
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(worker->Clock().ok());
  std::vector<float> all = ReadAll(w);
  for (float v : all) ASSERT_EQ(v, static_cast<float>(kThreads * kRounds));
  std::vector<float> bias = ReadAll(b);
  float col0 = 0, col1 = 0, col2 = 0;
  for (uint64_t r = 0; r < 16; ++r) {
    col0 += bias[r * 3];
    col1 += bias[r * 3 + 1];
    col2 += bias[r * 3 + 2];
  }
  EXPECT_EQ(col0, static_cast<float>(kThreads * kRounds));
  EXPECT_EQ(col1, 0.0f);
  EXPECT_EQ(col2, static_cast<float>(2 * kThreads * kRounds));
}

// Wide rows with a tiny batch limit: many PushBatches per clock, nothing lost.
class SmallBatchTest : public ::testing::TestWithParam<bool> {};  // Unix sockets?

// Many batches per clock, over both transports: every value arrives once.
TEST_P(SmallBatchTest, SmallBatchLimitDeliversEverything) {
  TestCluster cluster({.tables = {ZeroTable("wide", 32, 1000)}, .num_shards = 2,
                       .unix_socket = GetParam()});
  ASSERT_TRUE(cluster.ok());
  WorkerOptions options = cluster.Options(0);
  options.max_batch_bytes = 8 * 1000;  // two rows per batch
  auto worker = MustConnect(options);
  ASSERT_TRUE(worker);
  Table t = MustTable(*worker, "wide");
  std::vector<float> delta(1000);
  for (int c = 0; c < 3; ++c) {
    for (uint64_t r = 0; r < 32; ++r) {
      for (size_t i = 0; i < delta.size(); ++i) delta[i] = static_cast<float>(r + i % 7);
      ASSERT_TRUE(t.Inc(r, delta).ok());
    }
    ASSERT_TRUE(worker->Clock().ok());
  }
  std::vector<float> all = ReadAll(t);
  for (uint64_t r = 0; r < 32; ++r) {
    for (size_t i = 0; i < 1000; i += 97) {
      ASSERT_EQ(all[r * 1000 + i], 3.0f * static_cast<float>(r + i % 7));
    }
  }
}


// Bulk pushes (each batch >= 64 KiB, which the shard handles while it
// receives the next) interleaved with ticks and reads, from two workers
// under BSP: after each clock every worker reads exactly the sum of all
// earlier clocks, nothing early, nothing lost or reordered.
TEST_P(SmallBatchTest, BulkPushesInterleavedWithReadsStayInOrder) {
  constexpr uint64_t kRows = 256;
  constexpr uint32_t kWidth = 256;  // 1 KiB rows
  TestCluster cluster({.tables = {ZeroTable("bulk", kRows, kWidth)}, .num_shards = 2,
                       .num_workers = 2, .unix_socket = GetParam()});
  ASSERT_TRUE(cluster.ok());
  constexpr int kClocks = 8;
  auto run = [&](uint32_t w) -> std::string {
    WorkerOptions options = cluster.Options(w);
    options.max_batch_bytes = 80 << 10;  // 80 rows, 80 KiB of values per batch
    auto worker = Worker::Connect(options);
    if (!worker.ok()) return worker.status().ToString();
    absl::StatusOr<Table> t = (*worker)->GetTable("bulk");
    if (!t.ok()) return t.status().ToString();
    std::vector<uint64_t> rows(kRows);
    for (uint64_t r = 0; r < kRows; ++r) rows[r] = r;
    std::vector<float> deltas(kRows * kWidth);
    std::vector<float> out(kRows * kWidth);
    for (int c = 0; c < kClocks; ++c) {
      // Worker w adds (w + 1) * (c + 1) + r to every column of row r.
      for (uint64_t r = 0; r < kRows; ++r) {
        std::fill_n(deltas.begin() + r * kWidth, kWidth,
                    static_cast<float>((w + 1) * (c + 1) + r));
      }
      if (absl::Status s = t->IncMany(rows, deltas); !s.ok()) return s.ToString();
      if (absl::Status s = (*worker)->Clock(); !s.ok()) return s.ToString();
      if (absl::Status s = t->GetMany(rows, out); !s.ok()) return s.ToString();
      // Clocks 0..c of both workers: 3 * (1 + ... + (c + 1)) + 2 * (c + 1) * r.
      for (uint64_t r = 0; r < kRows; ++r) {
        const float want = static_cast<float>(3 * (c + 1) * (c + 2) / 2 + 2 * (c + 1) * r);
        for (uint32_t i = 0; i < kWidth; i += 51) {
          if (out[r * kWidth + i] != want) {
            return "worker " + std::to_string(w) + " clock " + std::to_string(c) + " row " +
                   std::to_string(r) + ": read " + std::to_string(out[r * kWidth + i]) +
                   ", want " + std::to_string(want);
          }
        }
      }
    }
    absl::Status s = (*worker)->Finish();
    return s.ok() ? "" : s.ToString();
  };
  std::future<std::string> other = std::async(std::launch::async, run, 1);
  EXPECT_EQ(run(0), "");
  EXPECT_EQ(other.get(), "");
}
INSTANTIATE_TEST_SUITE_P(Transport, SmallBatchTest, ::testing::Bool());

// A GetMany larger than max_batch_bytes is read in chunks, several in flight
// per shard; every row lands in its place, in any request order, with one or
// two shards (one shard and all rows is the contiguous fast path).
// IncMany adds exactly what an Inc per row would, across shards, and a bad
// call adds nothing.
TEST(Batching, IncManyEqualsIncPerRowAndRejectsWhole) {
  TestCluster cluster({.tables = {ZeroTable("a", 40, 2), ZeroTable("b", 40, 2)}, .num_shards = 3});
  ASSERT_TRUE(cluster.ok());
  auto worker = MustConnect(cluster.Options(0));
  ASSERT_TRUE(worker);
  Table a = MustTable(*worker, "a");
  Table b = MustTable(*worker, "b");
  std::vector<uint64_t> rows;
  std::vector<float> deltas;
  for (uint64_t r = 0; r < 40; ++r) {
    const uint64_t row = (r * 7) % 40;
    rows.push_back(row);
    deltas.push_back(static_cast<float>(row));
    deltas.push_back(1.0f);
    ASSERT_TRUE(b.Inc(row, std::vector<float>{static_cast<float>(row), 1.0f}).ok());
  }
  rows.push_back(3);  // a row twice in one call adds twice
  deltas.push_back(0.5f);
  deltas.push_back(0.5f);
  ASSERT_TRUE(b.Inc(3, std::vector<float>{0.5f, 0.5f}).ok());
  ASSERT_TRUE(a.IncMany(rows, deltas).ok());

  // Rejected whole: a row out of range, and a size mismatch.
  std::vector<uint64_t> bad_rows = {1, 40};
  std::vector<float> bad_deltas(4, 100.0f);
  const absl::Status out_of_range = a.IncMany(bad_rows, bad_deltas);
  EXPECT_EQ(out_of_range.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(out_of_range.message().find("row 40"), std::string::npos) << out_of_range;
  EXPECT_EQ(a.IncMany(std::vector<uint64_t>{1}, bad_deltas).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(a.IncMany({}, {}).ok());

  ASSERT_TRUE(worker->Clock().ok());
  EXPECT_EQ(ReadAll(a), ReadAll(b));
  EXPECT_EQ(ReadAll(a)[3 * 2], 3.5f);
}

TEST(Batching, ChunkedReadsPutEveryRowInPlace) {
  for (uint32_t shards : {1u, 2u}) {
    for (bool cache : {false, true}) {
      SCOPED_TRACE(::testing::Message() << shards << " shards, cache " << cache);
      TestCluster cluster({.tables = {ZeroTable("t", 101, 3)}, .num_shards = shards});
      ASSERT_TRUE(cluster.ok());
      WorkerOptions options = cluster.Options(0);
      options.max_batch_bytes = 2 * 3 * sizeof(float);  // two rows per chunk
      options.enable_cache = cache;
      auto worker = MustConnect(options);
      ASSERT_TRUE(worker);
      Table t = MustTable(*worker, "t");
      for (uint64_t r = 0; r < 101; ++r) {
        ASSERT_TRUE(t.Inc(r, std::vector<float>{float(r), float(r) + 0.5f, -float(r)}).ok());
      }
      ASSERT_TRUE(worker->Clock().ok());
      std::vector<float> all = ReadAll(t);
      for (uint64_t r = 0; r < 101; ++r) {
        ASSERT_EQ(all[r * 3], float(r));
        ASSERT_EQ(all[r * 3 + 1], float(r) + 0.5f);
        ASSERT_EQ(all[r * 3 + 2], -float(r));
      }
      std::vector<uint64_t> rows;
      for (uint64_t r = 0; r < 101; ++r) rows.push_back((r * 37) % 101);  // a permutation
      rows.push_back(5);                                                // and a repeat
      std::vector<float> out(rows.size() * 3);
      ASSERT_TRUE(t.GetMany(rows, out).ok());
      for (size_t i = 0; i < rows.size(); ++i) {
        ASSERT_EQ(out[i * 3], float(rows[i])) << "position " << i;
        ASSERT_EQ(out[i * 3 + 2], -float(rows[i])) << "position " << i;
      }
    }
  }
}

TEST(Metrics, ClockAppendsOneLinePerClock) {
  TestCluster cluster({.tables = {ZeroTable("w", 4, 2)}, .num_shards = 1});
  ASSERT_TRUE(cluster.ok());
  WorkerOptions options = cluster.Options(0);
  options.metrics_path = (std::filesystem::temp_directory_path() /
                          ("gaia_worker_metrics_" + std::to_string(::getpid()) + ".jsonl"))
                             .string();
  std::filesystem::remove(options.metrics_path);
  {
    auto worker = MustConnect(options);
    ASSERT_TRUE(worker);
    Table t = MustTable(*worker, "w");
    const std::vector<float> d = {1, 2};
    ASSERT_TRUE(t.Inc(1, d).ok());
    worker->ReportObjective(0.5);
    ASSERT_TRUE(worker->Clock().ok());
    std::vector<float> out(2);
    ASSERT_TRUE(t.Get(1, out).ok());
    ASSERT_TRUE(worker->Clock().ok());
  }
  std::ifstream in(options.metrics_path);
  std::string line1, line2, extra;
  ASSERT_TRUE(std::getline(in, line1));
  ASSERT_TRUE(std::getline(in, line2));
  EXPECT_FALSE(std::getline(in, extra));
  EXPECT_NE(line1.find("\"clock\":0"), std::string::npos) << line1;
  EXPECT_NE(line1.find("\"objective\":0.5"), std::string::npos) << line1;
  EXPECT_NE(line1.find("\"rows_pushed\":1,\"bytes_pushed\":8"), std::string::npos) << line1;
  EXPECT_NE(line2.find("\"clock\":1"), std::string::npos) << line2;
  EXPECT_NE(line2.find("\"objective\":null"), std::string::npos) << line2;
  EXPECT_NE(line2.find("\"reads\":1,"), std::string::npos) << line2;
  std::filesystem::remove(options.metrics_path);
}

TEST(Metrics, ReportInputBytesLandsOnEveryLaterLine) {
  TestCluster cluster({.tables = {ZeroTable("w", 4, 2)}, .num_shards = 1});
  ASSERT_TRUE(cluster.ok());
  WorkerOptions options = cluster.Options(0);
  options.metrics_path = (std::filesystem::temp_directory_path() /
                          ("gaia_worker_input_" + std::to_string(::getpid()) + ".jsonl"))
                             .string();
  std::filesystem::remove(options.metrics_path);
  {
    auto worker = MustConnect(options);
    ASSERT_TRUE(worker);
    ASSERT_TRUE(worker->Clock().ok());
    worker->ReportInputBytes(12'000'000'000ull);
    ASSERT_TRUE(worker->Clock().ok());
    ASSERT_TRUE(worker->Clock().ok());
  }
  std::ifstream in(options.metrics_path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].find("input_bytes"), std::string::npos) << lines[0];
  for (int i : {1, 2}) {
    EXPECT_NE(lines[i].find("\"input_bytes\":12000000000}"), std::string::npos) << lines[i];
  }
  std::filesystem::remove(options.metrics_path);
}

}  // namespace
}  // namespace gaia
