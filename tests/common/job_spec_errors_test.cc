// Rejected job specs: one test per class of mistake. Each asserts the error
// reads "<file>:<line>: <field path>: <reason>" with the right line and path.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/common/job_spec.h"

namespace gaia::common {
namespace {

constexpr char kSource[] = "err.yaml";

// Four valid lines; Spec(extra) puts `extra` at line 5.
constexpr char kMinimalSpec[] = R"(name: tiny
app: {program: mf}
tables: [{name: w, rows: 10, width: 4}]
dcs: [{name: a}, {name: b}]
)";

std::string Spec(const std::string& extra) { return kMinimalSpec + extra; }

// Passes if `text` is rejected with a message that starts with
// "err.yaml:<line>: <path>: " and contains `reason`.
::testing::AssertionResult Rejects(const std::string& text, int line, const std::string& path,
                                   const std::string& reason) {
  absl::StatusOr<JobSpec> spec = ParseJobSpec(text, kSource);
  if (spec.ok()) return ::testing::AssertionFailure() << "accepted:\n" << text;
  const std::string msg(spec.status().message());
  const std::string prefix = std::string(kSource) + ":" + std::to_string(line) + ": " + path + ": ";
  if (msg.rfind(prefix, 0) != 0 || msg.find(reason) == std::string::npos) {
    return ::testing::AssertionFailure()
           << "got:  " << msg << "\nwant: " << prefix << "..." << reason << "...";
  }
  if (spec.status().code() != absl::StatusCode::kInvalidArgument) {
    return ::testing::AssertionFailure() << "code " << spec.status().code();
  }
  return ::testing::AssertionSuccess();
}

TEST(JobSpecErrors, UnknownKeysNamedWithAcceptedList) {
  EXPECT_TRUE(Rejects(Spec("nmae: x\n"), 5, "nmae",
                      "unknown key 'nmae' (accepted: name, mode, app, tables, dcs,"));
  EXPECT_TRUE(Rejects(Spec("asp:\n  threshold: 0.1\n  treshold: 0.2\n"), 7, "asp.treshold",
                      "(accepted: significance, threshold, decay, value_floor, goal, ds, "
                      "barriers, barrier_backlog_ms, values, plugins)"));
  EXPECT_TRUE(Rejects(R"(name: t
app: {program: mf}
tables: [{name: w, rows: 10, width: 4}]
dcs:
  - name: a
  - name: b
    worker: 3
)",
                      7, "dcs[1].worker", "accepted: name, shards, workers, data"));
  EXPECT_TRUE(Rejects(R"(name: t
app: {program: mf}
tables:
  - name: w
    rows: 10
    width: 4
    init: {kind: uniform, lo: 0}
)",
                      7, "tables[0].init.lo", "unknown key 'lo'"));
  EXPECT_TRUE(Rejects(Spec("app: {program: mf}\n"), 5, "app", "duplicate key (first at line 2)"));
}

