// gaia bench without running jobs: spec derivation, reading and aggregating
// hand-written run summaries, the table/CSV/JSON, and the gnuplot files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "src/cli/bench_plots.h"
#include "src/cli/bench_report.h"
#include "src/cli/bench_spec.h"
#include "src/common/job_spec.h"
#include "src/common/topology.h"
#include "tests/testing/subprocess.h"

namespace gaia::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::string WriteSpec(const std::string& dir, const std::string& text) {
  const std::string path = dir + "/job.yaml";
  testing::WriteTextFile(path, text);
  return path;
}

constexpr char kTwoDcSpec[] = R"(name: two
mode: gaia
app:
  program: gaia_mf
  clocks: 20
  args: {lr: 0.010, tag: "007"}
tables:
  - {name: R, rows: 100, width: 4}
dcs:
  - {name: a, shards: 1, workers: 2, data: data/a.txt}
  - {name: b, shards: 1, workers: 1, data: "synthetic:users=10,dc=1,dcs=2"}
consistency: {model: ssp, staleness: 4}
overlay:
  - {name: east, dcs: [a], hubs: {west: a}}
  - {name: west, dcs: [b]}
wan: {emulate: proxy, bandwidth_mbps: 5, delay_ms: 2}
)";

SpecVariant Variant(const std::string& setting) {
  SpecVariant v;
  v.setting = setting;
  v.modes = {common::Mode::kLan, common::Mode::kBaseline, common::Mode::kGaia};
  return v;
}

common::JobSpec ParseDerived(const DerivedSpec& d) {
  absl::StatusOr<common::JobSpec> spec = common::ParseJobSpec(d.yaml, "derived");
  EXPECT_TRUE(spec.ok()) << spec.status() << "\n" << d.yaml;
  return spec.ok() ? *spec : common::JobSpec{};
}

TEST(BenchSpec, RenamesDcsToThePresetsRegionsAndSetsTheWan) {
  const std::string dir = testing::MakeTempDir("bench-spec");
  const std::string path = WriteSpec(dir, kTwoDcSpec);
  SpecVariant v = Variant("vc");
  v.bandwidth_scale = 0.13;
  v.clocks = 7;
  v.results_dir = dir + "/runs";
  v.header = "line one\nline two";
  absl::StatusOr<DerivedSpec> d = DeriveSpec(path, v);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_THAT(d->regions, ElementsAre("virginia", "california"));
  EXPECT_EQ(d->renamed.at("a"), "virginia");
  EXPECT_EQ(d->renamed.at("b"), "california");
  EXPECT_THAT(d->yaml, ::testing::StartsWith("# line one\n# line two\n"));

  const common::JobSpec spec = ParseDerived(*d);
  EXPECT_EQ(spec.name, "two");
  ASSERT_EQ(spec.dcs.size(), 2u);
  EXPECT_EQ(spec.dcs[0].name, "virginia");
  EXPECT_EQ(spec.dcs[0].workers, 2u);
  EXPECT_EQ(spec.dcs[1].name, "california");
  // A path becomes absolute (the derived file lives elsewhere); synthetic
  // parameters stay as written.
  EXPECT_EQ(spec.dcs[0].data, (fs::path(dir) / "data/a.txt").string());
  EXPECT_EQ(spec.dcs[1].data, "synthetic:users=10,dc=1,dcs=2");
  EXPECT_EQ(spec.wan.emulate, common::WanEmulation::kProxy);
  EXPECT_EQ(spec.wan.preset, "vc-2dc");
  EXPECT_DOUBLE_EQ(spec.wan.bandwidth_scale, 0.13);
  EXPECT_THAT(spec.modes,
              ElementsAre(common::Mode::kLan, common::Mode::kBaseline, common::Mode::kGaia));
  EXPECT_EQ(spec.consistency.model, common::ConsistencyModel::kBsp);
  EXPECT_EQ(spec.consistency.staleness, 0);
  EXPECT_EQ(spec.app.clocks, 7u);
  EXPECT_EQ(spec.results_dir, dir + "/runs");
  // Arguments keep their text, quoted or not.
  ASSERT_EQ(spec.app.args.size(), 2u);
  EXPECT_EQ(spec.app.args[0].second, "0.010");
  EXPECT_EQ(spec.app.args[1].second, "007");
  EXPECT_THAT(d->yaml, HasSubstr("\"007\""));
  EXPECT_THAT(d->yaml, Not(HasSubstr("bandwidth_mbps")));
}

