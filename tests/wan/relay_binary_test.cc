// The gaia-wan-relay binary as a launcher uses it: config in, port file and
// stats file out, SIGHUP to change links, SIGTERM to stop, exit 2 on a bad
// config.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/wan/tcp_test_util.h"

namespace gaia::wan {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::Clock;

fs::path BinDir() {
  if (const char* dir = std::getenv("GAIA_BIN_DIR")) return dir;
  return fs::read_symlink("/proc/self/exe").parent_path();  // tests sit beside it
}

class RelayProcess {
 public:
  // Starts gaia-wan-relay with `args`; stderr goes to `stderr_path`.
  RelayProcess(const std::vector<std::string>& args, const fs::path& stderr_path) {
    const std::string binary = (BinDir() / "gaia-wan-relay").string();
    pid_ = fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(binary.c_str()));
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      if (FILE* err = std::freopen(stderr_path.c_str(), "w", stderr); err == nullptr) _exit(99);
      execv(binary.c_str(), argv.data());
      _exit(98);
    }
  }
  ~RelayProcess() {
    if (pid_ > 0 && !exit_code_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  // Exit code once it exits within `timeout`; nullopt otherwise.
  std::optional<int> Wait(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!exit_code_ && Clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      std::this_thread::sleep_for(milliseconds(5));
    }
    return exit_code_;
  }

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Polls a JSON file until `accept` holds for its content (bounded).
std::optional<json> WaitForJson(const fs::path& path, const std::function<bool(const json&)>& accept,
                                milliseconds timeout = milliseconds(10000)) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    json j = json::parse(ReadFile(path), nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded() && accept(j)) return j;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return std::nullopt;
}

class RelayBinary : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("wan_relay_binary_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  json Config(int target_port, double bandwidth_mbps) const {
    return {{"links",
             {{{"name", "a->b"}, {"bandwidth_mbps", bandwidth_mbps}, {"delay_ms", 2}},
              {{"name", "b->a"}, {"bandwidth_mbps", 100}, {"delay_ms", 2}}}},
            {"routes",
             {{{"listen", "127.0.0.1:0"},
               {"target", "127.0.0.1:" + std::to_string(target_port)},
               {"forward_link", "a->b"},
               {"backward_link", "b->a"}}}},
            {"port_file", (dir_ / "ports.json").string()},
            {"stats_file", (dir_ / "stats.json").string()},
            {"stats_interval_ms", 50}};
  }
  void WriteConfig(const json& config) const {
    std::ofstream(dir_ / "relay.json.tmp") << config.dump(2);
    fs::rename(dir_ / "relay.json.tmp", dir_ / "relay.json");
  }

  fs::path dir_;
};

TEST_F(RelayBinary, RelaysWritesPortsAndStatsAndStopsOnSigterm) {
  testing::EchoServer echo;
  WriteConfig(Config(echo.port(), 100));
  RelayProcess relay({"--config", (dir_ / "relay.json").string()}, dir_ / "stderr.txt");
  auto ports = WaitForJson(dir_ / "ports.json", [](const json& j) {
    return j.contains("ports") && j["ports"].size() == 1;
  });
  ASSERT_TRUE(ports.has_value()) << ReadFile(dir_ / "stderr.txt");
  const int port = (*ports)["ports"][0].get<int>();
  ASSERT_GT(port, 0);

  const int fd = testing::ConnectLocal(port);
  ASSERT_GE(fd, 0);
  const std::string message(5000, 'z');
  std::string echoed;
  ASSERT_TRUE(testing::WriteAll(fd, message, Clock::now() + seconds(3)));
  ASSERT_TRUE(testing::ReadExactly(fd, message.size(), &echoed, Clock::now() + seconds(3)));
  auto stats = WaitForJson(dir_ / "stats.json", [](const json& j) {
    return j.contains("links") && j["links"][0]["bytes"].get<uint64_t>() == 5000 &&
           j["links"][0]["connections"].get<int>() == 1;
  });
  ASSERT_TRUE(stats.has_value()) << ReadFile(dir_ / "stats.json");
  EXPECT_EQ((*stats)["links"][0]["name"], "a->b");
  EXPECT_EQ((*stats)["links"][0]["bandwidth_mbps"], 100);
  EXPECT_EQ((*stats)["links"][0]["delay_ms"], 2);
  EXPECT_GE((*stats)["time_s"].get<double>(), 0);
  close(fd);

  ASSERT_EQ(kill(relay.pid(), SIGTERM), 0);
  EXPECT_EQ(relay.Wait(milliseconds(5000)), std::optional<int>(0));
  auto final_stats = json::parse(ReadFile(dir_ / "stats.json"));
  EXPECT_EQ(final_stats["links"][1]["bytes"], 5000);
}

TEST_F(RelayBinary, SighupAppliesNewLinkSettings) {
  testing::EchoServer echo;
  WriteConfig(Config(echo.port(), 100));
  RelayProcess relay({"--config", (dir_ / "relay.json").string()}, dir_ / "stderr.txt");
  ASSERT_TRUE(WaitForJson(dir_ / "ports.json", [](const json&) { return true; }).has_value());
  WriteConfig(Config(echo.port(), 0));  // outage on a->b
  ASSERT_EQ(kill(relay.pid(), SIGHUP), 0);
  auto stats = WaitForJson(dir_ / "stats.json", [](const json& j) {
    return j.contains("links") && j["links"][0]["bandwidth_mbps"].get<double>() == 0;
  });
  EXPECT_TRUE(stats.has_value()) << ReadFile(dir_ / "stderr.txt");
  ASSERT_EQ(kill(relay.pid(), SIGINT), 0);
  EXPECT_EQ(relay.Wait(milliseconds(5000)), std::optional<int>(0));
}

TEST_F(RelayBinary, BadConfigExitsWithTwoNamingTheField) {
  json config = Config(5000, 100);
  config["links"][0]["bandwidth_mbps"] = -4;
  WriteConfig(config);
  RelayProcess relay({"--config", (dir_ / "relay.json").string()}, dir_ / "stderr.txt");
  EXPECT_EQ(relay.Wait(milliseconds(5000)), std::optional<int>(2));
  const std::string err = ReadFile(dir_ / "stderr.txt");
  EXPECT_NE(err.find("links[0].bandwidth_mbps"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir_ / "ports.json"));
}

TEST_F(RelayBinary, MissingConfigFlagOrFileExitsWithTwo) {
  RelayProcess no_flag({}, dir_ / "stderr1.txt");
  EXPECT_EQ(no_flag.Wait(milliseconds(5000)), std::optional<int>(2));
  RelayProcess no_file({"--config", (dir_ / "missing.json").string()}, dir_ / "stderr2.txt");
  EXPECT_EQ(no_file.Wait(milliseconds(5000)), std::optional<int>(2));
  EXPECT_NE(ReadFile(dir_ / "stderr2.txt").find("missing.json"), std::string::npos);
}

}  // namespace
}  // namespace gaia::wan
