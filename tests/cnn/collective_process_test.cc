// The CPU ring with its ranks as real processes (fork), as the launcher runs
// a DC's workers: exact sums over many clocks, and a peer killed with
// SIGKILL named by the survivors well within the deadline. Each child writes
// its outcome to <dir>/result-<rank>.txt and exits 0 when it matched.
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "apps/cnn/collective.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cnn/collective_test_util.h"
#include "tests/testing/subprocess.h"

namespace gaia::cnn {
namespace {

using ::gaia::cnn::testing::FirstWrong;
using ::gaia::cnn::testing::Inputs;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

std::string ResultPath(const std::string& dir, int rank) {
  return absl::StrCat(dir, "/result-", rank, ".txt");
}

// The children this test started; any still running at the end are killed
// by their PID and reaped.
class Children {
 public:
  ~Children() {
    for (pid_t pid : pids_) {
      if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
      }
    }
  }

  // Forks a child running body(); its return value is the exit code.
  void Start(const std::function<int()>& body) {
    std::fflush(nullptr);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0) << "fork failed";
    if (pid == 0) _exit(body());
    pids_.push_back(pid);
  }

  pid_t pid(size_t i) const { return pids_[i]; }

  // Waits for child i until `deadline`; its exit code, 128 + signal, or -1
  // when it overstayed (then it is killed).
  int Wait(size_t i, Clock::time_point deadline) {
    const pid_t pid = pids_[i];
    int status = 0;
    const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    while (waitpid(pid, &status, WNOHANG) == 0) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        status = -1;
        break;
      }
      if (pidfd >= 0) {
        pollfd fd{pidfd, POLLIN, 0};
        poll(&fd, 1, static_cast<int>(left.count()));
      } else {
        poll(nullptr, 0, 10);  // no pidfd (old kernel): check every 10 ms
      }
    }
    if (pidfd >= 0) close(pidfd);
    pids_[i] = -1;
    if (status == -1) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  std::vector<pid_t> pids_;
};

void WriteResult(const std::string& dir, int rank, const std::string& text) {
  std::ofstream(ResultPath(dir, rank)) << text;
}