TEST(BenchSpec, OverlayGroupsFollowTheRenamedDcs) {
  const std::string dir = testing::MakeTempDir("bench-spec");
  absl::StatusOr<DerivedSpec> d = DeriveSpec(WriteSpec(dir, kTwoDcSpec), Variant("ss"));
  ASSERT_TRUE(d.ok()) << d.status();
  const common::JobSpec spec = ParseDerived(*d);
  ASSERT_EQ(spec.overlay.size(), 2u);
  EXPECT_THAT(spec.overlay[0].dcs, ElementsAre("singapore"));
  EXPECT_EQ(spec.overlay[0].hubs.at("west"), "singapore");
  EXPECT_THAT(spec.overlay[1].dcs, ElementsAre("sao-paulo"));
  EXPECT_EQ(spec.overlay[1].hubs.at("east"), "sao-paulo");  // filled by the parser
  EXPECT_EQ(spec.wan.preset, "ss-2dc");
}

TEST(BenchSpec, SspTakesTheGivenStaleness) {
  const std::string dir = testing::MakeTempDir("bench-spec");
  SpecVariant v = Variant("vc");
  v.model = common::ConsistencyModel::kSsp;
  v.staleness = 3;
  absl::StatusOr<DerivedSpec> d = DeriveSpec(WriteSpec(dir, kTwoDcSpec), v);
  ASSERT_TRUE(d.ok()) << d.status();
  const common::JobSpec spec = ParseDerived(*d);
  EXPECT_EQ(spec.consistency.model, common::ConsistencyModel::kSsp);
  EXPECT_EQ(spec.consistency.staleness, 3);

  v.staleness = 1001;
  EXPECT_THAT(DeriveSpec(WriteSpec(dir, kTwoDcSpec), v).status().message(), HasSubstr("staleness"));
}

TEST(BenchSpec, DefaultSspStalenessIsTheSpecsOrTwo) {
  common::JobSpec spec;
  EXPECT_EQ(DefaultSspStaleness(spec), 2);
  spec.consistency = {common::ConsistencyModel::kSsp, 4};
  EXPECT_EQ(DefaultSspStaleness(spec), 4);
  spec.consistency = {common::ConsistencyModel::kSsp, 0};
  EXPECT_EQ(DefaultSspStaleness(spec), 0);
}

TEST(BenchSpec, WrongDcCountNamesTheSettingAndASpecThatFits) {
  const std::string dir = testing::MakeTempDir("bench-spec");
  const std::string path = WriteSpec(dir, kTwoDcSpec);
  absl::Status s = DeriveSpec(path, Variant("ec2-11")).status();
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("setting ec2-11"));
  EXPECT_THAT(s.message(), HasSubstr("needs a spec with 11 DCs"));
  EXPECT_THAT(s.message(), HasSubstr("has 2"));
  EXPECT_THAT(s.message(), HasSubstr("examples/mf-11dc.yaml"));

  const std::string three = testing::MakeTempDir("bench-spec");
  const std::string three_path = WriteSpec(three, R"(name: three
app: {program: gaia_mf}
tables: [{name: R, rows: 10, width: 2}]
dcs: [{name: a}, {name: b}, {name: c}]
)");
  s = DeriveSpec(three_path, Variant("vc")).status();
  EXPECT_THAT(s.message(), HasSubstr("needs a spec with 2 DCs"));
  EXPECT_THAT(s.message(), HasSubstr("examples/mf-2dc.yaml"));
}

TEST(BenchSpec, UnknownSettingListsTheKnownOnes) {
  absl::StatusOr<BenchSetting> s = FindBenchSetting("vcx");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("vc, ss, ec2-11"));
  EXPECT_EQ(FindBenchSetting("ec2-11")->preset, "ec2-11");
}

TEST(BenchSpec, ABadSpecIsReportedAsTheParserReportsIt) {
  const std::string dir = testing::MakeTempDir("bench-spec");
  const std::string path = WriteSpec(dir, "name: x\napp: {program: p}\n");
  absl::Status s = DeriveSpec(path, Variant("vc")).status();
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("job.yaml"));
}

