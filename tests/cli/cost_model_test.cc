// The EC2 cost model (docs/COST.md): the price table, pricing a run's usage,
// the CENTRALIZED alternative, reading a results folder, and `gaia cost`.
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "src/cli/cost_model.h"
#include "tests/testing/subprocess.h"

namespace gaia::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using Link = std::pair<std::string, std::string>;

constexpr char kHeader[] = "region,cpu_hour,gpu_hour,lowcost_hour,send_gb,recv_gb\n";

PriceTable MustParse(const std::string& text) {
  absl::StatusOr<PriceTable> t = ParsePrices(text, "test.csv");
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : PriceTable{};
}

// Round numbers so that expected dollars are exact by hand.
PriceTable TestPrices() {
  return MustParse(std::string(kHeader) +
                   "virginia,1.0,3.0,0.5,0.02,0.01\n"
                   "tokyo,2.0,4.0,0.25,0.09,0.01\n");
}

TEST(PriceTable, ParsesRowsSkippingCommentsAndBlankLines) {
  PriceTable t = MustParse("# a comment\n\n" + std::string(kHeader) +
                           "virginia, 0.86 ,2.60,0.22,0.02,0.01\r\n"
                           "# another\n"
                           "sao-paulo,1.37,4.00,0.34,0.16,0.01\n");
  EXPECT_EQ(t.source, "test.csv");
  ASSERT_EQ(t.regions.size(), 2u);
  const RegionPrice* v = t.Find("virginia");
  ASSERT_NE(v, nullptr);
  EXPECT_DOUBLE_EQ(v->cpu_hour, 0.86);
  EXPECT_DOUBLE_EQ(v->gpu_hour, 2.60);
  EXPECT_DOUBLE_EQ(v->lowcost_hour, 0.22);
  EXPECT_DOUBLE_EQ(v->send_gb, 0.02);
  EXPECT_DOUBLE_EQ(v->recv_gb, 0.01);
  ASSERT_NE(t.Find("sao-paulo"), nullptr);
  EXPECT_DOUBLE_EQ(t.Find("sao-paulo")->send_gb, 0.16);
  EXPECT_EQ(t.Find("lima"), nullptr);
}

