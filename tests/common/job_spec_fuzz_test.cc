// Robustness: thousands of seeded random corruptions of a valid spec. The
// parser must never crash, hang or throw, and every error must name the source
// (DESIGN.md §5: bad input gets a clear error, never a crash).
#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "src/common/job_spec.h"

namespace gaia::common {
namespace {

constexpr char kValidSpec[] = R"(name: fuzz-job
mode: [lan, gaia]
app:
  program: ./bin/mf
  args: {lr: 0.01, rank: 8, verbose: true}
  clocks: 20
tables:
  - name: w
    rows: 100
    width: 8
    init: {kind: normal, mean: 0, stddev: 0.1, seed: 3}
  - {name: h, rows: 50, width: 8, init: {kind: uniform, low: -1, high: 1}}
dcs:
  - {name: east, shards: 2, workers: 2, data: data/east.txt}
  - {name: west, shards: 2, workers: 1, data: synthetic}
consistency: {model: ssp, staleness: 1}
asp: {significance: relative, threshold: 0.02, decay: inverse_sqrt, goal: speed, ds: 2}
overlay:
  - {name: g1, dcs: [east], hubs: {g2: east}}
  - {name: g2, dcs: [west], hubs: {g1: west}}
wan: {emulate: proxy, preset: vc}
tls: {enabled: false}
checkpoint: {every_clocks: 5, save_final: true}
results_dir: "results dir"
timeout_s: 600
convergence: {window: 10, tolerance: 0.02}
)";

std::vector<std::string> SplitLines(const std::string& s) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < s.size()) {
    size_t end = s.find('\n', start);
    if (end == std::string::npos) end = s.size();
    lines.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string s;
  for (const std::string& l : lines) s += l + "\n";
  return s;
}

// One random edit: characters or lines deleted, duplicated, swapped,
// replaced by YAML punctuation, or the text truncated.
void Mutate(std::mt19937_64& rng, std::string* text) {
  if (text->empty()) return;
  auto pick = [&rng](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  static constexpr char kNoise[] = ":-[]{},\"'#&*!|>?%@` \t\n0123456789abz.";
  std::vector<std::string> lines = SplitLines(*text);
  switch (pick(9)) {
    case 0:
      text->erase(pick(text->size()), 1);
      break;
    case 1: {
      const size_t i = pick(text->size());
      text->insert(i, 1, (*text)[i]);
      break;
    }
    case 2:
      std::swap((*text)[pick(text->size())], (*text)[pick(text->size())]);
      break;
    case 3:
      (*text)[pick(text->size())] = kNoise[pick(sizeof(kNoise) - 1)];
      break;
    case 4:
      text->insert(pick(text->size()), 1, kNoise[pick(sizeof(kNoise) - 1)]);
      break;
    case 5:
      text->resize(pick(text->size()));
      break;
    case 6:
      if (!lines.empty()) {
        lines.erase(lines.begin() + pick(lines.size()));
        *text = JoinLines(lines);
      }
      break;
    case 7:
      if (!lines.empty()) {
        const size_t i = pick(lines.size());
        lines.insert(lines.begin() + i, lines[i]);
        *text = JoinLines(lines);
      }
      break;
    case 8:
      if (!lines.empty()) {
        std::swap(lines[pick(lines.size())], lines[pick(lines.size())]);
        *text = JoinLines(lines);
      }
      break;
  }
}

TEST(JobSpecFuzz, RandomCorruptionsNeverCrashAndAlwaysNameTheSource) {
  ASSERT_TRUE(ParseJobSpec(kValidSpec, "fuzz.yaml").ok());
  std::mt19937_64 rng(20240601);
  constexpr int kIterations = 3000;
  int accepted = 0;
  for (int i = 0; i < kIterations; ++i) {
    std::string text = kValidSpec;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) Mutate(rng, &text);
    absl::StatusOr<JobSpec> spec = ParseJobSpec(text, "fuzz.yaml");
    if (spec.ok()) {
      ++accepted;
      // Whatever was accepted still satisfies the documented invariants.
      EXPECT_FALSE(spec->name.empty());
      EXPECT_FALSE(spec->tables.empty());
      EXPECT_FALSE(spec->dcs.empty());
      EXPECT_FALSE(spec->modes.empty());
      continue;
    }
    const std::string msg(spec.status().message());
    ASSERT_EQ(msg.rfind("fuzz.yaml:", 0), 0u)
        << "iteration " << i << ": " << msg << "\n--- input ---\n"
        << text;
    ASSERT_LT(msg.size(), 2000u) << msg;
  }
  // Both outcomes must occur, or the mutations are not exercising anything.
  EXPECT_GT(accepted, 0);
  EXPECT_LT(accepted, kIterations);
}

// yaml-cpp 0.7 loops forever, allocating, on a stray ',' outside a flow
// collection (jbeder/yaml-cpp#1040); the parser must stop with an error.
TEST(JobSpecFuzz, StrayCommaIsASyntaxErrorNotAHang) {
  for (const char* text : {",", ",a: b", "# comment\n  ,name: t\n"}) {
    absl::StatusOr<JobSpec> spec = ParseJobSpec(text, "comma.yaml");
    ASSERT_FALSE(spec.ok()) << text;
    EXPECT_EQ(std::string(spec.status().message()).rfind("comma.yaml:", 0), 0u) << spec.status();
    EXPECT_NE(std::string(spec.status().message()).find("YAML syntax error: unexpected ','"),
              std::string::npos)
        << spec.status();
  }
}

}  // namespace
}  // namespace gaia::common
