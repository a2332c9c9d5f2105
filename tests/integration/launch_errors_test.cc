// `gaia` as a user runs it: bad specs, a worker dying mid-run, a port in use,
// Ctrl-C. Each must give a clear error and a non-zero exit, and leave no
// process behind.
#include <signal.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <filesystem>
#include <algorithm>
#include <sstream>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/subprocess.h"

namespace gaia {
namespace {

using ::testing::HasSubstr;
using testing::MakeTempDir;
using testing::RunProcess;
using testing::WriteTextFile;

std::string Gaia() { return testing::BinDir() + "/gaia"; }

// A spec whose workers run `program`.
std::string SpecWithProgram(const std::string& name, const std::string& program,
                            const std::string& results) {
  return "name: " + name + "\n"
         "mode: lan\n"
         "app:\n"
         "  program: " + program + "\n"
         "  clocks: 5\n"
         "tables:\n"
         "  - {name: w, rows: 100, width: 4}\n"
         "dcs:\n"
         "  - {name: a, shards: 1, workers: 2}\n"
         "results_dir: " + results + "\n"
         "timeout_s: 60\n";
}

TEST(LaunchErrors, ValidateRejectsUnknownFieldWithFileAndLine) {
  const std::string dir = MakeTempDir("spec");
  const std::string path = dir + "/bad.yaml";
  WriteTextFile(path, SpecWithProgram("j", "/bin/true", dir) + "bogus_field: 3\n");
  auto result = RunProcess({Gaia(), "validate", path}, std::chrono::seconds(30));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr(path + ":12"));
  EXPECT_THAT(result.output, HasSubstr("bogus_field"));
}

TEST(LaunchErrors, ValidateAcceptsGoodSpecAndShowsPlan) {
  const std::string dir = MakeTempDir("spec");
  const std::string path = dir + "/good.yaml";
  WriteTextFile(path, SpecWithProgram("j", "/bin/true", dir));
  auto result = RunProcess({Gaia(), "validate", path}, std::chrono::seconds(30));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("1 shard(s), 2 worker(s)"));
}

TEST(LaunchErrors, FeatureThisBuildLacksIsRefusedBeforeStarting) {
  const std::string dir = MakeTempDir("mode");
  const std::string path = dir + "/job.yaml";
  WriteTextFile(path, SpecWithProgram("m", "/bin/true", dir) + "checkpoint: {every_clocks: 5}\n");
  auto result = RunProcess({Gaia(), "launch", "--quiet", path}, std::chrono::seconds(30));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("checkpoint.every_clocks"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/m")) << "nothing may be started or written";
}

TEST(LaunchErrors, PresetWithoutTheJobsDcsIsRefusedBeforeStarting) {
  const std::string dir = MakeTempDir("preset");
  const std::string path = dir + "/job.yaml";
  std::string spec = SpecWithProgram("m", "/bin/true", dir);
  spec.replace(spec.find("dcs:\n"), 5, "dcs:\n  - {name: singapore}\n");
  WriteTextFile(path, spec + "wan: {emulate: proxy, preset: ss-2dc}\n");
  auto result = RunProcess({Gaia(), "launch", "--quiet", "--mode", "baseline", path},
                           std::chrono::seconds(30));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("wan.preset: "));
  EXPECT_THAT(result.output, HasSubstr("no link singapore->a"));  // "a" is no region of it
  EXPECT_FALSE(std::filesystem::exists(dir + "/m")) << "nothing may be started or written";
}

TEST(LaunchErrors, BadFlagsExitTwoAndHelpExitsZero) {
  auto bad = RunProcess({Gaia(), "launch", "--no-such-flag", "x.yaml"}, std::chrono::seconds(30));
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("no-such-flag"));
  auto none = RunProcess({Gaia()}, std::chrono::seconds(30));
  EXPECT_EQ(none.exit_code, 2) << none.output;
  auto help = RunProcess({Gaia(), "--help"}, std::chrono::seconds(30));
  EXPECT_EQ(help.exit_code, 0) << help.output;
  EXPECT_THAT(help.output, HasSubstr("launch"));
  EXPECT_THAT(help.output, HasSubstr("validate"));
}