TEST(PriceTable, ErrorsNameFileAndLine) {
  struct Case {
    std::string text;
    std::string message;
  };
  const std::string h = kHeader;
  const std::vector<Case> cases = {
      {"# only a comment\n", "test.csv:1: header: missing"},
      {"region,cpu\nvirginia,1\n", "test.csv:1: header: expected"},
      {h, "test.csv:1: header: no regions follow it"},
      {h + "virginia,1,2,3,4\n", "test.csv:2: expected 6 comma-separated fields"},
      {h + "virginia,1,2,3,4,x\n", "test.csv:2: recv_gb: not a finite number >= 0: 'x'"},
      {h + "virginia,-1,2,3,4,5\n", "test.csv:2: cpu_hour: not a finite number >= 0: '-1'"},
      {h + "virginia,1,nan,3,4,5\n", "test.csv:2: gpu_hour: not a finite number"},
      {h + "virginia,1,2,,4,5\n", "test.csv:2: lowcost_hour: not a finite number"},
      {h + "vir ginia,1,2,3,4,5\n", "test.csv:2: region: bad name 'vir ginia'"},
      {h + "a,1,2,3,4,5\n\nb,1,2,3,4,5\na,1,2,3,4,5\n",
       "test.csv:5: region: 'a' given twice (first on line 2)"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<PriceTable> t = ParsePrices(c.text, "test.csv");
    ASSERT_FALSE(t.ok()) << c.text;
    EXPECT_THAT(std::string(t.status().message()), HasSubstr(c.message)) << c.text;
  }
}

TEST(PriceTable, LoadPricesNamesAMissingFile) {
  const std::string dir = testing::MakeTempDir("cost");
  const std::string path = dir + "/none.csv";
  absl::StatusOr<PriceTable> t = LoadPrices(path);
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(std::string(t.status().message()), HasSubstr(path));
}

// The shipped table is thesis Table 5.1, row by row.
TEST(PriceTable, ShippedTableIsThesisTable51) {
  absl::StatusOr<PriceTable> t = LoadDefaultPrices();
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(t->source, HasSubstr(kDefaultPriceFile));
  struct Row {
    const char* region;
    double cpu, gpu, lowcost, send, recv;
  };
  const std::vector<Row> table = {
      {"virginia", 0.86, 2.60, 0.22, 0.02, 0.01},  {"california", 1.01, 2.81, 0.22, 0.02, 0.01},
      {"oregon", 0.86, 2.60, 0.22, 0.02, 0.01},    {"ireland", 0.95, 2.81, 0.24, 0.02, 0.01},
      {"frankfurt", 1.03, 3.09, 0.26, 0.02, 0.01}, {"tokyo", 1.11, 3.59, 0.27, 0.09, 0.01},
      {"seoul", 1.06, 3.59, 0.28, 0.08, 0.01},     {"singapore", 1.07, 4.00, 0.27, 0.09, 0.01},
      {"sydney", 1.08, 3.59, 0.27, 0.14, 0.01},    {"mumbai", 1.05, 3.59, 0.26, 0.09, 0.01},
      {"sao-paulo", 1.37, 4.00, 0.34, 0.16, 0.01},
  };
  ASSERT_EQ(t->regions.size(), table.size());
  for (size_t i = 0; i < table.size(); ++i) {
    const RegionPrice& p = t->regions[i];
    EXPECT_EQ(p.region, table[i].region);
    EXPECT_DOUBLE_EQ(p.cpu_hour, table[i].cpu) << p.region;
    EXPECT_DOUBLE_EQ(p.gpu_hour, table[i].gpu) << p.region;
    EXPECT_DOUBLE_EQ(p.lowcost_hour, table[i].lowcost) << p.region;
    EXPECT_DOUBLE_EQ(p.send_gb, table[i].send) << p.region;
    EXPECT_DOUBLE_EQ(p.recv_gb, table[i].recv) << p.region;
  }
}

TEST(PriceTable, GaiaCostDirOverridesTheShippedTable) {
  const std::string dir = testing::MakeTempDir("cost_dir");
  testing::WriteTextFile(dir + "/" + kDefaultPriceFile,
                         std::string(kHeader) + "lima,9,9,9,9,9\n");
  ::setenv("GAIA_COST_DIR", dir.c_str(), 1);
  absl::StatusOr<PriceTable> t = LoadDefaultPrices();
  ::unsetenv("GAIA_COST_DIR");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->source, dir + "/" + kDefaultPriceFile);
  ASSERT_EQ(t->regions.size(), 1u);
  EXPECT_EQ(t->regions[0].region, "lima");
  // Then the installed share/gaia/cost beside the binary, then the sources.
  const std::vector<std::string> dirs = CostDirs();
  ASSERT_EQ(dirs.size(), 2u);
  EXPECT_THAT(dirs[0], ::testing::EndsWith("/share/gaia/cost"));
  EXPECT_EQ(std::filesystem::path(dirs[1]), std::filesystem::path(GAIA_TEST_SOURCE_DIR) / "tools/cost");
  std::filesystem::remove_all(dir);
}

TEST(PriceRun, MachineTimeSplitAndWanTransfer) {
  RunUsage u;
  u.mode = "baseline";
  u.seconds = 3600;
  u.machines = {{"virginia", 2}, {"tokyo", 1}};
  u.wait_s = {{"virginia", 1800}, {"tokyo", 7200}};  // tokyo's is clamped to 1 machine-hour
  u.wan_bytes = {{{"virginia", "tokyo"}, 2e9}, {{"tokyo", "virginia"}, 1e9}};
  RunCost c = PriceRun(u, TestPrices(), {});
  // virginia: 2 machine-hours, 0.5 waiting, at $1; tokyo: 1 waiting at $2.
  EXPECT_DOUBLE_EQ(c.compute_machine_h, 1.5);
  EXPECT_DOUBLE_EQ(c.wait_machine_h, 1.5);
  EXPECT_DOUBLE_EQ(c.compute_usd, 1.5);
  EXPECT_DOUBLE_EQ(c.wait_usd, 0.5 + 2.0);
  // 2 GB virginia->tokyo at 0.02 + 0.01; 1 GB tokyo->virginia at 0.09 + 0.01.
  EXPECT_DOUBLE_EQ(c.wan_gb, 3);
  EXPECT_DOUBLE_EQ(c.wan_usd, 2 * 0.03 + 1 * 0.10);
  EXPECT_DOUBLE_EQ(c.total(), 1.5 + 2.5 + 0.16);
  EXPECT_THAT(c.notes, IsEmpty());
  EXPECT_EQ(c.region_of_dc.at("tokyo"), "tokyo");
}

