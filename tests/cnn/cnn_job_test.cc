// gaia_cnn through the real launcher (`gaia launch`) on a small slice of
// Fashion-MNIST over 2 DCs of 2 workers each, and gaia_cnn_serial's CLI:
//   * `gaia` trains (test accuracy far above chance), ends with equal model
//     copies in both DCs, and each DC pushes the model's change once per
//     clock (its workers sum their changes through the CPU collective);
//   * `lan` trains the same job;
//   * a diverging run stops before a non-finite update reaches a shard, with
//     the layer named; a table too small for the model is refused.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/testing/subprocess.h"

namespace gaia {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

// lenet with GroupNorm: 215,418 parameters = 211 rows of 1024.
constexpr int kModelRows = 211;
constexpr int kClocks = 12;
constexpr int kInitClocks = 3;  // staleness 0 + asp.ds 2 + 1

std::string Data(int dc) {
  return "fashion-mnist,dc=" + std::to_string(dc) + ",dcs=2,limit=2000,test_limit=400";
}

std::string Spec(const std::string& mode, int rows, const std::string& lr) {
  return "name: cnn-2dc-test\nmode: " + mode +
         "\napp:\n  program: gaia_cnn\n  clocks: " + std::to_string(kClocks) +
         "\n  args: {model: lenet, norm: group, threads: 1, batch: 16, batches-per-clock: 5, "
         "lr: " + lr + ", eval-every: 4, init-clocks: " + std::to_string(kInitClocks) + "}\n"
         "tables:\n  - {name: weights, rows: " + std::to_string(rows) + ", width: 1024}\n"
         "dcs:\n"
         "  - {name: virginia, shards: 1, workers: 2, data: \"" + Data(0) + "\"}\n"
         "  - {name: california, shards: 1, workers: 2, data: \"" + Data(1) + "\"}\n"
         "consistency: {model: bsp}\n"
         "asp: {significance: relative, threshold: 0.01, ds: 2}\n"
         "wan: {emulate: proxy, bandwidth_mbps: 100, delay_ms: 5}\n"
         "timeout_s: 240\n";
}

struct Launched {
  testing::ProcessResult process;
  json run;  // the first run's summary entry, or {}
};

Launched Launch(const std::string& spec, const std::string& name) {
  const std::string dir = testing::MakeTempDir("cnn-job-" + name);
  testing::WriteTextFile(dir + "/job.yaml", spec);
  Launched l;
  l.process = testing::RunProcess({testing::BinDir() + "/gaia", "launch", "--quiet",
                                   "--results", dir + "/results", dir + "/job.yaml"},
                                  std::chrono::seconds(300));
  EXPECT_FALSE(l.process.timed_out) << l.process.output;
  for (const std::string& path : testing::FindFilesNamed(dir + "/results", "summary.json")) {
    json summary = json::parse(testing::ReadTextFile(path), nullptr, false);
    if (summary.is_object() && summary.contains("runs") && !summary["runs"].empty()) {
      l.run = summary["runs"][0];
    }
  }
  return l;
}

double TestAccuracy(const json& run) {
  if (!run.contains("held_out")) return -1;
  EXPECT_EQ(run["held_out"]["name"], "test_accuracy");
  return run["held_out"]["value"].get<double>();
}

TEST(CnnJob, GaiaTrainsEndsWithEqualCopiesAndPushesOncePerDcPerClock) {
  const Launched l = Launch(Spec("gaia", kModelRows, "0.05"), "gaia");
  ASSERT_EQ(l.process.exit_code, 0) << l.process.output;
  ASSERT_TRUE(l.run.is_object() && !l.run.empty()) << l.process.output;
  EXPECT_EQ(l.run["clocks_completed"], kClocks);
  // Ten classes: chance is 0.1.
  EXPECT_GT(TestAccuracy(l.run), 0.4) << l.run.dump(2);
  ASSERT_TRUE(l.run.contains("mirror")) << l.run.dump(2);
  EXPECT_LT(l.run["mirror"]["dc_max_difference"].get<double>(), 1e-4) << l.run.dump(2);
  // The initial weights once, then every trained clock each DC's whole
  // model once (its two workers each push half the rows).
  EXPECT_EQ(l.run["rows_pushed"].get<int64_t>(), kModelRows + (kClocks - kInitClocks) * 2 *
                                                                  kModelRows)
      << l.run.dump(2);
}

TEST(CnnJob, LanTrains) {
  const Launched l = Launch(Spec("lan", kModelRows, "0.05"), "lan");
  ASSERT_EQ(l.process.exit_code, 0) << l.process.output;
  EXPECT_EQ(l.run["clocks_completed"], kClocks);
  EXPECT_GT(TestAccuracy(l.run), 0.4) << l.run.dump(2);
}

TEST(CnnJob, DivergingUpdateIsStoppedBeforeThePushWithTheLayerNamed) {
  const Launched l = Launch(Spec("lan", kModelRows, "1e30"), "diverge");
  EXPECT_NE(l.process.exit_code, 0) << l.process.output;
  EXPECT_THAT(l.process.output, HasSubstr("not pushed")) << l.process.output;
  EXPECT_THAT(l.process.output, ::testing::ContainsRegex("the update of [a-z0-9]+\\.")) <<
      l.process.output;
}

TEST(CnnJob, TableTooSmallForTheModelIsRefused) {
  const Launched l = Launch(Spec("lan", 100, "0.05"), "small-table");
  EXPECT_NE(l.process.exit_code, 0) << l.process.output;
  EXPECT_THAT(l.process.output, HasSubstr("weights")) << l.process.output;
  EXPECT_THAT(l.process.output, HasSubstr("215418 parameters")) << l.process.output;
}

TEST(CnnSerial, TrainsOneEpochAndWritesItsSummary) {
  const std::string dir = testing::MakeTempDir("cnn-serial");
  const testing::ProcessResult r = testing::RunProcess(
      {testing::BinDir() + "/gaia_cnn_serial", "--data=fashion-mnist,limit=2000,test_limit=500",
       "--epochs=2", "--threads=1", "--batch=32", "--lr=0.05",
       "--summary-json=" + dir + "/summary.json"},
      std::chrono::seconds(240));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("clock 2/2 objective"));
  const json s = json::parse(testing::ReadTextFile(dir + "/summary.json"), nullptr, false);
  ASSERT_TRUE(s.is_object()) << r.output;
  EXPECT_EQ(s["epochs"].size(), 2u);
  EXPECT_GT(s["final_test_accuracy"].get<double>(), 0.5) << s.dump(2);
  EXPECT_GT(s["images_per_s"].get<double>(), 0.0);
  // Most per-step weight changes are below 1% of the weight (thesis Fig. 5.4).
  const double share = s["epochs"][1]["insignificant_share"].get<double>();
  EXPECT_GT(share, 0.5) << s.dump(2);
  EXPECT_LE(share, 1.0) << s.dump(2);
}

