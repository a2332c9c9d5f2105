// Push and read 4 MiB batches through a live shard over loopback, check the
// result, and print the throughput (a smoke test of the hot path; the
// numbers are informative, not asserted).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <vector>

#include "src/server/shard_server.h"
#include "tests/server/shard_test_util.h"

namespace gaia::server {
namespace {

TEST(ShardThroughput, FourMegabyteBatchesRoundTrip) {
  constexpr uint32_t kWidth = 1024;         // 4 KiB rows
  constexpr uint64_t kRowsPerBatch = 1024;  // 4 MiB batches
  constexpr uint64_t kBatches = 16;         // 64 MiB per clock
  constexpr uint64_t kRows = kRowsPerBatch * kBatches;
  constexpr int kClocks = 4;  // the first one warms up allocators and windows

  ShardOptions options;
  options.job_id = "perf";
  common::TableSpec spec;
  spec.name = "big";
  spec.rows = kRows;
  spec.width = kWidth;
  options.tables = {spec};
  absl::StatusOr<std::unique_ptr<ShardServer>> server = ShardServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();

  testing::TestSession session((*server)->port());
  std::optional<rpc::ShardMessage> hello = session.Hello("perf", 0);
  ASSERT_TRUE(hello && hello->has_hello());

  std::vector<rpc::WorkerMessage> pushes(kBatches);
  for (uint64_t b = 0; b < kBatches; ++b) {
    std::vector<uint64_t> rows(kRowsPerBatch);
    for (uint64_t i = 0; i < kRowsPerBatch; ++i) rows[i] = b * kRowsPerBatch + i;
    std::vector<float> values(kRowsPerBatch * kWidth, 0.5f);
    *pushes[b].mutable_push()->add_tables() = testing::DenseDelta(0, rows, values);
  }

  double push_s = 0, read_s = 0;
  for (int c = 0; c < kClocks; ++c) {
    auto start = std::chrono::steady_clock::now();
    for (rpc::WorkerMessage& push : pushes) {
      push.mutable_push()->set_clock(c);
      ASSERT_TRUE(session.Send(push));
    }
    ASSERT_TRUE(session.Tick(c + 1));
    ASSERT_TRUE(session.Sync().empty());
    if (c > 0) {
      push_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }

    start = std::chrono::steady_clock::now();
    for (uint64_t b = 0; b < kBatches; ++b) {
      std::vector<uint64_t> rows(kRowsPerBatch);
      for (uint64_t i = 0; i < kRowsPerBatch; ++i) rows[i] = b * kRowsPerBatch + i;
      ASSERT_TRUE(session.SendRead(b, 0, rows, c + 1));
    }
    for (uint64_t b = 0; b < kBatches; ++b) {
      std::optional<rpc::ShardMessage> reply = session.Next();
      ASSERT_TRUE(reply && reply->has_read());
      ASSERT_EQ(reply->read().values().size(), kRowsPerBatch * kWidth * sizeof(float));
      const float first = common::PackedAt<float>(reply->read().values(), 0);
      ASSERT_EQ(first, 0.5f * (c + 1));
    }
    if (c > 0) {
      read_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
  }
  const double mib =
      static_cast<double>((kClocks - 1) * kBatches * kRowsPerBatch * kWidth * 4) / (1 << 20);
  std::printf("push %.0f MiB/s, read %.0f MiB/s (4 MiB batches, loopback, one stream)\n",
              mib / push_s, mib / read_s);
  EXPECT_TRUE(session.Close().ok());
}

}  // namespace
}  // namespace gaia::server