TEST(PriceRun, UnknownDcIsPricedAsFallbackWithANote) {
  RunUsage u;
  u.mode = "gaia";
  u.seconds = 1800;
  u.machines = {{"dc-a", 2}};
  u.notes = {"from the usage"};
  RunCost c = PriceRun(u, TestPrices(), {});
  EXPECT_DOUBLE_EQ(c.compute_usd, 1.0);  // 1 machine-hour at virginia's $1
  EXPECT_EQ(c.region_of_dc.at("dc-a"), "virginia");
  ASSERT_EQ(c.notes.size(), 2u);
  EXPECT_EQ(c.notes[0], "from the usage");
  EXPECT_THAT(c.notes[1], HasSubstr("dc 'dc-a' priced as virginia (no region 'dc-a' in test.csv)"));

  // An explicit region wins, without a note; the fallback is a parameter.
  RunCost mapped = PriceRun(u, TestPrices(), {{"dc-a", "tokyo"}});
  EXPECT_DOUBLE_EQ(mapped.compute_usd, 2.0);
  EXPECT_EQ(mapped.notes.size(), 1u);
  RunCost fallback = PriceRun(u, TestPrices(), {}, "tokyo");
  EXPECT_DOUBLE_EQ(fallback.compute_usd, 2.0);
  EXPECT_THAT(fallback.notes.back(), HasSubstr("priced as tokyo"));
}

TEST(PriceCentralized, MovesDataToTheCheapestDcAndTrainsThere) {
  PriceTable prices = MustParse(std::string(kHeader) +
                                "virginia,0.86,2.60,0.22,0.02,0.01\n"
                                "california,1.01,2.81,0.22,0.02,0.01\n"
                                "tokyo,1.11,3.59,0.27,0.09,0.01\n");
  RunUsage lan;
  lan.mode = "lan";
  lan.seconds = 1800;
  lan.machines = {{"california", 4}};  // lan runs in the job's first DC
  RunUsage gaia;
  gaia.mode = "gaia";
  gaia.machines = {{"california", 2}, {"virginia", 1}, {"tokyo", 1}};
  gaia.input_bytes = {{"california", 1e9}, {"virginia", 2e9}, {"tokyo", 5e8}};
  const std::map<Link, double> mbps = {
      {{"california", "virginia"}, 100}, {{"tokyo", "virginia"}, 20}, {{"virginia", "tokyo"}, 1}};
  CentralizedCost c = PriceCentralized(lan, gaia, mbps, prices, {});
  EXPECT_EQ(c.dc, "virginia");
  EXPECT_EQ(c.region, "virginia");
  EXPECT_DOUBLE_EQ(c.moved_bytes, 1.5e9);
  // california: 8e9 bits at 100 Mbit/s = 80 s; tokyo: 4e9 bits at 20 = 200 s.
  EXPECT_DOUBLE_EQ(c.transfer_s, 200);
  EXPECT_DOUBLE_EQ(c.transfer_usd, 1.0 * (0.02 + 0.01) + 0.5 * (0.09 + 0.01));
  EXPECT_DOUBLE_EQ(c.mover_usd, 80.0 / 3600 * 0.22 + 200.0 / 3600 * 0.27 + 200.0 / 3600 * 0.22);
  EXPECT_EQ(c.machines, 4u);
  EXPECT_DOUBLE_EQ(c.train_s, 1800);
  EXPECT_DOUBLE_EQ(c.train_usd, 4 * 0.5 * 0.86);
  EXPECT_DOUBLE_EQ(c.total(), c.transfer_usd + c.mover_usd + c.train_usd);
  EXPECT_DOUBLE_EQ(c.total_s(), 2000);
  EXPECT_THAT(c.notes, IsEmpty());
}