// The shipped examples fit their settings, and every mode plans.
TEST(BenchSpec, ShippedExamplesDeriveForTheirSettings) {
  for (const auto& [example, setting] :
       std::vector<std::pair<std::string, std::string>>{{"examples/mf-2dc.yaml", "vc"},
                                                        {"examples/mf-2dc.yaml", "ss"},
                                                        {"examples/mf-11dc.yaml", "ec2-11"}}) {
    SpecVariant v = Variant(setting);
    v.modes.push_back(common::Mode::kGaiaAsync);
    absl::StatusOr<DerivedSpec> d = DeriveSpec(testing::SourceDir() + "/" + example, v);
    ASSERT_TRUE(d.ok()) << example << ": " << d.status();
    const common::JobSpec spec = ParseDerived(*d);
    for (common::Mode mode : spec.modes) {
      EXPECT_TRUE(common::PlanTopology(spec, mode).ok()) << example << " " << setting;
    }
  }
  absl::StatusOr<common::JobSpec> eleven =
      common::ParseJobSpecFile(testing::SourceDir() + "/examples/mf-11dc.yaml");
  ASSERT_TRUE(eleven.ok()) << eleven.status();
  EXPECT_EQ(eleven->dcs.size(), 11u);
  EXPECT_EQ(eleven->dcs.front().name, "virginia");
  EXPECT_EQ(eleven->dcs.back().name, "sao-paulo");
}

// --- Reading and aggregating results ---------------------------------------

// A summary.json as `gaia launch` writes it, for modes lan, baseline, gaia.
std::string Summary(double lan_t, std::optional<double> baseline_t, std::optional<double> gaia_t) {
  auto num = [](std::optional<double> v) { return v ? std::to_string(*v) : std::string("null"); };
  return R"({"job": "j", "runs": [
    {"mode": "lan", "elapsed_s": 5, "wan_bytes": 0, "wan_links": []},
    {"mode": "baseline", "elapsed_s": 9, "wan_bytes": 2000000000,
     "wan_links": [{"link": "a->b", "bytes": 1200000000}, {"link": "b->a", "bytes": 800000000}]},
    {"mode": "gaia", "elapsed_s": 7, "wan_bytes": 500000000,
     "wan_links": [{"link": "a->b", "bytes": 300000000}, {"link": "b->a", "bytes": 200000000}]}],
  "comparison": {"target_objective": 100.5, "lan_time_s": )" +
         std::to_string(lan_t) + R"(, "modes": [
    {"mode": "baseline", "time_to_target_s": )" +
         num(baseline_t) + R"(, "wan_bytes": 2000000000},
    {"mode": "gaia", "time_to_target_s": )" +
         num(gaia_t) + R"(, "wan_bytes": 500000000}]}})";
}

std::string RunDir(const std::string& summary) {
  const std::string dir = testing::MakeTempDir("bench-run");
  testing::WriteTextFile(dir + "/summary.json", summary);
  return dir;
}

TEST(BenchReport, ReadsTimesToTargetAndWanBytesFromTheSummary) {
  absl::StatusOr<RepeatOutcome> r = ReadRepeatOutcome(RunDir(Summary(2, 10, std::nullopt)));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->target_objective, 100.5);
  ASSERT_EQ(r->modes.size(), 3u);
  EXPECT_EQ(r->modes[0].mode, "lan");
  EXPECT_EQ(r->modes[0].time_to_target_s, 2.0);
  EXPECT_EQ(r->modes[1].mode, "baseline");
  EXPECT_EQ(r->modes[1].time_to_target_s, 10.0);
  EXPECT_DOUBLE_EQ(r->modes[1].wan_bytes, 2e9);
  EXPECT_EQ(r->modes[2].mode, "gaia");
  EXPECT_FALSE(r->modes[2].time_to_target_s.has_value());
}

