#include "apps/cnn/thread_pool.h"

#include <atomic>
#include <vector>

#include "gtest/gtest.h"

namespace gaia::cnn {
namespace {

TEST(ThreadPool, CoversEveryIndexOnceInContiguousParts) {
  for (int threads : {1, 2, 3, 5}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (size_t n : {0, 1, 2, 7, 1000}) {
      std::vector<std::atomic<int>> hits(n);
      std::vector<std::atomic<int>> part_calls(threads);
      pool.ParallelFor(n, [&](size_t begin, size_t end, int part) {
        ASSERT_GE(part, 0);
        ASSERT_LT(part, threads);
        EXPECT_EQ(begin, ThreadPool::Begin(n, pool.Parts(n), part));
        EXPECT_EQ(end, ThreadPool::Begin(n, pool.Parts(n), part + 1));
        ++part_calls[part];
        for (size_t i = begin; i < end; ++i) ++hits[i];
      });
      for (size_t i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1) << n << " " << i;
      int calls = 0;
      for (auto& c : part_calls) calls += c.load();
      EXPECT_EQ(calls, static_cast<int>(pool.Parts(n)));
    }
  }
}

TEST(ThreadPool, RunsManyJobsBackToBack) {
  ThreadPool pool(2);
  int64_t total = 0;
  std::vector<int64_t> partial(2);
  for (int job = 0; job < 2000; ++job) {
    pool.ParallelFor(10, [&](size_t begin, size_t end, int part) {
      for (size_t i = begin; i < end; ++i) partial[part] += static_cast<int64_t>(i);
    });
  }
  total = partial[0] + partial[1];
  EXPECT_EQ(total, 2000 * 45);
}

TEST(ThreadPool, BelowOneThreadMeansOne) {
  ThreadPool pool(0);
  EXPECT_EQ(pool.size(), 1);
  int calls = 0;
  pool.ParallelFor(5, [&](size_t, size_t, int) { ++calls; });
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace gaia::cnn
