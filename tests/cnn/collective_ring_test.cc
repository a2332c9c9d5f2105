// The CPU ring with its ranks as threads of this process.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "apps/cnn/collective.h"
#include "apps/cnn/collective_ring.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cnn/collective_test_util.h"
#include "tests/testing/subprocess.h"

namespace gaia::cnn {
namespace {

using ::gaia::cnn::testing::ExpectedSum;
using ::gaia::cnn::testing::FirstWrong;
using ::gaia::cnn::testing::Inputs;
using ::gaia::cnn::testing::RunRanks;
using ::testing::HasSubstr;

CollectiveOptions Options(int size, int timeout_ms = 20'000) {
  CollectiveOptions o;
  o.rendezvous_dir = gaia::testing::MakeTempDir("coll");
  o.size = size;
  o.timeout_ms = timeout_ms;
  return o;
}

TEST(CollectiveSlice, PartitionsInRankOrderFirstRanksOneLonger) {
  EXPECT_EQ(Collective::Slice(10, 0, 3), (SliceRange{0, 4}));
  EXPECT_EQ(Collective::Slice(10, 1, 3), (SliceRange{4, 7}));
  EXPECT_EQ(Collective::Slice(10, 2, 3), (SliceRange{7, 10}));
  EXPECT_EQ(Collective::Slice(2, 3, 4), (SliceRange{2, 2}));
  EXPECT_EQ(Collective::Slice(0, 0, 1), (SliceRange{0, 0}));
  for (size_t n : {0, 1, 5, 17, 1000}) {
    for (int p = 1; p <= 5; ++p) {
      size_t next = 0;
      for (int r = 0; r < p; ++r) {
        const SliceRange s = Collective::Slice(n, r, p);
        EXPECT_EQ(s.begin, next);
        EXPECT_LE(s.size(), n / p + 1);
        EXPECT_GE(s.size(), n / p);
        next = s.end;
      }
      EXPECT_EQ(next, n);
    }
  }
}

TEST(CollectiveOptions, BadFieldsAreNamed) {
  CollectiveOptions o = Options(2);
  o.rank = 2;
  EXPECT_THAT(MakeCollective("cpu", o).status().message(), HasSubstr("rank"));
  o.rank = 0;
  o.timeout_ms = 0;
  EXPECT_THAT(MakeCollective("cpu", o).status().message(), HasSubstr("timeout_ms"));
  o.timeout_ms = 100;
  o.chunk_bytes = 2;
  EXPECT_THAT(MakeCollective("cpu", o).status().message(), HasSubstr("chunk_bytes"));
  o.chunk_bytes = 64;
  o.rendezvous_dir = "";
  EXPECT_THAT(MakeCollective("cpu", o).status().message(), HasSubstr("rendezvous_dir"));
  o.size = 0;
  EXPECT_EQ(MakeCollective("cpu", o).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CollectiveFactory, UnknownNameAndMissingNcclAreClearErrors) {
  CollectiveOptions o;
  EXPECT_EQ(MakeCollective("mpi", o).status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<std::unique_ptr<Collective>> nccl = MakeCollective("nccl", o);
  if (!nccl.ok()) {
    // Either this build has no NCCL or this machine has no GPU; the message says which.
    EXPECT_EQ(nccl.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(nccl.status().message(),
                CollectiveHasNccl() ? HasSubstr("CUDA device") : HasSubstr("no NCCL"));
  } else {
    EXPECT_EQ((*nccl)->name(), "nccl");
  }
}

TEST(CollectiveRing, SizeOneIsTrivialAndNeedsNoDirectory) {
  CollectiveOptions o;  // size 1, no rendezvous dir
  absl::StatusOr<std::unique_ptr<Collective>> c = MakeCollective("cpu", o);
  ASSERT_TRUE(c.ok()) << c.status();
  std::vector<float> v = Inputs(0, 5);
  const std::vector<float> before = v;
  ASSERT_TRUE((*c)->AllReduceSum(std::span<float>(v)).ok());
  EXPECT_EQ(v, before);
  SliceRange mine;
  ASSERT_TRUE((*c)->ReduceScatterSum(std::span<float>(v), &mine).ok());
  EXPECT_EQ(mine, (SliceRange{0, 5}));
}

// All-reduce and reduce-scatter for sizes 1..4 and lengths 0, 1, < size,
// odd, and one spanning many chunks; exact sums.
TEST(CollectiveRing, SumsAreExactForEverySizeAndLength) {
  for (int size = 1; size <= 4; ++size) {
    for (size_t n : {size_t{0}, size_t{1}, size_t(size - 1), size_t{1001}, size_t{4099}}) {
      CollectiveOptions o = Options(size);
      o.chunk_bytes = 256;  // 64 floats: many chunks, partial frames
      std::vector<std::vector<float>> all(static_cast<size_t>(size));
      std::vector<SliceRange> mine(static_cast<size_t>(size));
      std::vector<absl::Status> results = RunRanks("cpu", o, [&](int r, Collective& c) {
        std::vector<float> v = Inputs(r, n);
        absl::Status s = c.AllReduceSum(std::span<float>(v));
        if (!s.ok()) return s;
        all[static_cast<size_t>(r)] = v;
        v = Inputs(r, n);
        s = c.ReduceScatterSum(std::span<float>(v), &mine[static_cast<size_t>(r)]);
        if (s.ok()) all[static_cast<size_t>(r)].insert(all[r].end(), v.begin(), v.end());
        return s;
      });
      for (int r = 0; r < size; ++r) {
        SCOPED_TRACE(absl::StrCat("size ", size, " n ", n, " rank ", r));
        ASSERT_TRUE(results[r].ok()) << results[r];
        const std::vector<float>& got = all[static_cast<size_t>(r)];
        ASSERT_EQ(got.size(), 2 * n);
        EXPECT_EQ(FirstWrong(std::vector<float>(got.begin(), got.begin() + n), {0, n}, size),
                  -1);
        EXPECT_EQ(mine[r], Collective::Slice(n, r, size));
        const std::vector<float> scattered(got.begin() + n, got.end());
        EXPECT_EQ(FirstWrong(scattered, mine[r], size), -1);
      }
    }
  }
}

TEST(CollectiveRing, LargeVectorWithDefaultChunks) {
  const size_t n = size_t{1} << 20;
  for (int size : {2, 3, 4}) {
    std::vector<long> wrong(static_cast<size_t>(size), -2);
    std::vector<absl::Status> results = RunRanks("cpu", Options(size), [&](int r, Collective& c) {
      std::vector<float> v = Inputs(r, n);
      absl::Status s = c.AllReduceSum(std::span<float>(v));
      wrong[static_cast<size_t>(r)] = FirstWrong(v, {0, n}, size);
      return s;
    });
    for (int r = 0; r < size; ++r) {
      EXPECT_TRUE(results[r].ok()) << results[r];
      EXPECT_EQ(wrong[r], -1) << "size " << size << " rank " << r;
    }
  }
}

// Arbitrary floats: the sum is right to rounding, and every rank holds the
// same bits (each slice is summed once and then copied).
TEST(CollectiveRing, FloatSumsAgreeAcrossRanksBitForBit) {
  const int size = 3;
  const size_t n = 3001;
  std::vector<std::vector<float>> inputs(size), outputs(size);
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (auto& v : inputs) {
    v.resize(n);
    for (float& x : v) x = normal(rng);
  }
  CollectiveOptions o = Options(size);
  o.chunk_bytes = 1000;  // not a multiple of the frame
  std::vector<absl::Status> results = RunRanks("cpu", o, [&](int r, Collective& c) {
    outputs[r] = inputs[r];
    return c.AllReduceSum(std::span<float>(outputs[r]));
  });
  for (int r = 0; r < size; ++r) ASSERT_TRUE(results[r].ok()) << results[r];
  for (size_t i = 0; i < n; ++i) {
    const double exact = double{inputs[0][i]} + inputs[1][i] + inputs[2][i];
    ASSERT_NEAR(outputs[0][i], exact, 1e-5 * (1 + std::abs(exact))) << i;
    ASSERT_EQ(outputs[1][i], outputs[0][i]) << i;
    ASSERT_EQ(outputs[2][i], outputs[0][i]) << i;
  }
}

TEST(CollectiveRing, HundredClocksStayCorrect) {
  const int size = 3;
  const size_t n = 777;
  std::vector<int> bad_clock(size, -2);
  CollectiveOptions o = Options(size);
  o.chunk_bytes = 400;
  std::vector<absl::Status> results = RunRanks("cpu", o, [&](int r, Collective& c) {
    bad_clock[r] = -1;
    for (int clock = 0; clock < 100; ++clock) {
      std::vector<float> v = Inputs(r, n, clock);
      SliceRange mine{0, n};
      absl::Status s = clock % 2 == 0 ? c.AllReduceSum(std::span<float>(v))
                                      : c.ReduceScatterSum(std::span<float>(v), &mine);
      if (!s.ok()) return s;
      if (FirstWrong(v, mine, size, clock) != -1) {
        bad_clock[r] = clock;
        break;
      }
    }
    return absl::OkStatus();
  });
  for (int r = 0; r < size; ++r) {
    EXPECT_TRUE(results[r].ok()) << results[r];
    EXPECT_EQ(bad_clock[r], -1) << "rank " << r;
  }
}

// A rank whose call was rejected has used that step: its next call meets the
// peers' previous one, and both sides say so instead of summing two clocks.
TEST(CollectiveRing, RankOutOfStepIsAnErrorNotAHang) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<absl::Status> results = RunRanks("cpu", Options(2), [&](int r, Collective& c) {
    std::vector<float> v = Inputs(r, 10);
    if (r == 1) {
      absl::Status rejected = c.ReduceScatterSum(std::span<float>(v), nullptr);
      if (rejected.code() != absl::StatusCode::kInvalidArgument) {
        return absl::InternalError(
            absl::StrCat("expected INVALID_ARGUMENT: ", rejected.ToString()));
      }
    }
    return c.AllReduceSum(std::span<float>(v));
  });
  for (int r = 0; r < 2; ++r) {
    EXPECT_EQ(results[r].code(), absl::StatusCode::kAborted) << results[r];
    EXPECT_THAT(results[r].message(), HasSubstr("out of step"));
    EXPECT_THAT(results[r].message(), HasSubstr(absl::StrCat("rank ", 1 - r, " is in call #")));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(CollectiveRing, MismatchedOperationOrLengthIsNamed) {
  std::vector<absl::Status> results = RunRanks("cpu", Options(3), [&](int r, Collective& c) {
    std::vector<float> v = Inputs(r, r == 2 ? 11 : 10);
    return c.AllReduceSum(std::span<float>(v));
  });
  EXPECT_EQ(results[0].code(), absl::StatusCode::kAborted) << results[0];
  EXPECT_THAT(results[0].message(), HasSubstr("rank 2 passed 11 floats where this rank passed 10"));

  results = RunRanks("cpu", Options(2), [&](int r, Collective& c) {
    std::vector<float> v = Inputs(r, 10);
    SliceRange mine;
    return r == 0 ? c.AllReduceSum(std::span<float>(v))
                  : c.ReduceScatterSum(std::span<float>(v), &mine);
  });
  EXPECT_THAT(results[0].message(),
              HasSubstr("rank 1 called ReduceScatterSum where this rank called AllReduceSum"));
  EXPECT_THAT(results[1].message(),
              HasSubstr("rank 0 called AllReduceSum where this rank called ReduceScatterSum"));
}

// A rank that goes away mid-run (here: closes) makes its peers fail at once,
// naming it, and the failure is remembered for later calls.
TEST(CollectiveRing, PeerThatLeavesIsNamedByTheOthers) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<absl::Status> second(4);
  std::vector<absl::Status> results = RunRanks("cpu", Options(4), [&](int r, Collective& c) {
    std::vector<float> v = Inputs(r, 1000);
    absl::Status s = c.AllReduceSum(std::span<float>(v));
    if (!s.ok()) return s;
    if (r == 2) return c.Close();
    s = c.AllReduceSum(std::span<float>(v));
    second[r] = c.AllReduceSum(std::span<float>(v));
    return s;
  });
  EXPECT_TRUE(results[2].ok()) << results[2];
  for (int r : {0, 1, 3}) {
    EXPECT_EQ(results[r].code(), absl::StatusCode::kUnavailable) << results[r];
    EXPECT_THAT(results[r].message(), HasSubstr("rank 2 ")) << results[r];
    EXPECT_EQ(second[r].code(), absl::StatusCode::kFailedPrecondition) << second[r];
    EXPECT_THAT(second[r].message(), HasSubstr("failed earlier"));
  }
  // Which failure a peer sees first is a race (rank 3 may see rank 2's
  // close on its receive, or rank 0's failure on its send, which quotes rank
  // 2's note): either way it names rank 2, as asserted above.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(CollectiveRing, AbsentPeerTimesOutNamingIt) {
  CollectiveOptions o = Options(2, /*timeout_ms=*/300);
  o.rank = 0;
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<Collective>> c = MakeCollective("cpu", o);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kDeadlineExceeded) << c.status();
  EXPECT_THAT(c.status().message(), HasSubstr("rank 1 never listened"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_FALSE(std::filesystem::exists(o.rendezvous_dir + "/rank-0.sock"));
}

TEST(CollectiveRing, PeerThatStopsCallingTimesOutNamingIt) {
  std::promise<void> rank0_done;
  std::shared_future<void> done = rank0_done.get_future().share();
  std::vector<absl::Status> results = RunRanks("cpu", Options(2, 400), [&](int r, Collective& c) {
    std::vector<float> v = Inputs(r, 100);
    absl::Status s = c.AllReduceSum(std::span<float>(v));
    if (r == 1) {
      // Skips the second clock but stays connected until rank 0 gives up.
      if (done.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
        return absl::InternalError("rank 0 never finished");
      }
      return s;
    }
    if (s.ok()) s = c.AllReduceSum(std::span<float>(v));
    rank0_done.set_value();
    return s;
  });
  EXPECT_TRUE(results[1].ok()) << results[1];
  EXPECT_EQ(results[0].code(), absl::StatusCode::kDeadlineExceeded) << results[0];
  EXPECT_THAT(results[0].message(), HasSubstr("after 400 ms"));
  EXPECT_THAT(results[0].message(), HasSubstr("rank 1"));
}

TEST(CollectiveRing, RendezvousDirProblemsAreNamed) {
  CollectiveOptions o = Options(2, 300);
  o.rendezvous_dir += "/missing";
  EXPECT_EQ(MakeCollective("cpu", o).status().code(), absl::StatusCode::kNotFound);

  o = Options(2, 300);
  std::ofstream(o.rendezvous_dir + "/rank-0.sock") << "left over";
  absl::Status s = MakeCollective("cpu", o).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), HasSubstr("must be empty"));

  o = Options(2, 300);
  o.rendezvous_dir += "/" + std::string(120, 'x');
  EXPECT_THAT(MakeCollective("cpu", o).status().message(), HasSubstr("Unix sockets allow"));
}

TEST(CollectiveRing, RanksThatDisagreeOnSizeFail) {
  const std::string dir = gaia::testing::MakeTempDir("coll");
  std::vector<absl::Status> results(2);
  std::thread other([&] {
    CollectiveOptions o{.rendezvous_dir = dir, .rank = 1, .size = 2, .timeout_ms = 2000};
    results[1] = MakeCollective("cpu", o).status();
  });
  CollectiveOptions o{.rendezvous_dir = dir, .rank = 0, .size = 3, .timeout_ms = 2000};
  results[0] = MakeCollective("cpu", o).status();
  other.join();
  // Rank 0 of 3 connects to rank 1, which answers that the DC has 2 workers.
  EXPECT_EQ(results[0].code(), absl::StatusCode::kFailedPrecondition) << results[0];
  EXPECT_THAT(results[0].message(), HasSubstr("believes the DC has 2 workers"));
  EXPECT_FALSE(results[1].ok());
}

TEST(CollectiveRing, CallsAfterCloseFailAndSocketFilesAreGone) {
  CollectiveOptions o = Options(2);
  std::vector<absl::Status> results = RunRanks("cpu", o, [&](int r, Collective& c) {
    std::vector<float> v = Inputs(r, 3);
    absl::Status s = c.AllReduceSum(std::span<float>(v));
    if (!s.ok()) return s;
    if (!c.Close().ok() || !c.Close().ok()) return absl::InternalError("Close failed");
    return c.AllReduceSum(std::span<float>(v));
  });
  for (const absl::Status& s : results) {
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_THAT(s.message(), HasSubstr("after Close"));
  }
  EXPECT_TRUE(std::filesystem::is_empty(o.rendezvous_dir));
}

}  // namespace
}  // namespace gaia::cnn