TEST(BenchReport, NoComparisonMeansNoModeReachedATarget) {
  absl::StatusOr<RepeatOutcome> r =
      ReadRepeatOutcome(RunDir(R"({"runs": [{"mode": "gaia", "wan_bytes": 5}]})"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->target_objective.has_value());
  ASSERT_EQ(r->modes.size(), 1u);
  EXPECT_FALSE(r->modes[0].time_to_target_s.has_value());
  EXPECT_DOUBLE_EQ(r->modes[0].wan_bytes, 5);
}

TEST(BenchReport, MissingOrMalformedSummaryNamesTheFile) {
  const std::string empty = testing::MakeTempDir("bench-run");
  absl::Status s = ReadRepeatOutcome(empty).status();
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("summary.json"));
  s = ReadRepeatOutcome(RunDir("{not json")).status();
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  s = ReadRepeatOutcome(RunDir(R"({"runs": [{"elapsed_s": 1}]})")).status();
  EXPECT_THAT(s.message(), HasSubstr("runs[0]"));
}

RepeatOutcome Outcome(const std::string& setting, int repeat, double lan,
                      std::optional<double> base, std::optional<double> gaia) {
  absl::StatusOr<RepeatOutcome> r = ReadRepeatOutcome(RunDir(Summary(lan, base, gaia)));
  EXPECT_TRUE(r.ok()) << r.status();
  r->setting = setting;
  r->model = "bsp";
  r->repeat = repeat;
  return *r;
}

const BenchRow& Row(const std::vector<BenchRow>& rows, const std::string& setting,
                    const std::string& mode) {
  for (const BenchRow& r : rows) {
    if (r.setting == setting && r.mode == mode) return r;
  }
  ADD_FAILURE() << "no row " << setting << " " << mode;
  static const BenchRow kNone;
  return kNone;
}

TEST(BenchReport, MediansRatiosAndNeverReached) {
  // Three repeats: gaia misses the target once (median of 4, 6, inf = 6);
  // baseline misses it twice (median inf: "-").
  std::vector<RepeatOutcome> outcomes = {Outcome("vc", 1, 2, 10, 4),
                                         Outcome("vc", 2, 1, std::nullopt, 6),
                                         Outcome("vc", 3, 3, std::nullopt, std::nullopt)};
  std::vector<BenchRow> rows = Aggregate(outcomes);
  ASSERT_EQ(rows.size(), 3u);
  const BenchRow& lan = Row(rows, "vc", "lan");
  EXPECT_EQ(lan.repeats, 3);
  EXPECT_EQ(lan.reached, 3);
  EXPECT_EQ(lan.time_s, 2.0);
  EXPECT_EQ(lan.ratio_to_lan, 1.0);
  EXPECT_FALSE(lan.speedup.has_value());  // no baseline time
  const BenchRow& gaia = Row(rows, "vc", "gaia");
  EXPECT_EQ(gaia.reached, 2);
  EXPECT_EQ(gaia.time_s, 6.0);
  EXPECT_EQ(gaia.ratio_to_lan, 3.0);
  EXPECT_DOUBLE_EQ(gaia.wan_gb, 0.5);
  const BenchRow& base = Row(rows, "vc", "baseline");
  EXPECT_EQ(base.reached, 1);
  EXPECT_FALSE(base.time_s.has_value());
  EXPECT_FALSE(base.ratio_to_lan.has_value());
  EXPECT_DOUBLE_EQ(base.wan_gb, 2.0);

  // One repeat: speedup over baseline.
  rows = Aggregate({Outcome("ss", 1, 2, 10, 4)});
  EXPECT_EQ(Row(rows, "ss", "gaia").speedup, 2.5);
  EXPECT_EQ(Row(rows, "ss", "baseline").speedup, 1.0);
  EXPECT_EQ(Row(rows, "ss", "lan").speedup, 5.0);
  EXPECT_EQ(Row(rows, "ss", "baseline").ratio_to_lan, 5.0);
}

