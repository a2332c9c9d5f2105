#include "src/worker/row_cache.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "src/worker/metrics_writer.h"

namespace gaia::internal {
namespace {

// The SSP rule: a worker at clock c with staleness s needs shard clock >= c - s.
int64_t MinStamp(int64_t clock, int32_t staleness) {
  return std::max<int64_t>(0, clock - staleness);
}

TEST(RowCache, ServesOnlyEntriesFreshEnoughForTheReader) {
  RowCache cache(1 << 20);
  const std::vector<float> v = {1, 2, 3};
  cache.Insert(0, 5, /*stamp=*/4, v);  // reflects updates of clocks < 4
  std::vector<float> out(3);

  // BSP (s = 0): a worker at clock 4 may use it, at clock 5 it may not.
  EXPECT_TRUE(cache.Lookup(0, 5, MinStamp(4, 0), out));
  EXPECT_EQ(out, v);
  EXPECT_FALSE(cache.Lookup(0, 5, MinStamp(5, 0), out));
  // SSP s = 2: clocks up to 6 may use it, clock 7 needs stamp >= 5.
  EXPECT_TRUE(cache.Lookup(0, 5, MinStamp(6, 2), out));
  EXPECT_FALSE(cache.Lookup(0, 5, MinStamp(7, 2), out));
  // Other table / row: miss.
  EXPECT_FALSE(cache.Lookup(1, 5, 0, out));
  EXPECT_FALSE(cache.Lookup(0, 6, 0, out));
}

TEST(RowCache, NeverReplacesWithOlderStamp) {
  RowCache cache(1 << 20);
  const std::vector<float> fresh = {9};
  const std::vector<float> old = {1};
  cache.Insert(0, 1, 7, fresh);
  cache.Insert(0, 1, 3, old);
  std::vector<float> out(1);
  ASSERT_TRUE(cache.Lookup(0, 1, 7, out));
  EXPECT_EQ(out[0], 9);
}

TEST(RowCache, BatchLookupReportsMisses) {
  RowCache cache(1 << 20);
  const std::vector<float> a = {1, 1};
  cache.Insert(0, 10, 2, a);
  const std::vector<uint64_t> rows = {10, 11, 10};
  std::vector<float> out(6, -1);
  std::vector<uint32_t> missing;
  cache.LookupMany(0, rows, 2, 2, out, &missing);
  EXPECT_EQ(missing, (std::vector<uint32_t>{1}));
  EXPECT_EQ(out, (std::vector<float>{1, 1, -1, -1, 1, 1}));

  const std::vector<float> b = {5, 6, 7, 8};
  const std::vector<uint64_t> ins = {11, 12};
  cache.InsertMany(0, ins, 3, 2, reinterpret_cast<const char*>(b.data()));
  std::vector<float> one(2);
  ASSERT_TRUE(cache.Lookup(0, 12, 3, one));
  EXPECT_EQ(one, (std::vector<float>{7, 8}));
}

TEST(RowCache, StaysWithinByteBudget) {
  const uint64_t row_cost = 16 * sizeof(float) + RowCache::kEntryOverheadBytes;
  RowCache cache(10 * row_cost);
  const std::vector<float> v(16, 1.0f);
  for (uint64_t r = 0; r < 100; ++r) cache.Insert(0, r, 1, v);
  EXPECT_LE(cache.size_bytes(), 10 * row_cost);
  EXPECT_EQ(cache.entries(), 10u);
  std::vector<float> out(16);
  EXPECT_TRUE(cache.Lookup(0, 99, 0, out));   // newest kept
  EXPECT_FALSE(cache.Lookup(0, 0, 0, out));   // oldest evicted
  // Refreshing rows many times does not grow it either.
  for (int round = 0; round < 50; ++round) cache.Insert(0, 99, 2 + round, v);
  EXPECT_LE(cache.size_bytes(), 10 * row_cost);
}

TEST(RowCache, ZeroCapacityCachesNothing) {
  RowCache cache(0);
  const std::vector<float> v = {1};
  cache.Insert(0, 1, 5, v);
  std::vector<float> out(1);
  EXPECT_FALSE(cache.Lookup(0, 1, 0, out));
}

TEST(MetricsWriter, FormatsOneJsonObject) {
  ClockMetrics m;
  m.worker = 2;
  m.dc = "v\"a";
  m.clock = 7;
  m.time_s = 1.5;
  m.unix_time_s = 1795000000.25;
  m.objective = 0.25;
  m.rows_pushed = 3;
  m.bytes_pushed = 48;
  m.reads = 4;
  m.read_wait_s = 0;
  EXPECT_EQ(FormatMetricsLine(m),
            "{\"worker\":2,\"dc\":\"v\\\"a\",\"clock\":7,\"time_s\":1.5,"
            "\"unix_time_s\":1795000000.25,\"objective\":0.25,\"learning_rate\":null,\"rows_pushed\":3,"
            "\"bytes_pushed\":48,\"reads\":4,\"read_wait_s\":0}");
  m.objective = std::numeric_limits<double>::quiet_NaN();
  EXPECT_NE(FormatMetricsLine(m).find("\"objective\":null"), std::string::npos);
  // Absent until reported, then the last field.
  EXPECT_EQ(FormatMetricsLine(m).find("input_bytes"), std::string::npos);
  m.input_bytes = 96000000000ull;
  const std::string line = FormatMetricsLine(m);
  EXPECT_EQ(line.substr(line.size() - 42),
            "\"read_wait_s\":0,\"input_bytes\":96000000000}");
}

TEST(MetricsWriter, WritesTheHeldOutMeasureOnlyWhenReported) {
  ClockMetrics m;
  m.clock = 2;
  EXPECT_EQ(FormatMetricsLine(m).find("held_out"), std::string::npos);
  m.learning_rate = 0.5;
  m.held_out = HeldOutMetric{"test_rmse", 12.5, 400, true};
  const std::string line = FormatMetricsLine(m);
  EXPECT_NE(line.find("\"learning_rate\":0.5,\"held_out\":{\"name\":\"test_rmse\","
                      "\"sum\":12.5,\"count\":400,\"root\":true},\"rows_pushed\":0"),
            std::string::npos)
      << line;
  m.held_out = HeldOutMetric{"acc", std::numeric_limits<double>::infinity(), 0, false};
  EXPECT_NE(FormatMetricsLine(m).find(
                "\"held_out\":{\"name\":\"acc\",\"sum\":null,\"count\":0,\"root\":false}"),
            std::string::npos)
      << FormatMetricsLine(m);
}

}  // namespace
}  // namespace gaia::internal
