// The two programs end to end: gaia_mf against real in-process shards on
// 127.0.0.1:0 (two worker processes, BSP), and gaia_mf_serial's CLI.
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/common/job_spec.h"
#include "src/server/shard_server.h"

namespace gaia::mf {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kData[] =
    "synthetic:users=400,items=120,ratings=20000,rank=4,noise=0.2,zipf=0.3,seed=3";

// Programs live in <build>/bin, beside this test: GAIA_BIN_DIR if set, else
// this executable's directory.
std::string Bin(const std::string& name) {
  const char* dir = std::getenv("GAIA_BIN_DIR");
  if (dir != nullptr && *dir != '\0') return fs::path(dir) / name;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return (ec ? fs::current_path() : self.parent_path()) / name;
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct ProgramRun {
  int code = -1;
  std::string output;  // stdout + stderr
};

// Runs `args` under `timeout` so a hang fails instead of blocking the suite.
ProgramRun RunProgram(const std::string& args, const fs::path& out) {
  const std::string cmd = "timeout 60 " + args + " > " + out.string() + " 2>&1";
  const int status = std::system(cmd.c_str());
  ProgramRun run;
  run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.output = ReadAll(out);
  return run;
}

class MfAppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("gaia_mf_app_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Starts `shards` shards of a job with one table R (rows x width).
  void StartShards(uint32_t shards, uint32_t workers, uint64_t rows, uint32_t width) {
    common::TableSpec table;
    table.name = "R";
    table.rows = rows;
    table.width = width;
    table.init = common::InitKind::kNormal;
    table.init_stddev = 0.1;
    for (uint32_t i = 0; i < shards; ++i) {
      server::ShardOptions options;
      options.job_id = "mf-test";
      options.tables = {table};
      options.partition_index = i;
      options.partition_size = shards;
      options.num_workers = workers;
      options.listen_address = "127.0.0.1:0";
      absl::StatusOr<std::unique_ptr<server::ShardServer>> shard =
          server::ShardServer::Start(options);
      ASSERT_TRUE(shard.ok()) << shard.status();
      addresses_.push_back("127.0.0.1:" + std::to_string((*shard)->port()));
      shards_.push_back(std::move(*shard));
    }
  }

  fs::path WriteConfig(uint32_t worker, uint32_t workers) {
    nlohmann::json config;
    config["job_id"] = "mf-test";
    config["worker_id"] = worker;
    config["shard_addresses"] = addresses_;
    config["dc"] = "test";
    config["data_part"] = worker;
    config["data_parts"] = workers;
    config["data"] = kData;
    config["connect_timeout_ms"] = 10000;
    config["read_timeout_ms"] = 30000;
    const fs::path path = dir_ / ("worker" + std::to_string(worker) + ".json");
    std::ofstream(path) << config.dump();
    return path;
  }

  // The objective printed on each "clock N/M objective X ..." line.
  static std::vector<double> Objectives(const std::string& output) {
    std::vector<double> out;
    std::istringstream in(output);
    std::string line;
    while (std::getline(in, line)) {
      const size_t at = line.find(" objective ");
      if (line.rfind("clock ", 0) == 0 && at != std::string::npos) {
        out.push_back(std::stod(line.substr(at + 11)));
      }
    }
    return out;
  }

  fs::path dir_;
  std::vector<std::string> addresses_;
  std::vector<std::unique_ptr<server::ShardServer>> shards_;
};

TEST_F(MfAppTest, TwoWorkersTrainAgainstRealShards) {
  constexpr uint32_t kWorkers = 2;
  StartShards(/*shards=*/2, kWorkers, /*rows=*/120, /*width=*/4);
  std::vector<ProgramRun> runs(kWorkers);
  std::vector<std::thread> threads;
  for (uint32_t w = 0; w < kWorkers; ++w) {
    const fs::path config = WriteConfig(w, kWorkers);
    threads.emplace_back([&, w, config] {
      runs[w] = RunProgram(Bin("gaia_mf") + " --gaia-config=" + config.string() +
                               " --clocks=25 --rank=4 --lr=0.01 --lambda=0.005",
                           dir_ / ("out" + std::to_string(w)));
    });
  }
  for (std::thread& t : threads) t.join();
  double first = 0, last = 0;
  for (uint32_t w = 0; w < kWorkers; ++w) {
    SCOPED_TRACE("worker " + std::to_string(w));
    ASSERT_EQ(runs[w].code, 0) << runs[w].output;
    const std::vector<double> objectives = Objectives(runs[w].output);
    ASSERT_EQ(objectives.size(), 25u) << runs[w].output;
    first += objectives.front();
    last += objectives.back();
  }
  EXPECT_LT(last, 0.3 * first);
}

// The value after `key` on every "clock N/M ..." line.
std::vector<double> Field(const std::string& output, const std::string& key) {
  std::vector<double> out;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    const size_t at = line.find(" " + key + " ");
    if (line.rfind("clock ", 0) == 0 && at != std::string::npos) {
      out.push_back(std::stod(line.substr(at + key.size() + 2)));
    }
  }
  return out;
}

TEST_F(MfAppTest, TestDataIsScoredEveryClockAndWrittenToTheMetrics) {
  constexpr uint32_t kWorkers = 2;
  StartShards(/*shards=*/1, kWorkers, /*rows=*/120, /*width=*/4);
  const std::string test_data = std::string(kData) + ",heldout=0.2";
  std::vector<ProgramRun> runs(kWorkers);
  std::vector<std::thread> threads;
  for (uint32_t w = 0; w < kWorkers; ++w) {
    nlohmann::json config = nlohmann::json::parse(ReadAll(WriteConfig(w, kWorkers)));
    config["metrics_path"] = (dir_ / ("metrics" + std::to_string(w) + ".jsonl")).string();
    const fs::path path = dir_ / ("worker" + std::to_string(w) + ".json");
    std::ofstream(path) << config.dump();
    threads.emplace_back([&, w, path] {
      runs[w] = RunProgram(Bin("gaia_mf") + " --gaia-config=" + path.string() +
                               " --clocks=20 --rank=4 --lr=0.01 --lambda=0.005 --test-data=" +
                               test_data,
                           dir_ / ("out" + std::to_string(w)));
    });
  }
  for (std::thread& t : threads) t.join();
  for (uint32_t w = 0; w < kWorkers; ++w) {
    SCOPED_TRACE("worker " + std::to_string(w));
    ASSERT_EQ(runs[w].code, 0) << runs[w].output;
    const std::vector<double> rmse = Field(runs[w].output, "test_rmse");
    ASSERT_EQ(rmse.size(), 20u) << runs[w].output;
    EXPECT_LT(rmse.back(), 0.7 * rmse.front());
    EXPECT_THAT(runs[w].output, HasSubstr(" elapsed_s "));
    EXPECT_THAT(runs[w].output, HasSubstr(" ratings_per_s "));
    // Every metrics line carries this worker's share as a sum and a count.
    std::istringstream metrics(ReadAll(dir_ / ("metrics" + std::to_string(w) + ".jsonl")));
    std::string line;
    int lines = 0;
    while (std::getline(metrics, line)) {
      nlohmann::json j = nlohmann::json::parse(line);
      ASSERT_TRUE(j.contains("held_out")) << line;
      EXPECT_EQ(j["held_out"]["name"], "test_rmse");
      EXPECT_TRUE(j["held_out"]["root"].get<bool>());
      EXPECT_GT(j["held_out"]["count"].get<double>(), 0);
      const double mean = j["held_out"]["sum"].get<double>() / j["held_out"]["count"].get<double>();
      EXPECT_NEAR(std::sqrt(mean), rmse[lines], 1e-3 * rmse[lines] + 1e-4);
      ++lines;
    }
    EXPECT_EQ(lines, 20);
  }

  // The serial reference reports test RMSE too.
  ProgramRun serial = RunProgram(Bin("gaia_mf_serial") + " --data=" + kData + " --test-data=" +
                                     test_data + " --rank=4 --lr=0.01 --lambda=0.005 "
                                     "--epochs=20 --json",
                                 dir_ / "serial");
  ASSERT_EQ(serial.code, 0) << serial.output;
  nlohmann::json out = nlohmann::json::parse(serial.output, nullptr, false);
  ASSERT_FALSE(out.is_discarded()) << serial.output;
  ASSERT_EQ(out["test_rmse"].size(), 20u);
  EXPECT_GT(out["test_ratings"].get<uint64_t>(), 0u);
  EXPECT_LT(out["final_test_rmse"].get<double>(), 0.7 * out["test_rmse"][0].get<double>());

  ProgramRun bad = RunProgram(Bin("gaia_mf_serial") + " --test-data=/nonexistent/t.data",
                              dir_ / "bad_test");
  EXPECT_EQ(bad.code, 2);
  EXPECT_THAT(bad.output, HasSubstr("test data: /nonexistent/t.data"));
}

TEST_F(MfAppTest, BadArgumentsExitTwo) {
  StartShards(1, 1, /*rows=*/120, /*width=*/4);
  const std::string config = WriteConfig(0, 1).string();
  ProgramRun rank = RunProgram(Bin("gaia_mf") + " --gaia-config=" + config + " --rank=8",
                        dir_ / "rank");
  EXPECT_EQ(rank.code, 2) << rank.output;
  EXPECT_THAT(rank.output, HasSubstr("width 4"));

  const fs::path bad = dir_ / "u.data";
  std::ofstream(bad) << "1\t2\t3\t4\n1\t2\tthree\t4\n";
  ProgramRun data = RunProgram(Bin("gaia_mf") + " --gaia-config=" + config + " --rank=4 --data=" +
                            bad.string(),
                        dir_ / "data");
  EXPECT_EQ(data.code, 2) << data.output;
  EXPECT_THAT(data.output, HasSubstr(bad.string() + ":2: bad rating 'three'"));

  ProgramRun flag = RunProgram(Bin("gaia_mf") + " --gaia-config=" + config + " --no-such-flag",
                        dir_ / "flag");
  EXPECT_EQ(flag.code, 2) << flag.output;

  ProgramRun rule = RunProgram(Bin("gaia_mf") + " --gaia-config=" + config + " --step-rule=adagrad",
                        dir_ / "rule");
  EXPECT_EQ(rule.code, 2) << rule.output;

  ProgramRun rows = RunProgram(Bin("gaia_mf") + " --gaia-config=" + config +
                            " --rank=4 --data=synthetic:items=500,rank=4,ratings=5000",
                        dir_ / "rows");
  EXPECT_EQ(rows.code, 2) << rows.output;
  EXPECT_THAT(rows.output, HasSubstr("only 120 rows"));
}

TEST_F(MfAppTest, SerialPrintsConvergedObjectiveAsJson) {
  ProgramRun run = RunProgram(Bin("gaia_mf_serial") + " --data=" + kData +
                           " --rank=4 --lr=0.01 --lambda=0.005 --epochs=100 --json",
                       dir_ / "serial");
  ASSERT_EQ(run.code, 0) << run.output;
  nlohmann::json out = nlohmann::json::parse(run.output, nullptr, false);
  ASSERT_FALSE(out.is_discarded()) << run.output;
  ASSERT_EQ(out["objectives"].size(), 100u);
  EXPECT_TRUE(out["converged"].get<bool>());
  EXPECT_LT(out["final_objective"].get<double>(),
            0.3 * out["objectives"][0].get<double>());

  // Two DC halves unioned equal the whole.
  const std::string half = std::string(kData) + ",dcs=2,dc=";
  ProgramRun split = RunProgram(Bin("gaia_mf_serial") + " --data=" + half + "0 --data=" + half +
                             "1 --rank=4 --lr=0.01 --lambda=0.005 --epochs=100 --json",
                         dir_ / "split");
  ASSERT_EQ(split.code, 0) << split.output;
  nlohmann::json split_out = nlohmann::json::parse(split.output, nullptr, false);
  EXPECT_EQ(split_out["objectives"], out["objectives"]);

  ProgramRun bad = RunProgram(Bin("gaia_mf_serial") + " --data=/nonexistent/u.data", dir_ / "bad");
  EXPECT_EQ(bad.code, 2);
  EXPECT_THAT(bad.output, HasSubstr("/nonexistent/u.data"));
}

}  // namespace
}  // namespace gaia::mf
