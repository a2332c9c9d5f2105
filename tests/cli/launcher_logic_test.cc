// The launcher's pure logic: convergence, time-to-target, metrics
// aggregation from worker files, relay planning, comparison.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/cli/convergence.h"
#include "src/cli/metrics_collector.h"
#include "src/cli/relay_plan.h"
#include "src/cli/run_summary.h"
#include "src/cli/wan_links.h"
#include "src/common/job_spec.h"
#include "src/common/topology.h"
#include "tests/testing/subprocess.h"
#include "tests/cli/two_dc_spec.h"

namespace gaia::cli {
namespace {

std::vector<ObjectivePoint> Series(const std::vector<double>& objectives) {
  std::vector<ObjectivePoint> s;
  for (size_t i = 0; i < objectives.size(); ++i) {
    s.push_back({static_cast<int64_t>(i), static_cast<double>(i), objectives[i]});
  }
  return s;
}

TEST(Convergence, FirstClockWhoseTenClockChangeIsUnderTwoPercent) {
  std::vector<double> obj;
  for (int i = 0; i < 40; ++i) obj.push_back(100.0 + 1000.0 / (1 + i * i));
  auto c = FindConvergence(Series(obj), 10, 0.02);
  ASSERT_TRUE(c.has_value());
  // Check the rule directly at the found point and one before it.
  EXPECT_LE(std::abs(obj[c->clock] - obj[c->clock - 10]), 0.02 * obj[c->clock - 10]);
  EXPECT_GT(std::abs(obj[c->clock - 1] - obj[c->clock - 11]), 0.02 * obj[c->clock - 11]);
}

TEST(Convergence, NeverWhenStillFalling) {
  std::vector<double> obj;
  for (int i = 0; i < 30; ++i) obj.push_back(1000.0 * std::pow(0.9, i));
  EXPECT_FALSE(FindConvergence(Series(obj), 10, 0.02).has_value());
  EXPECT_FALSE(FindConvergence(Series({5, 5, 5}), 10, 0.02).has_value()) << "too short";
}

TEST(Convergence, FirstReachingTarget) {
  auto s = Series({10, 8, 6, 4, 5});
  EXPECT_EQ(FirstReaching(s, 6)->clock, 2);
  EXPECT_FALSE(FirstReaching(s, 3).has_value());
  // Rounding above the target reaches it; more than rounding does not.
  auto close = Series({3.2303200e6, 3.2303100e6});
  EXPECT_EQ(FirstReaching(close, 3.2303100e6 * (1 - 3e-6))->clock, 0);
  EXPECT_FALSE(FirstReaching(close, 3.2303100e6 * (1 - 1e-4)).has_value());
  // Negative objectives (log-likelihoods reported as objectives) alike.
  EXPECT_EQ(FirstReaching(Series({-99.9995}), -100.0)->clock, 0);
  EXPECT_FALSE(FirstReaching(Series({-99.9}), -100.0).has_value());
}

void Append(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::app) << text;
}

TEST(MetricsCollector, CompletesAClockOnlyWhenEveryWorkerReported) {
  const std::string dir = testing::MakeTempDir("metrics");
  const std::string a = dir + "/a.jsonl", b = dir + "/b.jsonl";
  MetricsCollector collector({{a, 0}, {b, 1}}, 2, 1000.0);
  Append(a, R"({"clock":0,"unix_time_s":1001.0,"objective":3.0,"rows_pushed":5})" "\n");
  collector.Poll();
  EXPECT_TRUE(collector.TakeCompleted().empty());
  EXPECT_THAT(collector.DcClocks(), ::testing::ElementsAre(0, -1));
  // A half-written line is held back until its newline arrives.
  Append(b, R"({"clock":0,"unix_time_s":1002.5,"objec)");
  collector.Poll();
  EXPECT_TRUE(collector.TakeCompleted().empty());
  Append(b, R"(tive":4.0,"rows_pushed":7})" "\n");
  collector.Poll();
  auto done = collector.TakeCompleted();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].clock, 0);
  EXPECT_DOUBLE_EQ(*done[0].objective, 7.0);
  EXPECT_DOUBLE_EQ(done[0].time_s, 2.5);  // the later worker, relative to the start
  EXPECT_EQ(done[0].rows_pushed, 12u);
  EXPECT_EQ(collector.malformed_lines(), 0u);
}