TEST(PriceCentralized, TiesGoToTheLanDcAndMissingLinksAreNoted) {
  PriceTable prices = MustParse(std::string(kHeader) +
                                "oregon,0.86,2.60,0.22,0.02,0.01\n"
                                "virginia,0.86,2.60,0.22,0.02,0.01\n");
  RunUsage lan;
  lan.seconds = 3600;
  lan.machines = {{"virginia", 2}};
  lan.input_bytes = {{"oregon", 1e9}, {"virginia", 1e9}};
  RunUsage baseline;
  baseline.machines = {{"oregon", 1}, {"virginia", 1}};  // no input_bytes: lan's are used
  CentralizedCost c = PriceCentralized(lan, baseline, {}, prices, {});
  EXPECT_EQ(c.dc, "virginia");
  EXPECT_DOUBLE_EQ(c.moved_bytes, 1e9);
  EXPECT_DOUBLE_EQ(c.transfer_s, 0);  // no bandwidth known
  EXPECT_DOUBLE_EQ(c.transfer_usd, 0.03);
  EXPECT_DOUBLE_EQ(c.train_usd, 2 * 0.86);
  ASSERT_EQ(c.notes.size(), 1u);
  EXPECT_THAT(c.notes[0], HasSubstr("no WAN bandwidth for oregon->virginia"));

  // Without any input_bytes the move is free, and said so.
  lan.input_bytes.clear();
  CentralizedCost none = PriceCentralized(lan, baseline, {}, prices, {});
  EXPECT_DOUBLE_EQ(none.transfer_usd, 0);
  ASSERT_EQ(none.notes.size(), 1u);
  EXPECT_THAT(none.notes[0], HasSubstr("ReportInputBytes"));
}

// A finished two-DC run with modes lan and baseline, written by hand.
//  lan: target reached at 3600 s (clock 3 of 4), 2 machines in virginia.
//  baseline: target at 7200 s = clock 2 of 4; WAN bytes 4e9 + 2e9 whole run.
std::string WriteRunDir() {
  namespace fs = std::filesystem;
  const std::string dir = testing::MakeTempDir("cost_run");
  testing::WriteTextFile(dir + "/job.yaml", R"(name: cost-test
mode: [lan, baseline]
app: {program: gaia_mf, clocks: 4}
tables:
  - {name: R, rows: 10, width: 2}
dcs:
  - {name: virginia, shards: 1, workers: 1}
  - {name: california, shards: 1, workers: 1}
wan: {emulate: proxy, bandwidth_mbps: 80}
)");
  testing::WriteTextFile(dir + "/summary.json", R"({
  "job": "cost-test", "status": "ok",
  "runs": [
    {"mode": "lan", "elapsed_s": 4000, "clocks_completed": 4, "wan_bytes": 0, "wan_links": []},
    {"mode": "baseline", "elapsed_s": 9000, "clocks_completed": 4, "wan_bytes": 6000000000,
     "wan_links": [{"link": "virginia->california", "bytes": 4000000000},
                   {"link": "california->virginia", "bytes": 2000000000}]}
  ],
  "comparison": {"target_objective": 1.0, "lan_converged": true, "lan_time_s": 3600,
                 "modes": [{"mode": "baseline", "time_to_target_s": 7200, "wan_bytes": 6e9}]}
})");
  std::string metrics;
  const double lan_times[] = {900, 1800, 2700, 3600};
  const double baseline_times[] = {2400, 4800, 7200, 9000};
  for (int c = 0; c < 4; ++c) {
    metrics += "{\"mode\":\"lan\",\"clock\":" + std::to_string(c) +
               ",\"time_s\":" + std::to_string(lan_times[c]) + ",\"objective\":2}\n";
    metrics += "{\"mode\":\"baseline\",\"clock\":" + std::to_string(c) +
               ",\"time_s\":" + std::to_string(baseline_times[c]) + ",\"objective\":2}\n";
  }
  testing::WriteTextFile(dir + "/metrics.jsonl", metrics);
  // Worker w of each mode; lan workers both run in virginia.
  const auto worker_file = [](const std::string& dc, double wait, double input_bytes) {
    std::string text;
    for (int c = 0; c < 4; ++c) {
      text += "{\"worker\":0,\"dc\":\"" + dc + "\",\"clock\":" + std::to_string(c) +
              ",\"read_wait_s\":" + std::to_string(wait) +
              ",\"input_bytes\":" + std::to_string(static_cast<uint64_t>(input_bytes)) + "}\n";
    }
    return text;
  };
  fs::create_directories(dir + "/work/lan");
  fs::create_directories(dir + "/work/baseline");
  testing::WriteTextFile(dir + "/work/lan/worker-0.metrics.jsonl", worker_file("lan", 100, 1.2e9));
  testing::WriteTextFile(dir + "/work/lan/worker-1.metrics.jsonl",
                         worker_file("lan", 100, 2.4e9) + "{\"worker\":0,\"clo");
  testing::WriteTextFile(dir + "/work/baseline/worker-0.metrics.jsonl",
                         worker_file("virginia", 600, 1.2e9));
  testing::WriteTextFile(dir + "/work/baseline/worker-1.metrics.jsonl",
                         worker_file("california", 1200, 2.4e9));
  return dir;
}

