// Valid job specs: every field parsed, defaults, mode lists, path resolution.
// Rejections are in job_spec_errors_test.cc.
#include "src/common/job_spec.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gaia::common {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

// Every field set to a non-default value.
constexpr char kFullSpec[] = R"(# A full job spec.
name: mf-2dc.v1
mode: [lan, baseline, gaia, gaia_async]
app:
  program: mf
  args:
    lr: 0.01
    rank: 16
    verbose: true
    optimizer: "sgd"
  clocks: 50
tables:
  - name: user_factors
    rows: 1000
    width: 16
    init: {kind: uniform, low: -0.5, high: 0.5, seed: 7}
  - name: item-factors
    rows: 2e3
    width: 8
    init: {kind: normal, mean: 0.25, stddev: 0.01, seed: 9}
  - name: bias
    rows: 1
    width: 1
dcs:
  - {name: virginia, shards: 2, workers: 3, data: synthetic:seed=1}
  - {name: california, shards: 2, workers: 1, data: /data/part1.txt}
  - {name: oregon, shards: 2, workers: 2}
consistency: {model: ssp, staleness: 3}
asp:
  significance: row_relative
  threshold: 0.05
  decay: learning_rate
  value_floor: 0.0001
  goal: cost
  ds: 4
  barriers: false
  barrier_backlog_ms: 25
  values: ternary
  plugins: [libmine.so, /opt/gaia/libother.so]
overlay:
  - name: east
    dcs: [virginia]
    hubs: {west: virginia}
  - name: west
    dcs: [california, oregon]
    hubs: {east: oregon}
wan:
  emulate: proxy
  preset: ec2-11
  symmetric: true
  bandwidth_scale: 0.25
tls: {enabled: true, cert: /pki/c.pem, key: /pki/k.pem, ca: /pki/ca.pem}
checkpoint: {every_clocks: 10, dir: /ckpt, save_final: true}
results_dir: out
timeout_s: 120.5
convergence: {window: 5, tolerance: 0.05}
)";

constexpr char kMinimalSpec[] = R"(name: tiny
app: {program: mf}
tables: [{name: w, rows: 10, width: 4}]
dcs: [{name: a}]
)";

