// RunLayout spells every name in a results folder (README "Using it").
#include "src/cli/run_layout.h"

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "tests/testing/subprocess.h"

namespace gaia::cli {
namespace {

TEST(RunLayout, WholeRunFilesSitAtTheTopOfTheRunFolder) {
  const RunLayout layout("results/mf/20261206-120000");
  EXPECT_EQ(layout.job_yaml(), "results/mf/20261206-120000/job.yaml");
  EXPECT_EQ(layout.summary_json(), "results/mf/20261206-120000/summary.json");
  EXPECT_EQ(layout.metrics_jsonl(), "results/mf/20261206-120000/metrics.jsonl");
  EXPECT_EQ(layout.logs_dir(), "results/mf/20261206-120000/logs");
  EXPECT_EQ(layout.work_dir(), "results/mf/20261206-120000/work");
}

TEST(RunLayout, EachModeHasItsOwnLogsWorkAndModelFolders) {
  const RunLayout layout("r");
  EXPECT_EQ(layout.logs_dir("gaia"), "r/logs/gaia");
  EXPECT_EQ(layout.work_dir("gaia"), "r/work/gaia");
  EXPECT_EQ(layout.model_dir("lan"), "r/model/lan");
  EXPECT_EQ(layout.shard_log("lan", 2), "r/logs/lan/shard-2.log");
  EXPECT_EQ(layout.worker_log("lan", 0), "r/logs/lan/worker-0.log");
}

TEST(RunLayout, ProcessFilesAreNamedByShardWorkerOrRelay) {
  const RunLayout layout("r");
  EXPECT_EQ(layout.shard_port_file("baseline", 1), "r/work/baseline/shard-1.port");
  EXPECT_EQ(layout.shard_peers_file("gaia", 3), "r/work/gaia/shard-3.peers.json");
  EXPECT_EQ(layout.mirrors_json("gaia_async"), "r/work/gaia_async/mirrors.json");
  EXPECT_EQ(layout.worker_config("gaia", 4), "r/work/gaia/worker-4.json");
  EXPECT_EQ(layout.worker_metrics("gaia", 4), "r/work/gaia/worker-4.metrics.jsonl");
}

TEST(RunLayout, TheProxyRelayIsUnnamedAPerDcRelayCarriesItsDcName) {
  const RunLayout layout("r");
  EXPECT_EQ(layout.relay_config("gaia", ""), "r/work/gaia/relay.json");
  EXPECT_EQ(layout.relay_port_file("gaia", ""), "r/work/gaia/relay.port");
  EXPECT_EQ(layout.relay_stats_file("gaia", ""), "r/work/gaia/relay-stats.json");
  EXPECT_EQ(layout.relay_log("gaia", ""), "r/logs/gaia/relay.log");
  EXPECT_EQ(layout.relay_config("gaia", "virginia"), "r/work/gaia/relay-virginia.json");
  EXPECT_EQ(layout.relay_port_file("gaia", "virginia"), "r/work/gaia/relay-virginia.port");
  EXPECT_EQ(layout.relay_stats_file("gaia", "virginia"), "r/work/gaia/relay-virginia-stats.json");
  EXPECT_EQ(layout.relay_log("gaia", "virginia"), "r/logs/gaia/relay-virginia.log");
}

TEST(RunLayout, ANewRunNeverReusesAnExistingFolder) {
  const std::string results = testing::MakeTempDir("run_layout");
  EXPECT_EQ(RunLayout::JobDir(results, "job"), std::filesystem::path(results) / "job");
  const RunLayout first = RunLayout::ForNewRun(results, "job", "20261206-120000");
  EXPECT_EQ(first.dir(), std::filesystem::path(results) / "job" / "20261206-120000");
  std::filesystem::create_directories(first.dir());
  const RunLayout second = RunLayout::ForNewRun(results, "job", "20261206-120000");
  EXPECT_EQ(second.dir(), std::filesystem::path(results) / "job" / "20261206-120000-2");
  std::filesystem::remove_all(results);
}

}  // namespace
}  // namespace gaia::cli