TEST(ReadRunUsage, ReadsAHandWrittenResultsFolder) {
  const std::string dir = WriteRunDir();
  absl::StatusOr<std::vector<RunUsage>> runs = ReadRunUsage(dir);
  ASSERT_TRUE(runs.ok()) << runs.status();
  ASSERT_EQ(runs->size(), 2u);

  const RunUsage& lan = (*runs)[0];
  EXPECT_EQ(lan.mode, "lan");
  EXPECT_TRUE(lan.to_target);
  EXPECT_DOUBLE_EQ(lan.seconds, 3600);
  EXPECT_DOUBLE_EQ(lan.elapsed_s, 4000);
  EXPECT_EQ(lan.clocks_priced, 4);
  EXPECT_THAT(lan.machines, ElementsAre(Pair("virginia", 2u)));
  EXPECT_DOUBLE_EQ(lan.wait_s.at("virginia"), 800);
  EXPECT_THAT(lan.wan_bytes, IsEmpty());
  EXPECT_DOUBLE_EQ(lan.input_bytes.at("virginia"), 1.2e9);  // by the data's DC
  EXPECT_DOUBLE_EQ(lan.input_bytes.at("california"), 2.4e9);
  ASSERT_EQ(lan.notes.size(), 1u);
  EXPECT_THAT(lan.notes[0], HasSubstr("skipped 1 malformed"));

  const RunUsage& b = (*runs)[1];
  EXPECT_EQ(b.mode, "baseline");
  EXPECT_DOUBLE_EQ(b.seconds, 7200);
  EXPECT_EQ(b.clocks_priced, 3);
  EXPECT_EQ(b.machines.at("virginia"), 1u);
  EXPECT_EQ(b.machines.at("california"), 1u);
  EXPECT_DOUBLE_EQ(b.wait_s.at("virginia"), 1800);  // clocks 0..2
  EXPECT_DOUBLE_EQ(b.wait_s.at("california"), 3600);
  EXPECT_DOUBLE_EQ(b.wan_bytes.at({"virginia", "california"}), 3e9);  // 3 of 4 clocks
  EXPECT_DOUBLE_EQ(b.wan_bytes.at({"california", "virginia"}), 1.5e9);
  EXPECT_DOUBLE_EQ(b.input_bytes.at("california"), 2.4e9);
  EXPECT_THAT(b.notes, ElementsAre(HasSubstr("WAN bytes scaled to the 3 of 4 clocks priced")));

  // Priced: lan 2 machine-hours in virginia; baseline per the usage above.
  absl::StatusOr<PriceTable> prices = LoadDefaultPrices();
  ASSERT_TRUE(prices.ok()) << prices.status();
  EXPECT_NEAR(PriceRun(lan, *prices, {}).total(), 2 * 0.86, 1e-12);
  RunCost bc = PriceRun(b, *prices, {});
  EXPECT_NEAR(bc.compute_usd, 1.5 * 0.86 + 1 * 1.01, 1e-12);
  EXPECT_NEAR(bc.wait_usd, 0.5 * 0.86 + 1 * 1.01, 1e-12);
  EXPECT_NEAR(bc.wan_usd, 4.5 * 0.03, 1e-12);
  EXPECT_NEAR(bc.total(), 3.875, 1e-12);

  absl::StatusOr<std::map<Link, double>> mbps = ReadLinkMbps(dir);
  ASSERT_TRUE(mbps.ok()) << mbps.status();
  EXPECT_DOUBLE_EQ(mbps->at({"california", "virginia"}), 80);
  CentralizedCost c = PriceCentralized(lan, b, *mbps, *prices, {});
  EXPECT_EQ(c.dc, "virginia");
  EXPECT_DOUBLE_EQ(c.transfer_s, 240);  // 2.4e9 bytes at 80 Mbit/s
  EXPECT_NEAR(c.total(), 2.4 * 0.03 + 2 * 240.0 / 3600 * 0.22 + 2 * 0.86, 1e-12);
  std::filesystem::remove_all(dir);
}