TEST(BenchReport, MedianOfAnEvenCountAveragesTheMiddleTwo) {
  EXPECT_DOUBLE_EQ(Median({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(Median({7}), 7);
  EXPECT_TRUE(std::isinf(Median({1, INFINITY})));
  EXPECT_DOUBLE_EQ(Median({1, 2, INFINITY}), 2);
}

TEST(BenchReport, CostIsTheRepeatWithTheMedianTotalAndCentralizedComesLast) {
  std::vector<RepeatOutcome> outcomes = {Outcome("vc", 1, 2, 10, 4), Outcome("vc", 2, 2, 10, 4),
                                         Outcome("vc", 3, 2, 10, 4)};
  const CostBreakdown costs[3] = {{1, 0, 9}, {5, 1, 1}, {20, 0, 0}};  // totals 10, 7, 20
  for (int i = 0; i < 3; ++i) {
    outcomes[i].modes[2].cost = costs[i];
    ModeOutcome c;
    c.mode = kCentralized;
    c.time_to_target_s = 30 + i;
    c.wan_bytes = 1e9;
    c.cost = CostBreakdown{0.5, 0.1, 0.2};
    // CENTRALIZED is appended in the middle on purpose: it still goes last.
    outcomes[i].modes.insert(outcomes[i].modes.begin() + 1, c);
  }
  outcomes.push_back(Outcome("ss", 1, 1, 2, 3));
  const std::vector<BenchRow> rows = Aggregate(outcomes);
  ASSERT_EQ(rows.size(), 7u);
  std::vector<std::string> order;
  for (const BenchRow& r : rows) order.push_back(r.setting + " " + r.mode);
  EXPECT_THAT(order, ElementsAre("vc lan", "vc baseline", "vc gaia", "vc centralized", "ss lan",
                                 "ss baseline", "ss gaia"));
  const BenchRow& gaia = Row(rows, "vc", "gaia");
  ASSERT_TRUE(gaia.cost.has_value());
  EXPECT_DOUBLE_EQ(gaia.cost->compute_usd, 1);  // the total-10 repeat
  EXPECT_DOUBLE_EQ(gaia.cost->wan_usd, 9);
  EXPECT_DOUBLE_EQ(gaia.cost->total_usd(), 10);
  EXPECT_FALSE(Row(rows, "vc", "lan").cost.has_value());
  const BenchRow& central = Row(rows, "vc", kCentralized);
  EXPECT_EQ(central.time_s, 31.0);
  EXPECT_EQ(central.speedup, 10.0 / 31.0);
  EXPECT_DOUBLE_EQ(central.wan_gb, 1);
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

TEST(BenchReport, TableHasAlignedColumnsAndDashesForMissingValues) {
  std::vector<RepeatOutcome> outcomes = {Outcome("vc", 1, 2, 10, std::nullopt),
                                         Outcome("ss", 1, 2, 8, 4)};
  outcomes[1].modes[2].cost = CostBreakdown{0.001, 0.0005, 0.00025};
  const std::string table = FormatTable(Aggregate(outcomes));
  const std::vector<std::string> lines = Lines(table);
  ASSERT_EQ(lines.size(), 7u) << table;
  EXPECT_THAT(lines[0], HasSubstr("time_s"));
  EXPECT_THAT(lines[0], HasSubstr("total_usd"));
  for (const std::string& line : lines) EXPECT_EQ(line.size(), lines[0].size()) << table;
  // Groups are separated by one blank line.
  EXPECT_THAT(table, HasSubstr("\n\nss "));
  const std::string& vc_gaia = lines[3];
  EXPECT_THAT(vc_gaia, ::testing::MatchesRegex("vc +bsp +gaia +- +0/1 +- +- +0.5000 +- +- +- +-"));
  const std::string& ss_gaia = lines[6];
  EXPECT_THAT(ss_gaia, ::testing::MatchesRegex(
                           "ss +bsp +gaia +4.00 +1/1 +2.00x +2.00x +0.5000 +0.001000 +0.000500 "
                           "+0.000250 +0.001750"));
}

TEST(BenchReport, CsvAndJsonHaveOneRowPerModeAndEmptyForMissing) {
  std::vector<RepeatOutcome> outcomes = {Outcome("vc", 1, 2, 10, std::nullopt)};
  outcomes[0].modes[1].cost = CostBreakdown{0.5, 0.25, 0.125};
  const std::vector<BenchRow> rows = Aggregate(outcomes);
  const std::vector<std::string> lines = Lines(FormatCsv(rows));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0],
            "setting,model,mode,repeats,reached,time_to_target_s,speedup_vs_baseline,"
            "ratio_to_lan,wan_gb,compute_usd,wait_usd,wan_usd,total_usd");
  EXPECT_EQ(lines[1], "vc,bsp,lan,1,1,2,5,1,0,,,,");
  EXPECT_EQ(lines[2], "vc,bsp,baseline,1,1,10,1,5,2,0.5,0.25,0.125,0.875");
  EXPECT_EQ(lines[3], "vc,bsp,gaia,1,0,,,,0.5,,,,");

  const nlohmann::json j = RowsJson(rows);
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[1]["mode"], "baseline");
  EXPECT_DOUBLE_EQ(j[1]["total_usd"].get<double>(), 0.875);
  EXPECT_TRUE(j[2]["time_to_target_s"].is_null());
  EXPECT_TRUE(j[2]["total_usd"].is_null());
  EXPECT_EQ(j[2]["reached"], 0);
}

// --- Plots ------------------------------------------------------------------

std::string PlotRunDir() {
  const std::string dir = RunDir(Summary(2, 10, 4));
  testing::WriteTextFile(dir + "/metrics.jsonl",
                         R"({"mode":"lan","clock":0,"time_s":0.5,"objective":300}
{"mode":"lan","clock":1,"time_s":1.0,"objective":200}
not json
{"mode":"baseline","clock":0,"time_s":2.0,"objective":310}
{"mode":"gaia","clock":0,"time_s":1.5,"objective":305}
{"mode":"gaia","clock":1,"time_s":2.5,"objective":150}
)");
  return dir;
}

TEST(BenchPlots, ReadsSeriesLinksAndTarget) {
  absl::StatusOr<PlotData> d = ReadPlotData(PlotRunDir());
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->target_objective, 100.5);
  ASSERT_EQ(d->objective.size(), 3u);
  EXPECT_EQ(d->objective[0].mode, "lan");
  ASSERT_EQ(d->objective[0].points.size(), 2u);
  EXPECT_EQ(d->objective[0].points[1], std::make_pair(1.0, 200.0));
  EXPECT_EQ(d->objective[2].mode, "gaia");
  EXPECT_THAT(d->link_modes, ElementsAre("baseline", "gaia"));
  EXPECT_THAT(d->links, ElementsAre("a->b", "b->a"));
  EXPECT_DOUBLE_EQ(d->link_bytes[0][0], 1.2e9);
  EXPECT_DOUBLE_EQ(d->link_bytes[1][1], 2e8);
}

