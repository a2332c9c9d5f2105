// The library as a user gets it: `cmake --install` the build into a temporary
// prefix, build examples/custom_program out of tree with find_package(gaia),
// then run two copies of it as worker processes against an in-process shard
// and check that training made progress.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/worker/test_cluster.h"

extern char** environ;

namespace gaia {
namespace {

namespace fs = std::filesystem;

// A child process in its own process group, output to `log`.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const fs::path& log) {
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    if (posix_spawnp(&pid_, args[0], &actions, &attr, args.data(), environ) != 0) pid_ = -1;
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
  }

  // Exit code, or -1 if it did not exit by the deadline (then its process
  // group, which only it and its children are in, is killed).
  int Wait(std::chrono::steady_clock::time_point deadline) {
    if (pid_ <= 0) return -1;
    while (true) {
      int status = 0;
      const pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      if (r < 0 || std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling a child
    }
    kill(-pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return -1;
  }

  ~Child() {
    if (pid_ > 0) Wait(std::chrono::steady_clock::now());
  }

 private:
  pid_t pid_ = -1;
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int RunTool(const std::vector<std::string>& argv, const fs::path& log, std::chrono::seconds limit) {
  Child child(argv, log);
  const int code = child.Wait(std::chrono::steady_clock::now() + limit);
  EXPECT_EQ(code, 0) << argv[0] << " " << (argv.size() > 1 ? argv[1] : "") << " failed:\n"
                     << ReadFile(log);
  return code;
}

// "objective":<number> of every line of a metrics file.
std::vector<double> Objectives(const fs::path& path) {
  std::vector<double> out;
  std::ifstream in(path);
  std::string line;
  const std::string key = "\"objective\":";
  while (std::getline(in, line)) {
    const size_t at = line.find(key);
    if (at == std::string::npos) continue;
    out.push_back(std::strtod(line.c_str() + at + key.size(), nullptr));
  }
  return out;
}

TEST(CustomProgram, BuildsAgainstInstalledPackageAndTrains) {
  const fs::path dir = fs::temp_directory_path() /
                       ("gaia_custom_program_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path prefix = dir / "prefix";
  const fs::path build = dir / "build";
  const std::string cmake = GAIA_CMAKE_COMMAND;

  ASSERT_EQ(RunTool({cmake, "--install", GAIA_BUILD_DIR, "--component", "devel", "--prefix",
                 prefix.string()},
                dir / "install.log", std::chrono::seconds(60)),
            0);
  ASSERT_TRUE(fs::exists(prefix / "include" / "gaia" / "worker.h"));
  ASSERT_EQ(RunTool({cmake, "-S", GAIA_EXAMPLE_DIR, "-B", build.string(), "-G", "Ninja",
                 "-DCMAKE_PREFIX_PATH=" + prefix.string(), "-DCMAKE_BUILD_TYPE=Release",
                 std::string("-DCMAKE_CXX_FLAGS=") + GAIA_EXAMPLE_SANITIZE,
                 std::string("-DCMAKE_EXE_LINKER_FLAGS=") + GAIA_EXAMPLE_SANITIZE},
                dir / "configure.log", std::chrono::seconds(120)),
            0);
  ASSERT_EQ(RunTool({cmake, "--build", build.string(), "-j", "2"}, dir / "build.log",
                std::chrono::seconds(240)),
            0);
  const fs::path program = build / "custom_program";
  ASSERT_TRUE(fs::exists(program));

  // A program started without --gaia-config explains itself.
  Child bare({program.string()}, dir / "bare.log");
  EXPECT_EQ(bare.Wait(std::chrono::steady_clock::now() + std::chrono::seconds(30)), 2);
  EXPECT_NE(ReadFile(dir / "bare.log").find("gaia launch"), std::string::npos);

  testing::TestCluster cluster({.job_id = "custom-program",
                                .tables = {testing::ZeroTable("weights", 1, 8)},
                                .num_shards = 1,
                                .num_workers = 2});
  ASSERT_TRUE(cluster.ok());
  std::vector<std::unique_ptr<Child>> workers;
  for (uint32_t i = 0; i < 2; ++i) {
    const fs::path config = dir / ("worker" + std::to_string(i) + ".json");
    std::ofstream(config) << "{\"job_id\": \"custom-program\", \"worker_id\": " << i
                          << ", \"shard_addresses\": [\"" << cluster.addresses()[0]
                          << "\"], \"dc\": \"local\", \"data_part\": " << i
                          << ", \"data_parts\": 2, \"metrics_path\": \""
                          << (dir / ("metrics" + std::to_string(i) + ".jsonl")).string()
                          << "\", \"read_timeout_ms\": 30000}";
    workers.push_back(std::make_unique<Child>(
        std::vector<std::string>{program.string(), "--clocks=15", "--gaia-config",
                                 config.string()},
        dir / ("worker" + std::to_string(i) + ".log")));
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (uint32_t i = 0; i < 2; ++i) {
    EXPECT_EQ(workers[i]->Wait(deadline), 0)
        << ReadFile(dir / ("worker" + std::to_string(i) + ".log"));
  }
  for (uint32_t i = 0; i < 2; ++i) {
    const std::string log = ReadFile(dir / ("worker" + std::to_string(i) + ".log"));
    EXPECT_NE(log.find("clock 14 loss"), std::string::npos) << log;
    std::vector<double> loss = Objectives(dir / ("metrics" + std::to_string(i) + ".jsonl"));
    ASSERT_EQ(loss.size(), 15u);
    EXPECT_LT(loss.back(), 0.8 * loss.front()) << "worker " << i << " did not learn";
  }
  if (!HasFailure()) fs::remove_all(dir);
}

}  // namespace
}  // namespace gaia