TEST(JobSpec, FullSpecFillsEveryField) {
  absl::StatusOr<JobSpec> spec = ParseJobSpec(kFullSpec, "full.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->source, "full.yaml");
  EXPECT_EQ(spec->name, "mf-2dc.v1");
  EXPECT_THAT(spec->modes, ElementsAre(Mode::kLan, Mode::kBaseline, Mode::kGaia, Mode::kGaiaAsync));

  EXPECT_EQ(spec->app.program, "mf");
  EXPECT_THAT(spec->app.args, ElementsAre(Pair("lr", "0.01"), Pair("rank", "16"),
                                          Pair("verbose", "true"), Pair("optimizer", "sgd")));
  EXPECT_EQ(spec->app.clocks, 50u);

  ASSERT_EQ(spec->tables.size(), 3u);
  const TableSpec& u = spec->tables[0];
  EXPECT_EQ(u.name, "user_factors");
  EXPECT_EQ(u.rows, 1000u);
  EXPECT_EQ(u.width, 16u);
  EXPECT_EQ(u.init, InitKind::kUniform);
  EXPECT_DOUBLE_EQ(u.init_low, -0.5);
  EXPECT_DOUBLE_EQ(u.init_high, 0.5);
  EXPECT_EQ(u.init_seed, 7u);
  const TableSpec& v = spec->tables[1];
  EXPECT_EQ(v.name, "item-factors");
  EXPECT_EQ(v.rows, 2000u);  // 2e3 is an integer
  EXPECT_EQ(v.width, 8u);
  EXPECT_EQ(v.init, InitKind::kNormal);
  EXPECT_DOUBLE_EQ(v.init_mean, 0.25);
  EXPECT_DOUBLE_EQ(v.init_stddev, 0.01);
  EXPECT_EQ(v.init_seed, 9u);
  const TableSpec& b = spec->tables[2];
  EXPECT_EQ(b.name, "bias");
  EXPECT_EQ(b.init, InitKind::kZeros);

  ASSERT_EQ(spec->dcs.size(), 3u);
  EXPECT_EQ(spec->dcs[0].name, "virginia");
  EXPECT_EQ(spec->dcs[0].shards, 2u);
  EXPECT_EQ(spec->dcs[0].workers, 3u);
  EXPECT_EQ(spec->dcs[0].data, "synthetic:seed=1");
  EXPECT_EQ(spec->dcs[1].name, "california");
  EXPECT_EQ(spec->dcs[1].workers, 1u);
  EXPECT_EQ(spec->dcs[1].data, "/data/part1.txt");
  EXPECT_EQ(spec->dcs[2].name, "oregon");
  EXPECT_EQ(spec->dcs[2].workers, 2u);
  EXPECT_EQ(spec->dcs[2].data, "");

  EXPECT_EQ(spec->consistency.model, ConsistencyModel::kSsp);
  EXPECT_EQ(spec->consistency.staleness, 3);

  EXPECT_EQ(spec->asp.significance, "row_relative");
  EXPECT_DOUBLE_EQ(spec->asp.threshold, 0.05);
  EXPECT_EQ(spec->asp.decay, ThresholdDecay::kLearningRate);
  EXPECT_DOUBLE_EQ(spec->asp.value_floor, 0.0001);
  EXPECT_EQ(spec->asp.goal, AspGoal::kCost);
  EXPECT_EQ(spec->asp.ds, 4);
  EXPECT_FALSE(spec->asp.barriers);
  EXPECT_DOUBLE_EQ(spec->asp.barrier_backlog_ms, 25);
  EXPECT_EQ(spec->asp.values, AspValues::kTernary);
  EXPECT_THAT(spec->asp.plugins, ElementsAre("libmine.so", "/opt/gaia/libother.so"));

  ASSERT_EQ(spec->overlay.size(), 2u);
  EXPECT_EQ(spec->overlay[0].name, "east");
  EXPECT_THAT(spec->overlay[0].dcs, ElementsAre("virginia"));
  EXPECT_THAT(spec->overlay[0].hubs, ElementsAre(Pair("west", "virginia")));
  EXPECT_EQ(spec->overlay[1].name, "west");
  EXPECT_THAT(spec->overlay[1].dcs, ElementsAre("california", "oregon"));
  EXPECT_THAT(spec->overlay[1].hubs, ElementsAre(Pair("east", "oregon")));

  EXPECT_EQ(spec->wan.emulate, WanEmulation::kProxy);
  EXPECT_EQ(spec->wan.preset, "ec2-11");
  EXPECT_EQ(spec->wan.matrix, "");
  EXPECT_TRUE(spec->wan.symmetric);
  EXPECT_DOUBLE_EQ(spec->wan.bandwidth_scale, 0.25);

  EXPECT_EQ(spec->tls.enabled, TlsMode::kOn);
  EXPECT_TRUE(TlsOn(*spec));
  EXPECT_EQ(spec->tls.cert, "/pki/c.pem");
  EXPECT_EQ(spec->tls.key, "/pki/k.pem");
  EXPECT_EQ(spec->tls.ca, "/pki/ca.pem");

  EXPECT_EQ(spec->checkpoint.every_clocks, 10u);
  EXPECT_EQ(spec->checkpoint.dir, "/ckpt");
  EXPECT_TRUE(spec->checkpoint.save_final);

  EXPECT_EQ(spec->results_dir, "out");
  EXPECT_DOUBLE_EQ(spec->timeout_s, 120.5);
  EXPECT_DOUBLE_EQ(spec->convergence_window, 5);
  EXPECT_DOUBLE_EQ(spec->convergence_tolerance, 0.05);
}

TEST(JobSpec, OmittedFieldsKeepDocumentedDefaults) {
  absl::StatusOr<JobSpec> spec = ParseJobSpec(kMinimalSpec, "");
  ASSERT_TRUE(spec.ok()) << spec.status();
  const JobSpec d;
  EXPECT_EQ(spec->source, "");
  EXPECT_THAT(spec->modes, ElementsAre(Mode::kGaia));
  EXPECT_TRUE(spec->app.args.empty());
  EXPECT_EQ(spec->app.clocks, 100u);
  const TableSpec& t = spec->tables.at(0);
  EXPECT_EQ(t.init, InitKind::kZeros);
  EXPECT_DOUBLE_EQ(t.init_low, -0.1);
  EXPECT_DOUBLE_EQ(t.init_high, 0.1);
  EXPECT_DOUBLE_EQ(t.init_mean, 0.0);
  EXPECT_DOUBLE_EQ(t.init_stddev, 0.1);
  EXPECT_EQ(t.init_seed, 1u);
  EXPECT_EQ(spec->dcs.at(0).shards, 1u);
  EXPECT_EQ(spec->dcs.at(0).workers, 1u);
  EXPECT_EQ(spec->dcs.at(0).data, "");
  EXPECT_EQ(spec->consistency.model, ConsistencyModel::kBsp);
  EXPECT_EQ(spec->consistency.staleness, 0);
  EXPECT_EQ(spec->asp.significance, "relative");
  EXPECT_DOUBLE_EQ(spec->asp.threshold, 0.01);
  EXPECT_EQ(spec->asp.decay, ThresholdDecay::kAuto);
  EXPECT_DOUBLE_EQ(spec->asp.value_floor, 1e-3);
  EXPECT_EQ(spec->asp.goal, AspGoal::kSpeed);
  EXPECT_EQ(spec->asp.ds, 2);
  EXPECT_TRUE(spec->asp.barriers);
  EXPECT_EQ(spec->asp.values, AspValues::kBinary16);
  EXPECT_DOUBLE_EQ(spec->asp.barrier_backlog_ms, 100);
  EXPECT_TRUE(spec->asp.plugins.empty());
  EXPECT_TRUE(spec->overlay.empty());
  EXPECT_EQ(spec->wan.emulate, WanEmulation::kNone);
  EXPECT_EQ(spec->wan.preset, "");
  EXPECT_EQ(spec->wan.matrix, "");
  EXPECT_DOUBLE_EQ(spec->wan.bandwidth_mbps, 100.0);
  EXPECT_DOUBLE_EQ(spec->wan.delay_ms, 0.0);
  EXPECT_EQ(spec->tls.enabled, TlsMode::kAuto);
  EXPECT_FALSE(TlsOn(*spec)) << "auto is off for a job on the launcher's host only";
  EXPECT_EQ(spec->checkpoint.every_clocks, 0u);
  EXPECT_EQ(spec->checkpoint.dir, "");
  EXPECT_FALSE(spec->checkpoint.save_final);
  EXPECT_EQ(spec->results_dir, "results");
  EXPECT_DOUBLE_EQ(spec->timeout_s, d.timeout_s);
  EXPECT_DOUBLE_EQ(spec->convergence_window, 10);
  EXPECT_DOUBLE_EQ(spec->convergence_tolerance, 0.02);
}

TEST(JobSpec, ModeIsANameOrAnOrderedList) {
  std::string text = std::string(kMinimalSpec) + "mode: lan\n";
  absl::StatusOr<JobSpec> spec = ParseJobSpec(text, "m.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_THAT(spec->modes, ElementsAre(Mode::kLan));

  text = std::string(kMinimalSpec) + "mode: [gaia_async, lan]\n";
  spec = ParseJobSpec(text, "m.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_THAT(spec->modes, ElementsAre(Mode::kGaiaAsync, Mode::kLan));

  text = std::string(kMinimalSpec) + "mode: \"baseline\"\n";
  spec = ParseJobSpec(text, "m.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_THAT(spec->modes, ElementsAre(Mode::kBaseline));
}

TEST(JobSpec, ModeNamesRoundTrip) {
  for (Mode m : {Mode::kLan, Mode::kBaseline, Mode::kGaia, Mode::kGaiaAsync}) {
    absl::StatusOr<Mode> parsed = ParseMode(ModeName(m));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, m);
  }
  EXPECT_STREQ(ModeName(Mode::kGaiaAsync), "gaia_async");
  absl::StatusOr<Mode> bad = ParseMode("GAIA");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("GAIA"));
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("lan, baseline, gaia, gaia_async"));
}

TEST(JobSpec, UnequalShardCountsAreFineWithoutPerDcCopies) {
  const std::string text = R"(name: t
mode: [lan, baseline]
app: {program: mf}
tables: [{name: w, rows: 10, width: 4}]
dcs: [{name: a, shards: 1}, {name: b, shards: 3}]
)";
  EXPECT_TRUE(ParseJobSpec(text, "t.yaml").ok());
}