std::string Read(const std::string& path) { return testing::ReadTextFile(path); }

TEST(BenchPlots, WritesDataAndScriptsForPngAndSvg) {
  absl::StatusOr<PlotData> d = ReadPlotData(PlotRunDir());
  ASSERT_TRUE(d.ok()) << d.status();
  d->title = "job, 2-DC \"V/C\", bsp";
  d->costs = {{"lan", {1, 0, 0}}, {"gaia", {2, 0.5, 0.25}}, {kCentralized, {1, 0.1, 3}}};
  const std::string dir = testing::MakeTempDir("bench-plots") + "/vc-bsp";
  absl::StatusOr<std::vector<std::string>> scripts = WritePlotFiles(*d, dir);
  ASSERT_TRUE(scripts.ok()) << scripts.status();
  EXPECT_THAT(*scripts, ElementsAre("objective.gp", "wan_links.gp", "cost.gp"));

  const std::string objective_gp = Read(dir + "/objective.gp");
  EXPECT_THAT(objective_gp, HasSubstr("set terminal pngcairo"));
  EXPECT_THAT(objective_gp, HasSubstr("set output 'objective.png'"));
  EXPECT_THAT(objective_gp, HasSubstr("set terminal svg"));
  EXPECT_THAT(objective_gp, HasSubstr("set output 'objective.svg'"));
  EXPECT_THAT(objective_gp, HasSubstr("'objective.dat' index 2 using 1:2"));
  EXPECT_THAT(objective_gp, HasSubstr("title \"gaia\""));
  EXPECT_THAT(objective_gp, HasSubstr("100.5 with lines dashtype 2"));
  EXPECT_THAT(objective_gp, HasSubstr("2-DC \\\"V/C\\\""));  // quotes escaped
  EXPECT_THAT(objective_gp, HasSubstr("set logscale y"));
  const std::string objective_dat = Read(dir + "/objective.dat");
  EXPECT_THAT(objective_dat,
              HasSubstr("# mode lan\n# time_s objective\n0.500000 300\n1.000000 200\n"
                        "\n\n# mode baseline\n"));

  EXPECT_THAT(Read(dir + "/wan_links.dat"),
              HasSubstr("\"a->b\" 1200.000000 300.000000\n\"b->a\" 800.000000 200.000000\n"));
  const std::string links_gp = Read(dir + "/wan_links.gp");
  EXPECT_THAT(links_gp, HasSubstr("using 2:xtic(1) title \"baseline\""));
  EXPECT_THAT(links_gp, HasSubstr("'' using 3 title \"gaia\""));

  EXPECT_THAT(Read(dir + "/cost.dat"), HasSubstr("\"centralized\" 1 0.1 3\n"));
  const std::string cost_gp = Read(dir + "/cost.gp");
  EXPECT_THAT(cost_gp, HasSubstr("rowstacked"));
  EXPECT_THAT(cost_gp, HasSubstr("set output 'cost.svg'"));
}

