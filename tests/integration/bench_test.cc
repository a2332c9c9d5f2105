// `gaia bench` end to end: a small 2-DC job in modes lan, baseline and gaia
// over the V/C preset through the proxy relay; the table, bench.json,
// bench.csv, the derived spec and the plots. Also the refusals that come
// before any run, and Ctrl-C.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "tests/testing/subprocess.h"

namespace gaia {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ::testing::HasSubstr;

std::string SmallSpec(const std::string& dir, int clocks) {
  std::string spec = R"(name: bench-small
mode: gaia
app:
  program: gaia_mf
  clocks: )" + std::to_string(clocks) +
                     R"(
  args: {rank: 8, lr: 0.01, lr-decay: 0.05, lambda: 0.01}
tables:
  - {name: R, rows: 200, width: 8, init: {kind: normal, stddev: 0.1, seed: 1}}
dcs:
)";
  for (int i = 0; i < 2; ++i) {
    spec += "  - {name: dc" + std::to_string(i) +
            ", data: \"synthetic:users=800,items=200,ratings=40000,rank=8,noise=0.3,seed=7,dc=" +
            std::to_string(i) + ",dcs=2\"}\n";
  }
  spec += "convergence: {window: 3, tolerance: 0.05}\ntimeout_s: 300\n";
  const std::string path = dir + "/small.yaml";
  testing::WriteTextFile(path, spec);
  return path;
}

std::vector<std::string> BenchArgv(const std::string& spec, const std::string& out) {
  return {testing::BinDir() + "/gaia",
          "bench",
          spec,
          "--modes",
          "lan,baseline,gaia",
          "--models",
          "bsp",
          "--settings",
          "vc",
          "--repeat",
          "1",
          "--emulate",
          "proxy",
          "--out",
          out};
}

bool NonEmptyFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && fs::file_size(p, ec) > 0;
}

bool GnuplotOnPath() {
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path == nullptr ? "" : path, ':')) {
    const std::string gnuplot = std::string(dir) + "/gnuplot";
    if (!dir.empty() && access(gnuplot.c_str(), X_OK) == 0) return true;
  }
  return false;
}

TEST(Bench, RunsTheGridAndWritesTableCsvJsonAndPlots) {
  const std::string dir = testing::MakeTempDir("bench-it");
  const std::string out = dir + "/out";
  const auto start = std::chrono::steady_clock::now();
  auto result = testing::RunProcess(BenchArgv(SmallSpec(dir, 10), out), std::chrono::seconds(300));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_LT(seconds, 240) << result.output;

  // Progress, then the table: one line per mode and the CENTRALIZED estimate.
  EXPECT_THAT(result.output,
              HasSubstr("bench [1/1] vc bsp repeat 1/1: lan,baseline,gaia ... done"));
  std::vector<std::string> table;
  for (absl::string_view line : absl::StrSplit(result.output, '\n')) {
    if (absl::StartsWith(line, "vc ")) table.emplace_back(line);
  }
  ASSERT_EQ(table.size(), 4u) << result.output;
  EXPECT_THAT(table[0], ::testing::MatchesRegex("vc +bsp +lan +[0-9.]+ +1/1 .*"));
  EXPECT_THAT(table[1], ::testing::StartsWith("vc       bsp   baseline "));
  EXPECT_THAT(table[2], ::testing::StartsWith("vc       bsp   gaia "));
  EXPECT_THAT(table[3], ::testing::StartsWith("vc       bsp   centralized "));

  // bench.json: the run, and the rows with times, WAN and costs.
  const json bench = json::parse(testing::ReadTextFile(out + "/bench.json"), nullptr, false);
  ASSERT_TRUE(bench.is_object()) << result.output;
  ASSERT_EQ(bench["runs"].size(), 1u);
  const std::string run_dir = bench["runs"][0]["run_dir"].get<std::string>();
  EXPECT_TRUE(fs::exists(run_dir + "/summary.json"));
  ASSERT_EQ(bench["rows"].size(), 4u);
  std::vector<std::string> modes;
  for (const json& row : bench["rows"]) {
    modes.push_back(row["mode"].get<std::string>());
    EXPECT_EQ(row["setting"], "vc");
    EXPECT_EQ(row["model"], "bsp");
    EXPECT_TRUE(row["total_usd"].is_number()) << row.dump();
    EXPECT_GT(row["total_usd"].get<double>(), 0) << row.dump();
  }
  EXPECT_THAT(modes, ::testing::ElementsAre("lan", "baseline", "gaia", "centralized"));
  EXPECT_TRUE(bench["rows"][0]["time_to_target_s"].is_number());
  EXPECT_DOUBLE_EQ(bench["rows"][0]["ratio_to_lan"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(bench["rows"][0]["wan_gb"].get<double>(), 0.0);
  EXPECT_GT(bench["rows"][1]["wan_gb"].get<double>(), 0.0);  // baseline crosses the WAN
  EXPECT_GT(bench["rows"][2]["wan_gb"].get<double>(), 0.0);

  const std::vector<std::string> csv =
      absl::StrSplit(testing::ReadTextFile(out + "/bench.csv"), '\n', absl::SkipEmpty());
  ASSERT_EQ(csv.size(), 5u);
  EXPECT_THAT(csv[0], ::testing::StartsWith("setting,model,mode,"));
  EXPECT_THAT(csv[1], ::testing::StartsWith("vc,bsp,lan,1,1,"));
  EXPECT_THAT(csv[4], ::testing::StartsWith("vc,bsp,centralized,"));

  // The derived spec: the preset's regions, and it is what ran.
  const std::string derived = testing::ReadTextFile(out + "/specs/vc-bsp.yaml");
  EXPECT_THAT(derived, HasSubstr("virginia"));
  EXPECT_THAT(derived, HasSubstr("preset: vc-2dc"));
  EXPECT_THAT(testing::ReadTextFile(run_dir + "/job.yaml"), HasSubstr("california"));

  // Plots: data and scripts always; images when gnuplot is installed
  // (scripts/setup.sh installs it).
  const fs::path plots = fs::path(out) / "plots" / "vc-bsp";
  for (const char* name : {"objective", "wan_links", "cost"}) {
    EXPECT_TRUE(NonEmptyFile(plots / (std::string(name) + ".dat"))) << name;
    EXPECT_TRUE(NonEmptyFile(plots / (std::string(name) + ".gp"))) << name;
    if (GnuplotOnPath()) {
      EXPECT_TRUE(NonEmptyFile(plots / (std::string(name) + ".png"))) << name << result.output;
      EXPECT_TRUE(NonEmptyFile(plots / (std::string(name) + ".svg"))) << name << result.output;
    }
  }
  if (!GnuplotOnPath()) {
    EXPECT_THAT(result.output, HasSubstr("gnuplot is not installed"));
  }
}

TEST(Bench, RefusesBeforeRunningAnything) {
  const std::string dir = testing::MakeTempDir("bench-it");
  const std::string spec = SmallSpec(dir, 10);
  std::vector<std::string> argv = BenchArgv(spec, dir + "/out11");
  argv[8] = "ec2-11";  // --settings
  auto result = testing::RunProcess(argv, std::chrono::seconds(60));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("needs a spec with 11 DCs"));
  EXPECT_THAT(result.output, HasSubstr("examples/mf-11dc.yaml"));
  EXPECT_FALSE(fs::exists(dir + "/out11/runs"));

  fs::create_directories(dir + "/full");
  testing::WriteTextFile(dir + "/full/something", "x");
  result = testing::RunProcess(BenchArgv(spec, dir + "/full"), std::chrono::seconds(60));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("not empty"));

  argv = BenchArgv(spec, dir + "/outx");
  argv[6] = "pram";  // --models
  result = testing::RunProcess(argv, std::chrono::seconds(60));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("unknown model 'pram'"));
}