TEST(JobSpec, ArgsKeepScalarsAsWritten) {
  const std::string text = std::string(kMinimalSpec) +
                           "app: {program: mf, args: {z: 1.50, a: \"x y\", m: off, n: -3}}\n";
  // `app` appears twice: the duplicate is an error, not a silent override.
  EXPECT_FALSE(ParseJobSpec(text, "t.yaml").ok());
  const std::string ok_text = R"(name: t
app: {program: mf, args: {z: 1.50, a: "x y", m: off, n: -3}}
tables: [{name: w, rows: 10, width: 4}]
dcs: [{name: a}]
)";
  absl::StatusOr<JobSpec> spec = ParseJobSpec(ok_text, "t.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_THAT(spec->app.args,
              ElementsAre(Pair("z", "1.50"), Pair("a", "x y"), Pair("m", "off"), Pair("n", "-3")));
}

TEST(JobSpec, UnlistedHubsDefaultToTheGroupsFirstDc) {
  const std::string text = R"(name: t
app: {program: mf}
tables: [{name: w, rows: 10, width: 4}]
dcs: [{name: a}, {name: b}, {name: c}, {name: d}]
overlay:
  - {name: g1, dcs: [a, b], hubs: {g3: b}}
  - {name: g2, dcs: [c]}
  - {name: g3, dcs: [d]}
)";
  absl::StatusOr<JobSpec> spec = ParseJobSpec(text, "t.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_EQ(spec->overlay.size(), 3u);
  EXPECT_THAT(spec->overlay[0].hubs, ElementsAre(Pair("g2", "a"), Pair("g3", "b")));
  EXPECT_THAT(spec->overlay[1].hubs, ElementsAre(Pair("g1", "c"), Pair("g3", "c")));
  EXPECT_THAT(spec->overlay[2].hubs, ElementsAre(Pair("g1", "d"), Pair("g2", "d")));
}