TEST(MetricsCollector, SkipsGarbageAndRepeatedClocks) {
  const std::string dir = testing::MakeTempDir("metrics");
  const std::string a = dir + "/a.jsonl";
  MetricsCollector collector({{a, 0}}, 1, 0.0);
  Append(a, "not json\n{\"clock\":0,\"objective\":1}\n{\"clock\":0,\"objective\":9}\n"
            "{\"clock\":1}\n");
  collector.Poll();
  auto done = collector.TakeCompleted();
  ASSERT_EQ(done.size(), 2u);
  EXPECT_DOUBLE_EQ(*done[0].objective, 1.0);
  EXPECT_FALSE(done[1].objective.has_value()) << "clock 1 reported no objective";
  EXPECT_EQ(collector.malformed_lines(), 2u);
  EXPECT_EQ(collector.objective_series().size(), 1u);
}

TEST(MetricsCollector, HeldOutIsTheSumOverCountOfEveryWorker) {
  const std::string dir = testing::MakeTempDir("metrics");
  const std::string a = dir + "/a.jsonl", b = dir + "/b.jsonl";
  MetricsCollector collector({{a, 0}, {b, 0}}, 1, 0.0);
  // Clock 0: RMSE over both workers' test ratings: sqrt((8 + 10) / (1 + 2)).
  Append(a, R"({"clock":0,"held_out":{"name":"test_rmse","sum":8,"count":1,"root":true}})"
            "\n");
  Append(b, R"({"clock":0,"held_out":{"name":"test_rmse","sum":10,"count":2,"root":true}})"
            "\n");
  // Clock 1: a mean (no root); a worker without held-out data reports 0/0.
  Append(a, R"({"clock":1,"held_out":{"name":"acc","sum":3,"count":4,"root":false}})" "\n");
  Append(b, R"({"clock":1,"held_out":{"name":"acc","sum":0,"count":0,"root":false}})" "\n");
  // Clock 2: one worker did not report: no value.
  Append(a, R"({"clock":2,"held_out":{"name":"acc","sum":3,"count":4,"root":false}})" "\n");
  Append(b, R"({"clock":2})" "\n");
  // Clock 3: the workers measure different things: no value.
  Append(a, R"({"clock":3,"held_out":{"name":"acc","sum":3,"count":4,"root":false}})" "\n");
  Append(b, R"({"clock":3,"held_out":{"name":"test_rmse","sum":3,"count":4,"root":true}})"
            "\n");
  // Clock 4: nothing held out anywhere (counts sum to 0), and a null sum.
  Append(a, R"({"clock":4,"held_out":{"name":"acc","sum":0,"count":0,"root":false}})" "\n");
  Append(b, R"({"clock":4,"held_out":{"name":"acc","sum":null,"count":1,"root":false}})"
            "\n");
  collector.Poll();
  auto done = collector.TakeCompleted();
  ASSERT_EQ(done.size(), 5u);
  ASSERT_TRUE(done[0].held_out.has_value());
  EXPECT_DOUBLE_EQ(*done[0].held_out, std::sqrt(6.0));
  EXPECT_EQ(done[0].held_out_name, "test_rmse");
  ASSERT_TRUE(done[1].held_out.has_value());
  EXPECT_DOUBLE_EQ(*done[1].held_out, 0.75);
  EXPECT_EQ(done[1].held_out_name, "acc");
  for (int c = 2; c < 5; ++c) {
    EXPECT_FALSE(done[c].held_out.has_value()) << "clock " << c;
    EXPECT_EQ(done[c].held_out_name, "") << "clock " << c;
  }
  ASSERT_EQ(collector.held_out_series().size(), 2u);
  EXPECT_EQ(collector.held_out_series()[1].clock, 1);
  EXPECT_DOUBLE_EQ(collector.held_out_series()[1].objective, 0.75);
  EXPECT_EQ(collector.held_out_name(), "acc");
  EXPECT_TRUE(collector.objective_series().empty());
  EXPECT_EQ(collector.malformed_lines(), 0u);
}

common::JobSpec TwoDcSpec() {
  common::JobSpec spec = TwoDcTestSpec(2, 1, 1, 2);
  spec.wan.bandwidth_mbps = 50;
  spec.wan.delay_ms = 7;
  return spec;
}