TEST(ReadRunUsage, WholeRunWithoutComparisonAndMissingWorkerFiles) {
  const std::string dir = WriteRunDir();
  testing::WriteTextFile(dir + "/summary.json", R"({"runs": [
    {"mode": "baseline", "elapsed_s": 9000, "clocks_completed": 4, "wan_links": []}]})");
  std::filesystem::remove(dir + "/work/baseline/worker-1.metrics.jsonl");
  absl::StatusOr<std::vector<RunUsage>> runs = ReadRunUsage(dir);
  ASSERT_TRUE(runs.ok()) << runs.status();
  ASSERT_EQ(runs->size(), 1u);
  const RunUsage& b = (*runs)[0];
  EXPECT_FALSE(b.to_target);
  EXPECT_DOUBLE_EQ(b.seconds, 9000);
  EXPECT_EQ(b.clocks_priced, 4);
  EXPECT_DOUBLE_EQ(b.wait_s.at("virginia"), 2400);  // every clock
  EXPECT_EQ(b.wait_s.count("california"), 0u);
  EXPECT_THAT(b.notes, ElementsAre(HasSubstr("no comparison in summary.json"),
                                   HasSubstr("no metrics file for worker-1")));
  std::filesystem::remove_all(dir);
}

TEST(ReadRunUsage, ErrorsNameTheFile) {
  const std::string dir = WriteRunDir();
  EXPECT_FALSE(ReadRunUsage(dir + "/nope").ok());

  testing::WriteTextFile(dir + "/summary.json", "{\"runs\": [");
  absl::StatusOr<std::vector<RunUsage>> bad = ReadRunUsage(dir);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr(dir + "/summary.json: not valid JSON"));

  testing::WriteTextFile(dir + "/summary.json", R"({"runs": [{"mode": "warp", "elapsed_s": 1}]})");
  bad = ReadRunUsage(dir);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("summary.json: runs[0]:"));

  testing::WriteTextFile(dir + "/summary.json", R"({"runs": []})");
  std::filesystem::remove(dir + "/job.yaml");
  bad = ReadRunUsage(dir);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr(dir + "/job.yaml"));

  std::filesystem::remove(dir + "/summary.json");
  bad = ReadRunUsage(dir);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr(dir + "/summary.json"));
  std::filesystem::remove_all(dir);
}

testing::ProcessResult Gaia(std::vector<std::string> args) {
  args.insert(args.begin(), testing::BinDir() + "/gaia");
  return testing::RunProcess(args, std::chrono::seconds(30));
}