// The full example in docs/JOB_SPEC.md must stay valid.
TEST(JobSpec, DocumentedExampleParses) {
  // gaia_add_test compiles in the source tree's path (not __FILE__, which a
  // compiler cache may make relative to the build folder).
  const std::filesystem::path md = std::filesystem::path(GAIA_TEST_SOURCE_DIR) / "docs" /
                                   "JOB_SPEC.md";
  ASSERT_TRUE(std::filesystem::exists(md)) << md << " not found";
  std::ifstream in(md);
  ASSERT_TRUE(in.good()) << md;
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t begin = doc.find("```yaml\n");
  ASSERT_NE(begin, std::string::npos);
  const size_t end = doc.find("```", begin + 8);
  ASSERT_NE(end, std::string::npos);
  absl::StatusOr<JobSpec> spec =
      ParseJobSpec(doc.substr(begin + 8, end - begin - 8), "JOB_SPEC.md");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->modes.size(), 3u);
  EXPECT_EQ(spec->dcs.size(), 3u);
  EXPECT_EQ(spec->overlay.size(), 2u);
}

class JobSpecFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::path(::testing::TempDir()) /
           (std::string("gaia_job_spec_") + info->name() + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "specs" / "data");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& rel, const std::string& text) {
    const std::filesystem::path p = dir_ / rel;
    std::ofstream(p) << text;
    return p.string();
  }

  std::filesystem::path dir_;
};