TEST(BenchPlots, NoLinksOrCostsMeansNoSuchPlot) {
  PlotData d;
  d.title = "t";
  d.objective = {{"lan", {{0.1, -1}, {0.2, -2}}}};
  const std::string dir = testing::MakeTempDir("bench-plots");
  absl::StatusOr<std::vector<std::string>> scripts = WritePlotFiles(d, dir);
  ASSERT_TRUE(scripts.ok()) << scripts.status();
  EXPECT_THAT(*scripts, ElementsAre("objective.gp"));
  EXPECT_FALSE(fs::exists(dir + "/wan_links.gp"));
  // Objectives <= 0 cannot go on a log scale.
  EXPECT_THAT(Read(dir + "/objective.gp"), Not(HasSubstr("logscale")));
}

// A stand-in gnuplot: a script that records its argument and folder.
std::string FakeGnuplot(const std::string& dir, const std::string& body) {
  const std::string path = dir + "/gnuplot";
  testing::WriteTextFile(path, "#!/bin/sh\n" + body + "\n");
  chmod(path.c_str(), 0755);
  return path;
}

TEST(BenchPlots, RunGnuplotRunsTheScriptInItsFolder) {
  const std::string bin = testing::MakeTempDir("bench-bin");
  const std::string plots = testing::MakeTempDir("bench-plots");
  const std::string gnuplot = FakeGnuplot(bin, "echo \"$1\" > ran-in-here; echo noise >&2");
  absl::Status s = RunGnuplot(gnuplot, plots, "objective.gp", std::chrono::seconds(30));
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(Read(plots + "/ran-in-here"), "objective.gp\n");
  EXPECT_THAT(Read(plots + "/gnuplot.log"), HasSubstr("noise"));
}

TEST(BenchPlots, RunGnuplotReportsFailureAndTimeout) {
  const std::string bin = testing::MakeTempDir("bench-bin");
  const std::string plots = testing::MakeTempDir("bench-plots");
  absl::Status s =
      RunGnuplot(FakeGnuplot(bin, "exit 3"), plots, "cost.gp", std::chrono::seconds(30));
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("cost.gp"));
  EXPECT_THAT(s.message(), HasSubstr("exit code 3"));
  EXPECT_THAT(s.message(), HasSubstr("gnuplot.log"));

  const auto start = std::chrono::steady_clock::now();
  s = RunGnuplot(FakeGnuplot(bin, "exec sleep 30"), plots, "cost.gp", std::chrono::seconds(1));
  EXPECT_TRUE(absl::IsDeadlineExceeded(s)) << s;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(BenchPlots, FindGnuplotSearchesPath) {
  const std::string bin = testing::MakeTempDir("bench-bin");
  const std::string empty = testing::MakeTempDir("bench-empty");
  const char* old = std::getenv("PATH");
  const std::string saved = old == nullptr ? "" : old;
  const std::string gnuplot = FakeGnuplot(bin, "exit 0");
  setenv("PATH", (empty + ":" + bin).c_str(), 1);
  EXPECT_EQ(FindGnuplot(), gnuplot);
  setenv("PATH", empty.c_str(), 1);
  EXPECT_EQ(FindGnuplot(), "");
  setenv("PATH", saved.c_str(), 1);
}

}  // namespace
}  // namespace gaia::cli