TEST(JobSpecErrors, MissingRequiredFields) {
  EXPECT_TRUE(
      Rejects("app: {program: mf}\ntables: [{name: w, rows: 1, width: 1}]\n"
              "dcs: [{name: a}]\n",
              1, "name", "required field missing"));
  EXPECT_TRUE(Rejects("name: t\ntables: [{name: w, rows: 1, width: 1}]\ndcs: [{name: a}]\n", 1,
                      "app", "required field missing"));
  EXPECT_TRUE(
      Rejects("name: t\napp:\n  clocks: 3\ntables: [{name: w, rows: 1, width: 1}]\n"
              "dcs: [{name: a}]\n",
              3, "app.program", "required field missing"));
  EXPECT_TRUE(Rejects("name: t\napp: {program: mf}\ndcs: [{name: a}]\n", 1, "tables",
                      "required field missing"));
  EXPECT_TRUE(Rejects("name: t\napp: {program: mf}\ntables: [{name: w, rows: 1, width: 1}]\n", 1,
                      "dcs", "required field missing"));
  EXPECT_TRUE(
      Rejects("name: t\napp: {program: mf}\ntables:\n  - {rows: 1, width: 1}\n"
              "dcs: [{name: a}]\n",
              4, "tables[0].name", "required field missing"));
  EXPECT_TRUE(
      Rejects("name: t\napp: {program: mf}\ntables:\n  - {name: w, width: 1}\n"
              "dcs: [{name: a}]\n",
              4, "tables[0].rows", "required field missing"));
  EXPECT_TRUE(
      Rejects("name: t\napp: {program: mf}\ntables:\n  - {name: w, rows: 1}\n"
              "dcs: [{name: a}]\n",
              4, "tables[0].width", "required field missing"));
  EXPECT_TRUE(
      Rejects("name: t\napp: {program: mf}\ntables: [{name: w, rows: 1, width: 1}]\n"
              "dcs:\n  - workers: 2\n",
              5, "dcs[0].name", "required field missing"));
  EXPECT_TRUE(Rejects(Spec("tls: {enabled: true, cert: c.pem, key: k.pem}\n"), 5, "tls.ca",
                      "required with the other of cert/key/ca"));
  EXPECT_TRUE(Rejects(Spec("tls: {dir: certs, cert: c.pem, key: k.pem, ca: ca.pem}\n"), 5,
                      "tls.dir", "give either dir or cert/key/ca, not both"));
  EXPECT_TRUE(Rejects(Spec("tls: {enabled: sometimes}\n"), 5, "tls.enabled", ""));
  EXPECT_TRUE(Rejects(R"(name: t
app: {program: mf}
tables:
  - name: w
    rows: 10
    width: 4
    init: {low: 0}
)",
                      7, "tables[0].init.kind", "required field missing"));
}

TEST(JobSpecErrors, WrongTypes) {
  EXPECT_TRUE(
      Rejects("name: t\napp: {program: mf}\ntables: [{name: w, rows: \"10\", width: 4}]\n"
              "dcs: [{name: a}]\n",
              3, "tables[0].rows", "expected an integer, got the string '10'"));
  EXPECT_TRUE(Rejects(Spec("timeout_s: soon\n"), 5, "timeout_s", "expected a number, got 'soon'"));
  EXPECT_TRUE(Rejects(Spec("asp: {barriers: yes}\n"), 5, "asp.barriers",
                      "expected true or false, got 'yes'"));
  EXPECT_TRUE(Rejects(Spec("asp: [1, 2]\n"), 5, "asp", "expected a map, got a list"));
  EXPECT_TRUE(Rejects(Spec("overlay: {name: g}\n"), 5, "overlay", "expected a list, got a map"));
  EXPECT_TRUE(
      Rejects(Spec("results_dir: [a]\n"), 5, "results_dir", "expected a string, got a list"));
  EXPECT_TRUE(Rejects(Spec("checkpoint:\n"), 5, "checkpoint", "has no value"));
  EXPECT_TRUE(Rejects("- name: t\n", 1, "(top level)", "expected a map, got a list"));
  EXPECT_TRUE(Rejects("", 1, "(top level)", "empty job spec"));
  EXPECT_TRUE(Rejects(Spec("---\nname: other\n"), 5, "(top level)", "only one YAML document"));
  EXPECT_TRUE(
      Rejects("name: t\napp:\n  program: mf\n  args:\n    lr: {a: 1}\n"
              "tables: [{name: w, rows: 1, width: 1}]\ndcs: [{name: a}]\n",
              5, "app.args.lr", "expected a string, number or bool, got a map"));
}