TEST_F(JobSpecFileTest, RelativePathsResolveAgainstTheSpecFolder) {
  Write("specs/ratings", "1 2 3\n");  // exists: a path although it has no '/' or '.'
  const std::string path = Write("specs/job.yaml", R"(name: t
app: {program: ./bin/my_app}
tables: [{name: w, rows: 10, width: 4}]
dcs:
  - {name: a, data: data/part0.csv}
  - {name: b, data: synthetic}
  - {name: c, data: ratings}
  - {name: d, data: /abs/part3}
  - {name: e, data: netflix}
  - {name: f, data: "movielens:ml/u.data"}
  - {name: g, data: "netflix:/abs/nf"}
  - {name: h, data: "brown,dc=0,dcs=2,test=0.1"}
  - {name: i, data: "uci:corpus/docword.kos.txt,dc=1,dcs=2"}
wan: {emulate: proxy, matrix: ../links.csv}
tls: {enabled: true, cert: c.pem, key: /k.pem, ca: pki/ca.pem}
)");
  absl::StatusOr<JobSpec> spec = ParseJobSpecFile(path);
  ASSERT_TRUE(spec.ok()) << spec.status();
  const std::filesystem::path base = std::filesystem::absolute(dir_ / "specs");
  EXPECT_EQ(spec->source, path);
  EXPECT_EQ(spec->app.program, (base / "bin/my_app").lexically_normal().string());
  EXPECT_EQ(spec->dcs[0].data, (base / "data/part0.csv").string());
  EXPECT_EQ(spec->dcs[1].data, "synthetic");
  EXPECT_EQ(spec->dcs[2].data, (base / "ratings").string());
  EXPECT_EQ(spec->dcs[3].data, "/abs/part3");
  EXPECT_EQ(spec->dcs[5].data, "movielens:" + (base / "ml/u.data").string());  // format kept
  EXPECT_EQ(spec->dcs[6].data, "netflix:/abs/nf");
  EXPECT_EQ(spec->dcs[4].data, "netflix");  // not path-like, does not exist: the app's
  // Options after the first ',' are not part of the path.
  EXPECT_EQ(spec->dcs[7].data, "brown,dc=0,dcs=2,test=0.1");
  EXPECT_EQ(spec->dcs[8].data, "uci:" + (base / "corpus/docword.kos.txt").string() + ",dc=1,dcs=2");
  EXPECT_EQ(spec->wan.matrix, (base.parent_path() / "links.csv").string());
  EXPECT_EQ(spec->tls.cert, (base / "c.pem").string());
  EXPECT_EQ(spec->tls.key, "/k.pem");
  EXPECT_EQ(spec->tls.ca, (base / "pki/ca.pem").string());
}

TEST_F(JobSpecFileTest, ProgramNamesWithoutSlashAreNotPaths) {
  const std::string path = Write("specs/job.yaml", kMinimalSpec);
  absl::StatusOr<JobSpec> spec = ParseJobSpecFile(path);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->app.program, "mf");
  EXPECT_EQ(spec->results_dir, "results");  // relative to the working directory
}

TEST_F(JobSpecFileTest, StringsAreNotResolved) {
  const std::string text = R"(name: t
app: {program: bin/app}
tables: [{name: w, rows: 10, width: 4}]
dcs: [{name: a, data: d/part0}]
)";
  absl::StatusOr<JobSpec> spec = ParseJobSpec(text, (dir_ / "x.yaml").string());
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->app.program, "bin/app");
  EXPECT_EQ(spec->dcs[0].data, "d/part0");
}

TEST_F(JobSpecFileTest, MissingFileNamesPathAndReason) {
  const std::string path = (dir_ / "nope.yaml").string();
  absl::StatusOr<JobSpec> spec = ParseJobSpecFile(path);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().message(), "cannot read " + path + ": No such file or directory");
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(JobSpecFileTest, DirectoryIsNotASpec) {
  absl::StatusOr<JobSpec> spec = ParseJobSpecFile((dir_ / "specs").string());
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(std::string(spec.status().message()),
              HasSubstr("cannot read " + (dir_ / "specs").string()));
}

TEST_F(JobSpecFileTest, ErrorsNameTheFile) {
  const std::string path = Write("specs/bad.yaml", "name: t\napp: {program: mf}\nbogus: 1\n");
  absl::StatusOr<JobSpec> spec = ParseJobSpecFile(path);
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(std::string(spec.status().message()),
              HasSubstr(path + ":3: bogus: unknown key 'bogus'"));
}

}  // namespace
}  // namespace gaia::common
