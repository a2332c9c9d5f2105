// The NCCL collective, run for real where a GPU is visible (ranks as threads
// in this process); skipped with a message elsewhere.
#include <cuda_runtime_api.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "apps/cnn/collective.h"
#include "apps/cnn/nccl_collective.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cnn/collective_test_util.h"
#include "tests/testing/subprocess.h"

namespace gaia::cnn {
namespace {

using ::gaia::cnn::testing::FirstWrong;
using ::gaia::cnn::testing::Inputs;
using ::gaia::cnn::testing::RunRanks;
using ::testing::HasSubstr;

int DeviceCount() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess ? count : 0;
}

constexpr char kNoGpu[] =
    "no CUDA device visible: the NCCL collective runs only on a GPU machine (the CPU ring "
    "is tested in cnn_collective_ring_test)";

CollectiveOptions Options(int size) {
  CollectiveOptions o;
  o.rendezvous_dir = gaia::testing::MakeTempDir("nccl");
  o.size = size;
  o.timeout_ms = 60'000;
  return o;
}

TEST(NcclCollective, WithoutAGpuTheFactorySaysWhy) {
  if (DeviceCount() > 0) GTEST_SKIP() << "a GPU is visible; covered by the tests below";
  absl::Status s = MakeCollective("nccl", CollectiveOptions{}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), HasSubstr("CUDA device"));
  EXPECT_TRUE(CollectiveHasNccl());
}

// Host spans, 1..N ranks on threads: exact sums for all-reduce and the owned
// slice for reduce-scatter. With fewer GPUs than ranks, ranks share a GPU,
// which NCCL may refuse (ncclInvalidUsage): that case is skipped, saying so.
void CheckHostSums(int size) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{1001}, size_t{1} << 20}) {
    SCOPED_TRACE(absl::StrCat("size ", size, " n ", n));
    std::vector<long> wrong(static_cast<size_t>(size), -2);
    std::vector<absl::Status> results =
        RunRanks("nccl", Options(size), [&](int r, Collective& c) {
          std::vector<float> v = Inputs(r, n);
          absl::Status s = c.AllReduceSum(std::span<float>(v));
          if (!s.ok()) return s;
          const long all = FirstWrong(v, {0, n}, size);
          v = Inputs(r, n, /*clock=*/1);
          SliceRange mine;
          s = c.ReduceScatterSum(std::span<float>(v), &mine);
          if (!s.ok()) return s;
          if (mine != Collective::Slice(n, r, size)) return absl::InternalError("wrong slice");
          const long scattered = FirstWrong(v, mine, size, /*clock=*/1);
          wrong[static_cast<size_t>(r)] = all >= 0 ? all : scattered;
          return absl::OkStatus();
        });
    for (int r = 0; r < size; ++r) {
      if (results[r].code() == absl::StatusCode::kFailedPrecondition && DeviceCount() < size) {
        GTEST_SKIP() << size << " ranks on " << DeviceCount()
                     << " GPU(s): NCCL refused ranks sharing a GPU: " << results[r];
      }
      ASSERT_TRUE(results[r].ok()) << "rank " << r << ": " << results[r];
      EXPECT_EQ(wrong[r], -1) << "rank " << r;
    }
  }
}

TEST(NcclCollective, OneRankSumsExactly) {
  if (DeviceCount() == 0) GTEST_SKIP() << kNoGpu;
  CheckHostSums(1);
}

TEST(NcclCollective, SeveralRanksSumExactly) {
  if (DeviceCount() == 0) GTEST_SKIP() << kNoGpu;
  CheckHostSums(2);
  CheckHostSums(4);
}

// The device API on the caller's stream, repeated for many clocks.
TEST(NcclCollective, DeviceBuffersOnTheCallersStream) {
  if (DeviceCount() == 0) GTEST_SKIP() << kNoGpu;
  const int size = DeviceCount() >= 2 ? 2 : 1;
  const size_t n = 4097;
  CollectiveOptions base = Options(size);
  std::vector<absl::Status> results(size);
  std::vector<std::thread> threads;
  for (int r = 0; r < size; ++r) {
    threads.emplace_back([&, r] {
      CollectiveOptions o = base;
      o.rank = r;
      absl::StatusOr<std::unique_ptr<DeviceCollective>> dc = DeviceCollective::Create(o);
      if (!dc.ok()) {
        results[r] = dc.status();
        return;
      }
      cudaSetDevice((*dc)->device());
      cudaStream_t stream;
      float* d = nullptr;
      cudaStreamCreate(&stream);
      cudaMalloc(reinterpret_cast<void**>(&d), n * sizeof(float));
      for (int clock = 0; clock < 20 && results[r].ok(); ++clock) {
        std::vector<float> v = Inputs(r, n, clock);
        cudaMemcpy(d, v.data(), n * sizeof(float), cudaMemcpyHostToDevice);
        absl::Status s = (*dc)->AllReduceSum(d, n, stream);
        if (s.ok()) cudaMemcpy(v.data(), d, n * sizeof(float), cudaMemcpyDeviceToHost);
        if (s.ok() && FirstWrong(v, {0, n}, size, clock) >= 0) {
          s = absl::InternalError(absl::StrCat("wrong sum at clock ", clock));
        }
        results[r] = s;
      }
      cudaFree(d);
      cudaStreamDestroy(stream);
      if (results[r].ok()) results[r] = (*dc)->Close();
    });
  }
  for (std::thread& t : threads) t.join();
  for (int r = 0; r < size; ++r) EXPECT_TRUE(results[r].ok()) << "rank " << r << ": " << results[r];
}

TEST(NcclCollective, AbsentPeerTimesOut) {
  if (DeviceCount() == 0) GTEST_SKIP() << kNoGpu;
  CollectiveOptions o = Options(2);
  o.rank = 1;
  o.timeout_ms = 500;
  absl::Status s = MakeCollective("nccl", o).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  EXPECT_THAT(s.message(), HasSubstr("rank 0 did not write"));
}

}  // namespace
}  // namespace gaia::cnn