TEST(JobSpecErrors, NegativeNonIntegerAndOutOfRangeNumbers) {
  EXPECT_TRUE(
      Rejects("name: t\napp: {program: mf}\ntables: [{name: w, rows: 1, width: 1}]\n"
              "dcs:\n  - {name: a, workers: -2}\n",
              5, "dcs[0].workers", "must be between 1 and 4096, got -2"));
  EXPECT_TRUE(Rejects(Spec("checkpoint: {every_clocks: -1}\n"), 5, "checkpoint.every_clocks",
                      "must not be negative, got -1"));
  EXPECT_TRUE(
      Rejects("name: t\napp: {program: mf}\ntables: [{name: w, rows: 1, width: 2.5}]\n"
              "dcs: [{name: a}]\n",
              3, "tables[0].width", "expected an integer, got 2.5"));
  EXPECT_TRUE(
      Rejects("name: t\napp: {program: mf}\ntables: [{name: w, rows: 0, width: 1}]\n"
              "dcs: [{name: a}]\n",
              3, "tables[0].rows", "must be between 1 and"));
  EXPECT_TRUE(
      Rejects("name: t\napp: {program: mf}\n"
              "tables: [{name: w, rows: 99999999999999999999999, width: 1}]\n"
              "dcs: [{name: a}]\n",
              3, "tables[0].rows", "must be between 1 and"));
  EXPECT_TRUE(Rejects(Spec("consistency: {model: ssp, staleness: 1001}\n"), 5,
                      "consistency.staleness", "must be between 0 and 1000"));
  EXPECT_TRUE(Rejects(Spec("timeout_s: 0\n"), 5, "timeout_s", "must be > 0, got 0"));
  EXPECT_TRUE(Rejects(Spec("timeout_s: .inf\n"), 5, "timeout_s", "must be a finite number"));
  EXPECT_TRUE(Rejects(Spec("convergence: {window: 0}\n"), 5, "convergence.window",
                      "must be between 1 and"));
  EXPECT_TRUE(Rejects(Spec("convergence: {tolerance: 1}\n"), 5, "convergence.tolerance",
                      "must be between 0 and 1 (exclusive), got 1"));
  EXPECT_TRUE(Rejects(Spec("convergence: {tolerance: 0}\n"), 5, "convergence.tolerance",
                      "must be between 0 and 1"));
  EXPECT_TRUE(Rejects(Spec("asp: {threshold: 0}\n"), 5, "asp.threshold", "must be > 0"));
  EXPECT_TRUE(Rejects(Spec("asp: {value_floor: -1}\n"), 5, "asp.value_floor", "must be > 0"));
  EXPECT_TRUE(Rejects(Spec("asp: {ds: -1}\n"), 5, "asp.ds", "must not be negative"));
  // Reads stop once a DC is ds clocks ahead: 0 would stop them for good.
  EXPECT_TRUE(Rejects(Spec("asp: {ds: 0}\n"), 5, "asp.ds", "must be >= 1, got 0"));
  EXPECT_TRUE(
      Rejects("name: t\napp: {program: mf, clocks: 0}\n"
              "tables: [{name: w, rows: 1, width: 1}]\ndcs: [{name: a}]\n",
              2, "app.clocks", "must be between 1 and"));
  EXPECT_TRUE(
      Rejects(Spec("wan: {bandwidth_mbps: 0}\n"), 5, "wan.bandwidth_mbps", "must be > 0, got 0"));
  EXPECT_TRUE(
      Rejects(Spec("wan: {delay_ms: -0.5}\n"), 5, "wan.delay_ms", "must be >= 0, got -0.5"));
}