TEST(CnnSerial, DeviceCudaTrainsOnAGpuOrSaysWhyNot) {
  const testing::ProcessResult r = testing::RunProcess(
      {testing::BinDir() + "/gaia_cnn_serial", "--data=fashion-mnist,limit=256,test_limit=100",
       "--epochs=1", "--device=cuda"},
      std::chrono::seconds(120));
  if (r.exit_code == 0) {
    EXPECT_THAT(r.output, HasSubstr("clock 1/1 objective"));  // a GPU is here
  } else {
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_THAT(r.output, HasSubstr("--device=cuda: ")) << r.output;
  }
}

TEST(CnnSerial, BadFlagsAndDataGetClearErrors) {
  const std::string bin = testing::BinDir() + "/gaia_cnn_serial";
  testing::ProcessResult r = testing::RunProcess(
      {bin, "--data=fashion-mnist,limit=100", "--device=tpu"}, std::chrono::seconds(60));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--device=tpu: must be cpu or cuda"));
  r = testing::RunProcess({bin, "--data=fashion-mnist,colour=red"}, std::chrono::seconds(60));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("colour"));
  r = testing::RunProcess({bin, "--data=fashion-mnist,limit=100", "--model=vgg"},
                          std::chrono::seconds(60));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("vgg"));
}

}  // namespace
}  // namespace gaia