TEST(RelayPlan, BaselineRoutesEveryCrossDcWorkerShardPair) {
  const common::JobSpec spec = TwoDcSpec();
  auto topo = common::PlanTopology(spec, common::Mode::kBaseline);
  ASSERT_TRUE(topo.ok());
  auto links = ResolveWanLinks(spec, topo->host_dcs);
  ASSERT_TRUE(links.ok()) << links.status();
  RelayPlan plan = PlanBaselineRelay(*links, *topo, {1001, 1002, 1003});
  ASSERT_EQ(plan.links.size(), 2u);
  EXPECT_EQ(plan.links[0].name, "a->b");
  EXPECT_EQ(plan.links[1].name, "b->a");
  EXPECT_DOUBLE_EQ(plan.links[0].bandwidth_mbps, 50);
  EXPECT_DOUBLE_EQ(plan.links[0].delay_ms, 7);
  // DC a reaches shard 2 (in b); DC b reaches shards 0 and 1 (in a).
  ASSERT_EQ(plan.routes.size(), 3u);
  for (size_t r = 0; r < plan.routes.size(); ++r) plan.routes[r].listen_port = 2000 + r;
  EXPECT_EQ(plan.PortFor(0, 2), 2000);
  EXPECT_EQ(plan.PortFor(1, 0), 2001);
  EXPECT_EQ(plan.PortFor(1, 1), 2002);
  EXPECT_EQ(plan.PortFor(0, 0), 0) << "same-DC connections bypass the relay";
  EXPECT_EQ(plan.routes[0].forward_link, "a->b");
  EXPECT_EQ(plan.routes[0].backward_link, "b->a");
  EXPECT_THAT(RelayConfigJson(plan), ::testing::HasSubstr("127.0.0.1:1003"));
}

TEST(RelayPlan, StatsFileMissingOrPartialReadsAsZero) {
  const std::string dir = testing::MakeTempDir("stats");
  EXPECT_EQ(ReadRelayStats(dir + "/none.json").total_bytes, 0u);
  testing::WriteTextFile(dir + "/half.json", "{\"links\":[{\"name\":\"a->b\",\"by");
  EXPECT_EQ(ReadRelayStats(dir + "/half.json").total_bytes, 0u);
  testing::WriteTextFile(dir + "/ok.json",
                         R"({"links":[{"name":"a->b","bytes":10},{"name":"b->a","bytes":32}]})");
  RelayStats stats = ReadRelayStats(dir + "/ok.json");
  EXPECT_EQ(stats.total_bytes, 42u);
  ASSERT_EQ(stats.links.size(), 2u);
  EXPECT_EQ(stats.links[1].first, "b->a");
}

TEST(Comparison, TimeToLanConvergedObjective) {
  RunResult lan;
  lan.mode = common::Mode::kLan;
  lan.series = Series({100, 50, 20, 19.9, 19.8});
  lan.convergence = ConvergencePoint{3, 3.0, 19.9};
  RunResult baseline;
  baseline.mode = common::Mode::kBaseline;
  baseline.series = {{0, 0, 100}, {1, 4, 60}, {2, 8, 19.95}, {3, 12, 19.85}};
  baseline.wan_bytes = 5'000'000;
  Comparison c = Compare({lan, baseline});
  ASSERT_TRUE(c.target_objective.has_value());
  EXPECT_DOUBLE_EQ(*c.target_objective, 19.9);
  ASSERT_EQ(c.modes.size(), 1u);
  ASSERT_TRUE(c.modes[0].time_to_target_s.has_value());
  EXPECT_DOUBLE_EQ(*c.modes[0].time_to_target_s, 12.0);
  EXPECT_THAT(c.line, ::testing::HasSubstr("baseline at 12.0 s (4.00x lan)"));
  EXPECT_THAT(c.line, ::testing::HasSubstr("WAN 5.00 MB"));
}

TEST(Comparison, NoLanRunNoComparison) {
  RunResult baseline;
  baseline.mode = common::Mode::kBaseline;
  baseline.series = Series({3, 2, 1});
  EXPECT_TRUE(Compare({baseline}).line.empty());
}

TEST(CheckSupported, RefusesFeaturesThisBuildLacks) {
  common::JobSpec spec = TwoDcSpec();
  EXPECT_TRUE(CheckSupported(spec, common::Mode::kBaseline).ok());
  EXPECT_TRUE(CheckSupported(spec, common::Mode::kGaia).ok());
  EXPECT_TRUE(CheckSupported(spec, common::Mode::kGaiaAsync).ok());
  spec.checkpoint.every_clocks = 5;
  EXPECT_THAT(std::string(CheckSupported(spec, common::Mode::kGaia).message()),
              ::testing::HasSubstr("checkpoint.every_clocks"));
  spec.checkpoint.every_clocks = 0;
  // A preset whose regions are not the job's DCs: refused wherever the WAN
  // is emulated, ignored in lan mode (no WAN there).
  spec.wan.emulate = common::WanEmulation::kProxy;
  spec.wan.preset = "ss-2dc";
  EXPECT_TRUE(CheckSupported(spec, common::Mode::kLan).ok());
  EXPECT_THAT(std::string(CheckSupported(spec, common::Mode::kBaseline).message()),
              ::testing::HasSubstr("wan.preset: "));
  spec.dcs[0].name = "singapore";
  spec.dcs[1].name = "sao-paulo";
  EXPECT_TRUE(CheckSupported(spec, common::Mode::kGaia).ok());
}

}  // namespace
}  // namespace gaia::cli