TEST(JobSpecErrors, BadNames) {
  EXPECT_TRUE(
      Rejects("name: \"\"\napp: {program: mf}\ntables: [{name: w, rows: 1, width: 1}]\n"
              "dcs: [{name: a}]\n",
              1, "name", "must be 1 to 128 characters"));
  EXPECT_TRUE(
      Rejects("name: a b\napp: {program: mf}\ntables: [{name: w, rows: 1, width: 1}]\n"
              "dcs: [{name: a}]\n",
              1, "name", "got 'a b'"));
  EXPECT_TRUE(
      Rejects("name: ..\napp: {program: mf}\ntables: [{name: w, rows: 1, width: 1}]\n"
              "dcs: [{name: a}]\n",
              1, "name", "must not be '.' or '..'"));
  EXPECT_TRUE(
      Rejects("name: t\napp: {program: mf}\ntables: [{name: w.1, rows: 1, width: 1}]\n"
              "dcs: [{name: a}]\n",
              3, "tables[0].name", "letters, digits and '_-'"));
  EXPECT_TRUE(
      Rejects("name: t\napp: {program: \"\"}\ntables: [{name: w, rows: 1, width: 1}]\n"
              "dcs: [{name: a}]\n",
              2, "app.program", "must not be empty"));
  EXPECT_TRUE(Rejects(Spec("asp: {significance: 2fast}\n"), 5, "asp.significance",
                      "must be a function name"));
  EXPECT_TRUE(Rejects(Spec("asp: {significance: \"\"}\n"), 5, "asp.significance",
                      "must be a function name"));
  EXPECT_TRUE(
      Rejects("name: t\napp:\n  program: mf\n  args: {--lr: 1}\n"
              "tables: [{name: w, rows: 1, width: 1}]\ndcs: [{name: a}]\n",
              4, "app.args.--lr", "argument names"));
  EXPECT_TRUE(
      Rejects("name: t\napp:\n  program: mf\n  args: {clocks: 5}\n"
              "tables: [{name: w, rows: 1, width: 1}]\ndcs: [{name: a}]\n",
              4, "app.args.clocks", "use app.clocks instead"));
}

TEST(JobSpecErrors, DuplicateTableAndDcNames) {
  EXPECT_TRUE(
      Rejects("name: t\napp: {program: mf}\ntables:\n  - {name: w, rows: 1, width: 1}\n"
              "  - {name: w, rows: 2, width: 1}\ndcs: [{name: a}]\n",
              5, "tables[1].name", "duplicate table name 'w' (also tables[0])"));
  EXPECT_TRUE(
      Rejects("name: t\napp: {program: mf}\ntables: [{name: w, rows: 1, width: 1}]\n"
              "dcs:\n  - name: a\n  - name: b\n  - name: a\n",
              7, "dcs[2].name", "duplicate DC name 'a' (also dcs[0])"));
}

TEST(JobSpecErrors, UnknownEnumValues) {
  EXPECT_TRUE(Rejects(Spec("mode: fast\n"), 5, "mode",
                      "unknown value 'fast' (accepted: lan|baseline|gaia|gaia_async)"));
  EXPECT_TRUE(Rejects(Spec("mode: [lan, GAIA]\n"), 5, "mode[1]", "unknown value 'GAIA'"));
  EXPECT_TRUE(Rejects(Spec("mode: [lan, gaia, lan]\n"), 5, "mode[2]", "listed twice"));
  EXPECT_TRUE(Rejects(Spec("mode: []\n"), 5, "mode", "at least one mode"));
  EXPECT_TRUE(
      Rejects(Spec("consistency: {model: asp}\n"), 5, "consistency.model", "(accepted: bsp|ssp)"));
  EXPECT_TRUE(Rejects(Spec("asp: {goal: money}\n"), 5, "asp.goal", "(accepted: speed|cost)"));
  EXPECT_TRUE(Rejects(Spec("asp: {values: int8}\n"), 5, "asp.values",
                      "(accepted: float32|binary16|ternary)"));
  EXPECT_TRUE(Rejects(Spec("asp: {decay: sqrt}\n"), 5, "asp.decay",
                      "(accepted: auto|none|inverse_sqrt|learning_rate)"));
  EXPECT_TRUE(
      Rejects(Spec("wan: {emulate: tc}\n"), 5, "wan.emulate", "(accepted: none|proxy|netns)"));
  EXPECT_TRUE(
      Rejects("name: t\napp: {program: mf}\n"
              "tables: [{name: w, rows: 1, width: 1, init: {kind: gaussian}}]\n"
              "dcs: [{name: a}]\n",
              3, "tables[0].init.kind", "(accepted: zeros|uniform|normal)"));
}