TEST(LaunchErrors, LaunchOfMissingSpecFails) {
  auto result = RunProcess({Gaia(), "launch", "/nonexistent/job.yaml"}, std::chrono::seconds(30));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("/nonexistent/job.yaml"));
}

TEST(LaunchErrors, WorkerDyingMidRunStopsJobAndNamesIt) {
  const std::string dir = MakeTempDir("die");
  const std::string script = dir + "/dying_worker.sh";
  WriteTextFile(script, "#!/bin/sh\nsleep 1\necho 'worker says: out of memory' >&2\nexit 3\n");
  chmod(script.c_str(), 0755);
  const std::string path = dir + "/job.yaml";
  WriteTextFile(path, SpecWithProgram("dying", script, dir + "/results"));
  auto result = RunProcess({Gaia(), "launch", "--quiet", path}, std::chrono::seconds(120));
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_THAT(result.output, HasSubstr("exited with code 3"));
  EXPECT_THAT(result.output, HasSubstr("worker says: out of memory"));
  // The failure is recorded in the results folder too.
  bool found_summary = false;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir + "/results")) {
    if (entry.path().filename() == "summary.json") {
      found_summary = true;
      EXPECT_THAT(testing::ReadTextFile(entry.path().string()), HasSubstr("\"failed\""));
    }
  }
  EXPECT_TRUE(found_summary);
}

TEST(LaunchErrors, MissingProgramIsReportedBeforeStarting) {
  const std::string dir = MakeTempDir("noprog");
  const std::string path = dir + "/job.yaml";
  WriteTextFile(path, SpecWithProgram("noprog", "no_such_program_xyz", dir + "/results"));
  auto result = RunProcess({Gaia(), "launch", "--quiet", path}, std::chrono::seconds(60));
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_THAT(result.output, HasSubstr("no_such_program_xyz"));
}

TEST(LaunchErrors, ServerOnPortInUseFailsClearly) {
  // Hold a port ourselves.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);

  const std::string dir = MakeTempDir("port");
  const std::string path = dir + "/job.yaml";
  WriteTextFile(path, SpecWithProgram("port", "/bin/true", dir));
  auto result = RunProcess({Gaia(), "server", "--job", path, "--mode", "lan", "--shard", "0",
                            "--listen", "127.0.0.1:" + std::to_string(port)},
                           std::chrono::seconds(30));
  close(fd);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_THAT(result.output, HasSubstr(std::to_string(port)));
}

TEST(LaunchErrors, InterruptStopsEveryChild) {
  const std::string dir = MakeTempDir("int");
  const std::string script = dir + "/slow_worker.sh";
  // A worker that records its PID and then waits far longer than the test.
  WriteTextFile(script, "#!/bin/sh\necho $$ >> " + dir + "/pids\nexec sleep 300\n");
  chmod(script.c_str(), 0755);
  const std::string path = dir + "/job.yaml";
  WriteTextFile(path, SpecWithProgram("int", script, dir + "/results"));
  testing::Subprocess launcher({Gaia(), "launch", "--quiet", path});
  // Wait (bounded) until both workers run.
  for (int i = 0; i < 300; ++i) {
    const std::string so_far = testing::ReadTextFile(dir + "/pids");
    if (std::count(so_far.begin(), so_far.end(), '\n') == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::string pids = testing::ReadTextFile(dir + "/pids");
  ASSERT_EQ(std::count(pids.begin(), pids.end(), '\n'), 2) << launcher.OutputSoFar();
  launcher.Signal(SIGINT);
  auto result = launcher.Wait(std::chrono::seconds(60));
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.exit_code, 130) << result.output;
  EXPECT_THAT(result.output, HasSubstr("interrupted"));
  // The workers the launcher started are gone.
  std::istringstream in(pids);
  for (int pid; in >> pid;) EXPECT_NE(kill(pid, 0), 0) << "worker " << pid << " still running";
}

}  // namespace
}  // namespace gaia