TEST(CostCommand, PricesAResultsFolder) {
  const std::string dir = WriteRunDir();
  testing::ProcessResult r = Gaia({"cost", dir});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("ec2-2017.csv"));
  EXPECT_THAT(r.output, HasSubstr("virginia as virginia ($0.86/h)"));
  EXPECT_THAT(r.output, HasSubstr("3600.00 s (target)"));
  EXPECT_THAT(r.output, HasSubstr("1.720000"));  // lan total
  EXPECT_THAT(r.output, HasSubstr("3.875000"));  // baseline total
  EXPECT_THAT(r.output, HasSubstr("CENTRALIZED"));
  EXPECT_THAT(r.output, HasSubstr("all raw data to virginia"));
  EXPECT_THAT(r.output, HasSubstr("move 2400.00 MB over the WAN in 240.00 s"));
  EXPECT_THAT(r.output, HasSubstr("total 3840.00 s, $1.821333"));
  EXPECT_THAT(r.output, HasSubstr("baseline     0.53x the speed of CENTRALIZED at 2.13x its cost"));
  EXPECT_THAT(r.output, HasSubstr("WAN bytes scaled to the 3 of 4 clocks priced"));

  testing::ProcessResult j = Gaia({"cost", dir, "--json", "--region", "california=tokyo"});
  ASSERT_EQ(j.exit_code, 0) << j.output;
  const nlohmann::json out = nlohmann::json::parse(j.output, nullptr, false);
  ASSERT_TRUE(out.is_object()) << j.output;
  ASSERT_EQ(out["runs"].size(), 2u);
  EXPECT_EQ(out["regions"]["california"], "tokyo");
  const nlohmann::json& b = out["runs"][1];
  EXPECT_EQ(b["mode"], "baseline");
  // california priced as tokyo: $1.11/h, sends at 0.09.
  EXPECT_NEAR(b["usd"]["compute"].get<double>(), 1.5 * 0.86 + 1.11, 1e-9);
  EXPECT_NEAR(b["usd"]["wan"].get<double>(), 3 * 0.03 + 1.5 * 0.10, 1e-9);
  EXPECT_NEAR(b["vs_baseline"].get<double>(), 1.0, 1e-12);
  EXPECT_EQ(out["centralized"]["dc"], "virginia");
  EXPECT_NEAR(out["centralized"]["transfer_s"].get<double>(), 240, 1e-9);
  std::filesystem::remove_all(dir);
}

TEST(CostCommand, BadInputExitsTwoNamingTheProblem) {
  const std::string dir = WriteRunDir();
  testing::ProcessResult r = Gaia({"cost", dir + "/missing"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr(dir + "/missing"));

  r = Gaia({"cost", dir, "--region", "virginia"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("expected dc=region"));
  r = Gaia({"cost", dir, "--region", "virginia=lima"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("no region 'lima'"));

  testing::WriteTextFile(dir + "/prices.csv", std::string(kHeader) + "virginia,1,2,3\n");
  r = Gaia({"cost", dir, "--prices", dir + "/prices.csv"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr(dir + "/prices.csv:2:"));

  testing::WriteTextFile(dir + "/summary.json", "not json");
  r = Gaia({"cost", dir});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("summary.json: not valid JSON"));
  std::filesystem::remove_all(dir);
}

TEST(CostCommand, WithoutALanRunCentralizedIsSkipped) {
  const std::string dir = WriteRunDir();
  testing::WriteTextFile(dir + "/summary.json", R"({"runs": [
    {"mode": "baseline", "elapsed_s": 3600, "clocks_completed": 4, "wan_links": []}]})");
  testing::WriteTextFile(dir + "/prices.csv", std::string(kHeader) +
                                                  "virginia,1,2,0.5,0.02,0.01\n"
                                                  "california,2,2,0.5,0.02,0.01\n");
  testing::ProcessResult r = Gaia({"cost", dir, "--prices", dir + "/prices.csv", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json out = nlohmann::json::parse(r.output, nullptr, false);
  ASSERT_TRUE(out.is_object()) << r.output;
  EXPECT_TRUE(out["centralized"].is_null());
  EXPECT_THAT(out["notes"].dump(), HasSubstr("no lan run in the results"));
  // 1 machine-hour in each DC; 2400 s waiting in virginia, 4800 s in california.
  EXPECT_NEAR(out["runs"][0]["usd"]["total"].get<double>(), 1 + 2, 1e-12);
  EXPECT_NEAR(out["runs"][0]["usd"]["wait"].get<double>(), 2400.0 / 3600 + 2 * 3600.0 / 3600,
              1e-12);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gaia::cli