TEST(JobSpecErrors, InconsistentCombinations) {
  EXPECT_TRUE(Rejects(Spec("consistency:\n  model: bsp\n  staleness: 2\n"), 7,
                      "consistency.staleness", "must be 0 with model bsp"));
  EXPECT_TRUE(Rejects(Spec("consistency: {staleness: 1}\n"), 5, "consistency.staleness",
                      "must be 0 with model bsp"));
  EXPECT_TRUE(Rejects(Spec("wan:\n  preset: vc\n  matrix: m.csv\n"), 7, "wan.matrix",
                      "preset and matrix are exclusive"));
  EXPECT_TRUE(Rejects(Spec("wan:\n  preset: vc\n  delay_ms: 3\n"), 7, "wan.delay_ms",
                      "applies only when neither preset nor matrix is given"));
  EXPECT_TRUE(Rejects(Spec("wan:\n  bandwidth_mbps: 5\n  symmetric: true\n"), 7,
                      "wan.symmetric", "applies only with a preset or a matrix"));
  EXPECT_TRUE(Rejects(Spec("wan:\n  preset: vc\n  bandwidth_scale: 0\n"), 7,
                      "wan.bandwidth_scale", "must be > 0"));
  EXPECT_TRUE(
      Rejects("name: t\nmode: [lan, gaia]\napp: {program: mf}\n"
              "tables: [{name: w, rows: 1, width: 1}]\n"
              "dcs:\n  - {name: a, shards: 2}\n  - {name: b, shards: 3}\n",
              7, "dcs[1].shards", "mode gaia needs the same shard count in every DC"));
}

TEST(JobSpecErrors, BadInitParameters) {
  const std::string head =
      "name: t\napp: {program: mf}\ntables:\n  - name: w\n    rows: 1\n"
      "    width: 1\n    init:\n";  // 7 lines; init fields from line 8
  const std::string tail = "dcs: [{name: a}]\n";
  EXPECT_TRUE(Rejects(head + "      kind: uniform\n      low: 1\n      high: 1\n" + tail, 10,
                      "tables[0].init.high", "low must be < high"));
  EXPECT_TRUE(Rejects(head + "      kind: uniform\n      low: 0.5\n" + tail, 9,
                      "tables[0].init.low", "low must be < high"));
  EXPECT_TRUE(Rejects(head + "      kind: normal\n      stddev: -1\n" + tail, 9,
                      "tables[0].init.stddev", "must be >= 0, got -1"));
  EXPECT_TRUE(Rejects(head + "      kind: normal\n      low: 0\n" + tail, 9, "tables[0].init.low",
                      "does not apply to kind normal"));
  EXPECT_TRUE(Rejects(head + "      kind: zeros\n      seed: 3\n" + tail, 9, "tables[0].init.seed",
                      "does not apply to kind zeros"));
  EXPECT_TRUE(Rejects(head + "      kind: uniform\n      seed: -3\n" + tail, 9,
                      "tables[0].init.seed", "must not be negative"));
}