TEST(Bench, AFailedRunStopsTheBenchAndNamesItsLogs) {
  const std::string dir = testing::MakeTempDir("bench-it");
  std::string spec = testing::ReadTextFile(SmallSpec(dir, 10));
  spec.replace(spec.find("program: gaia_mf"), 16, "program: /bin/false");
  testing::WriteTextFile(dir + "/failing.yaml", spec);
  const std::string out = dir + "/out";
  auto result =
      testing::RunProcess(BenchArgv(dir + "/failing.yaml", out), std::chrono::seconds(120));
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_THAT(result.output,
              HasSubstr("bench [1/1] vc bsp repeat 1/1: lan,baseline,gaia ... failed"));
  EXPECT_THAT(result.output, HasSubstr("its output: " + out + "/logs/vc-bsp-r1.log"));
  EXPECT_THAT(result.output, HasSubstr("its run's logs: " + out + "/runs/vc-bsp/r1/"));
  EXPECT_FALSE(fs::exists(out + "/bench.json"));
}

TEST(Bench, CtrlCStopsTheRunAndExits130) {
  const std::string dir = testing::MakeTempDir("bench-it");
  const std::string out = dir + "/out";
  testing::Subprocess bench(BenchArgv(SmallSpec(dir, 100000), out));
  // Wait until the child launch has started its workers.
  const fs::path work = fs::path(out) / "runs" / "vc-bsp" / "r1" / "bench-small";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  bool started = false;
  while (!started && std::chrono::steady_clock::now() < deadline) {
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(work, ec)) {
      if (e.path().filename() == "worker-0.metrics.jsonl") started = true;
    }
    if (!started) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(started) << bench.OutputSoFar();
  bench.Signal(SIGINT);
  auto result = bench.Wait(std::chrono::seconds(90));
  ASSERT_FALSE(result.timed_out) << result.output;
  EXPECT_EQ(result.exit_code, 130) << result.output;
  EXPECT_THAT(result.output,
              HasSubstr("bench [1/1] vc bsp repeat 1/1: lan,baseline,gaia ... stopping"));
  EXPECT_THAT(result.output, HasSubstr("interrupted"));
  // The launch it stopped wrote its summary, saying so.
  bool summary_written = false;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(work, ec)) {
    if (e.path().filename() == "summary.json") {
      summary_written = true;
      EXPECT_THAT(testing::ReadTextFile(e.path().string()), HasSubstr("\"failed\""));
    }
  }
  EXPECT_TRUE(summary_written) << result.output;
}

}  // namespace
}  // namespace gaia