std::string ReadResult(const std::string& dir, int rank) {
  std::ifstream in(ResultPath(dir, rank));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A child: `clocks` clocks alternating all-reduce and reduce-scatter, checked.
int SumClocks(const CollectiveOptions& options, size_t n, int clocks) {
  absl::StatusOr<std::unique_ptr<Collective>> c = MakeCollective("cpu", options);
  if (!c.ok()) {
    WriteResult(options.rendezvous_dir, options.rank, c.status().ToString());
    return 2;
  }
  double seconds = 0;
  for (int clock = 0; clock < clocks; ++clock) {
    std::vector<float> v = Inputs(options.rank, n, clock);
    SliceRange mine{0, n};
    const auto start = Clock::now();
    absl::Status s = clock % 2 == 0 ? (*c)->AllReduceSum(std::span<float>(v))
                                    : (*c)->ReduceScatterSum(std::span<float>(v), &mine);
    seconds += std::chrono::duration<double>(Clock::now() - start).count();
    if (!s.ok()) {
      WriteResult(options.rendezvous_dir, options.rank, s.ToString());
      return 3;
    }
    if (const long i = FirstWrong(v, mine, options.size, clock); i >= 0) {
      WriteResult(options.rendezvous_dir, options.rank,
                  absl::StrCat("clock ", clock, ": element ", i, " is ", v[i]));
      return 4;
    }
  }
  WriteResult(options.rendezvous_dir, options.rank,
              absl::StrCat("ok ", 1e3 * seconds / clocks, " ms per call"));
  return 0;
}

TEST(CollectiveProcesses, SumsAreExactOverManyClocks) {
  struct Case {
    int size;
    size_t n;
    int clocks;
  };
  for (const Case& k : {Case{2, 0, 4}, Case{3, 2, 10}, Case{4, 1001, 100},
                        Case{3, size_t{1} << 20, 6}}) {
    SCOPED_TRACE(absl::StrCat("size ", k.size, " n ", k.n));
    CollectiveOptions options;
    options.rendezvous_dir = gaia::testing::MakeTempDir("collp");
    options.size = k.size;
    options.timeout_ms = 60'000;
    Children children;
    for (int r = 0; r < k.size; ++r) {
      options.rank = r;
      children.Start([options, k] { return SumClocks(options, k.n, k.clocks); });
    }
    const auto deadline = Clock::now() + std::chrono::seconds(120);
    for (int r = 0; r < k.size; ++r) {
      EXPECT_EQ(children.Wait(static_cast<size_t>(r), deadline), 0)
          << "rank " << r << ": " << ReadResult(options.rendezvous_dir, r);
    }
    std::printf("size %d, %zu floats: rank 0 %s\n", k.size, k.n,
                ReadResult(options.rendezvous_dir, 0).c_str());
  }
}

// Rank 1 is killed (SIGKILL) between clocks; ranks 0 and 2, already in the
// next call, fail with UNAVAILABLE naming rank 1 long before their 30 s
// deadline.
TEST(CollectiveProcesses, KilledPeerIsNamedWellWithinTheDeadline) {
  const int size = 3;
  CollectiveOptions options;
  options.rendezvous_dir = gaia::testing::MakeTempDir("collk");
  options.size = size;
  options.timeout_ms = 30'000;
  int ready[2];  // each child writes a byte once its first clock is done
  int hold[2];   // never written: rank 1 waits on it until it is killed
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(hold), 0);
  Children children;
  for (int r = 0; r < size; ++r) {
    options.rank = r;
    children.Start([options, ready, hold] {
      close(hold[1]);
      absl::StatusOr<std::unique_ptr<Collective>> c = MakeCollective("cpu", options);
      if (!c.ok()) return 2;
      std::vector<float> v = Inputs(options.rank, 5000);
      if (!(*c)->AllReduceSum(std::span<float>(v)).ok()) return 3;
      const char byte = 1;
      if (write(ready[1], &byte, 1) != 1) return 4;
      if (options.rank == 1) {
        char never;
        return read(hold[0], &never, 1) == 1 ? 5 : 6;
      }
      const auto start = Clock::now();
      absl::Status s = (*c)->AllReduceSum(std::span<float>(v));
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      WriteResult(options.rendezvous_dir, options.rank,
                  absl::StrCat(s.ToString(), " [after ", ms, " ms]"));
      return s.code() == absl::StatusCode::kUnavailable ? 0 : 7;
    });
  }
  close(ready[1]);
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  int got = 0;
  while (got < size && Clock::now() < deadline) {
    pollfd fd{ready[0], POLLIN, 0};
    if (poll(&fd, 1, 1000) <= 0) continue;
    char buf[8];
    const ssize_t r = read(ready[0], buf, sizeof(buf));
    if (r <= 0) break;
    got += static_cast<int>(r);
  }
  close(ready[0]);
  close(hold[0]);
  ASSERT_EQ(got, size) << "not every rank finished the first clock";
  const auto killed_at = Clock::now();
  ASSERT_EQ(kill(children.pid(1), SIGKILL), 0);
  EXPECT_EQ(children.Wait(1, deadline), 128 + SIGKILL);
  for (int r : {0, 2}) {
    const int code = children.Wait(static_cast<size_t>(r), deadline);
    const std::string result = ReadResult(options.rendezvous_dir, r);
    EXPECT_EQ(code, 0) << "rank " << r << ": " << result;
    EXPECT_THAT(result, HasSubstr("UNAVAILABLE"));
    EXPECT_THAT(result, HasSubstr("rank 1 ("));
  }
  EXPECT_THAT(ReadResult(options.rendezvous_dir, 2),
              HasSubstr("rank 1 (previous in the ring) closed its connection"));
  EXPECT_LT(Clock::now() - killed_at, std::chrono::seconds(5));
  close(hold[1]);
}

}  // namespace
}  // namespace gaia::cnn