TEST(JobSpecErrors, BadOverlay) {
  // kMinimalSpec has DCs a and b; overlay entries start at line 6.
  EXPECT_TRUE(Rejects(Spec("overlay:\n  - {name: g1, dcs: [a, c]}\n  - {name: g2, dcs: [b]}\n"), 6,
                      "overlay[0].dcs[1]", "unknown DC 'c' (DCs: a, b)"));
  EXPECT_TRUE(Rejects(Spec("overlay:\n  - {name: g1, dcs: [a]}\n  - {name: g2, dcs: [b, a]}\n"), 7,
                      "overlay[1].dcs[1]", "DC 'a' is already in group 'g1'"));
  EXPECT_TRUE(Rejects(Spec("overlay:\n  - {name: g1, dcs: [a, a, b]}\n"), 6, "overlay[0].dcs[1]",
                      "DC 'a' is listed twice"));
  EXPECT_TRUE(
      Rejects(Spec("overlay:\n  - {name: g1, dcs: [a]}\n"), 6, "overlay", "DC 'b' is in no group"));
  EXPECT_TRUE(Rejects(Spec("overlay:\n  - {name: g1, dcs: [a]}\n  - {name: g1, dcs: [b]}\n"), 7,
                      "overlay[1].name", "duplicate group name 'g1'"));
  EXPECT_TRUE(Rejects(Spec("overlay:\n  - {name: g1, dcs: []}\n  - {name: g2, dcs: [a, b]}\n"), 6,
                      "overlay[0].dcs", "a group needs at least one DC"));
  EXPECT_TRUE(Rejects(Spec("overlay:\n  - name: g1\n    dcs: [a]\n    hubs: {g2: b}\n"
                           "  - {name: g2, dcs: [b]}\n"),
                      8, "overlay[0].hubs.g2", "hub 'b' is not a DC of group 'g1'"));
  EXPECT_TRUE(Rejects(Spec("overlay:\n  - name: g1\n    dcs: [a]\n    hubs:\n      g3: a\n"
                           "  - {name: g2, dcs: [b]}\n"),
                      9, "overlay[0].hubs.g3", "unknown group 'g3' (other groups: g2)"));
  EXPECT_TRUE(Rejects(Spec("overlay:\n  - name: g1\n    dcs: [a]\n    hubs: {g1: a}\n"
                           "  - {name: g2, dcs: [b]}\n"),
                      8, "overlay[0].hubs.g1", "no hub towards itself"));
}

TEST(JobSpecErrors, YamlSyntaxErrorsGiveTheLine) {
  absl::StatusOr<JobSpec> spec = ParseJobSpec(Spec("asp: {threshold: 0.1\n"), kSource);
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(std::string(spec.status().message()), ::testing::StartsWith("err.yaml:"));
  EXPECT_THAT(std::string(spec.status().message()), ::testing::HasSubstr(": YAML syntax error: "));

  spec = ParseJobSpec("name: t\napp: {program: mf}\n  bad indent: [\n", kSource);
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(std::string(spec.status().message()),
              ::testing::StartsWith("err.yaml:3: YAML syntax error: "));

  spec = ParseJobSpec("name: *nowhere\n", "");
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(std::string(spec.status().message()),
              ::testing::StartsWith("<string>:1: YAML syntax error: "));
}

TEST(JobSpecErrors, CountsTablesStartAtZeroAndRefuseTernary) {
  const std::string counts_table = R"(name: lda
app: {program: lda}
tables: [{name: word_topic, rows: 10, width: 4, counts: true,
          init: {kind: uniform}}]
dcs: [{name: a}, {name: b}]
)";
  EXPECT_TRUE(Rejects(counts_table, 4, "tables[0].init", "init must be kind zeros"));
  const std::string ternary = R"(name: lda
app: {program: lda}
tables: [{name: word_topic, rows: 10, width: 4, counts: true}]
dcs: [{name: a}, {name: b}]
asp: {values: ternary}
)";
  EXPECT_TRUE(Rejects(ternary, 5, "asp.values", "table word_topic holds counts"));
  const std::string not_bool = R"(name: lda
app: {program: lda}
tables: [{name: t, rows: 1, width: 1, counts: maybe}]
dcs: [{name: a}]
)";
  EXPECT_TRUE(Rejects(not_bool, 3, "tables[0].counts", ""));
}

TEST(JobSpecErrors, CountsTablesTakeBinary16AndFloat32) {
  for (const char* values : {"binary16", "float32"}) {
    absl::StatusOr<JobSpec> spec = ParseJobSpec(
        absl::StrCat("name: lda\napp: {program: lda}\n",
                     "tables: [{name: t, rows: 1, width: 2, counts: true}]\n",
                     "dcs: [{name: a}]\nasp: {values: ", values, "}\n"),
        kSource);
    ASSERT_TRUE(spec.ok()) << spec.status();
    EXPECT_TRUE(spec->tables[0].counts);
  }
}

}  // namespace
}  // namespace gaia::common
