#include "src/wan/link_matrix.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace gaia::wan {
namespace {

namespace fs = std::filesystem;

constexpr char kThree[] =
    "from,to,bandwidth_mbps,delay_ms\n"
    "a,b,100,10\n"
    "b,a,100,10\n"
    "a,c,50,20\n"
    "c,a,50,20\n"
    "b,c,25.5,0\n"
    "c,b,25.5,0\n";

// Parses `text` (named "t.csv"), expects failure and returns the message.
std::string ErrorOf(const std::string& text, bool symmetric = false) {
  absl::StatusOr<LinkMatrix> matrix = ParseLinkMatrix(text, "t.csv", symmetric);
  if (matrix.ok()) return "(parsed OK)";
  EXPECT_TRUE(absl::IsInvalidArgument(matrix.status())) << matrix.status();
  return std::string(matrix.status().message());
}

// kThree with line `line` (1-based) replaced by `replacement`.
std::string WithLine(int line, const std::string& replacement) {
  std::vector<std::string> lines;
  std::string text = kThree;
  for (size_t start = 0; start < text.size();) {
    const size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  lines[line - 1] = replacement;
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

TEST(LinkMatrix, ParsesCommentsBlankLinesCrlfAndWhitespace) {
  const std::string text =
      "# a test matrix\r\n"
      "\r\n"
      "   # indented comment\n"
      " from , to,bandwidth_mbps ,\tdelay_ms \r\n"
      "x, y ,1e2,  12.5\r\n"
      "\n"
      "  \t \n"
      "y,x,0.5,-0\r\n"
      "# trailing comment";
  absl::StatusOr<LinkMatrix> m = ParseLinkMatrix(text, "t.csv", false);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->regions(), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(m->num_links(), 2u);
  EXPECT_EQ(m->source(), "t.csv");
  ASSERT_TRUE(m->Find("x", "y").has_value());
  EXPECT_EQ(m->Find("x", "y")->bandwidth_mbps, 100);
  EXPECT_EQ(m->Find("x", "y")->delay_ms, 12.5);
  ASSERT_TRUE(m->Find("y", "x").has_value());
  EXPECT_EQ(m->Find("y", "x")->bandwidth_mbps, 0.5);
  EXPECT_EQ(m->Find("y", "x")->delay_ms, 0);
  EXPECT_FALSE(std::signbit(m->Find("y", "x")->delay_ms));  // "-0" is stored as 0
  EXPECT_FALSE(m->Find("x", "x").has_value());
  EXPECT_FALSE(m->Find("x", "z").has_value());
}

TEST(LinkMatrix, RegionsKeepTheirFirstAppearanceOrder) {
  absl::StatusOr<LinkMatrix> m = ParseLinkMatrix(kThree, "t.csv", false);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->regions(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(m->num_links(), 6u);
  EXPECT_EQ(m->Find("c", "b")->bandwidth_mbps, 25.5);
}

TEST(LinkMatrix, ErrorMessageHasSourceLineFieldAndValue) {
  std::string text = kThree;
  text = "# c1\n# c2\n\n" + WithLine(4, "a,c,-3,20");  // the bad line is now line 7
  EXPECT_EQ(ErrorOf(text), "t.csv:7: bandwidth_mbps: must be > 0, got -3");
}

TEST(LinkMatrix, HeaderErrors) {
  EXPECT_TRUE(StartsWith(ErrorOf(""), "t.csv:1: header: missing")) << ErrorOf("");
  EXPECT_TRUE(StartsWith(ErrorOf("# only\n\n# comments\n"), "t.csv:3: header: missing"))
      << ErrorOf("# only\n\n# comments\n");
  EXPECT_TRUE(StartsWith(ErrorOf("# x\na,b,1,2\n"), "t.csv:2: header: expected"));
  EXPECT_TRUE(StartsWith(ErrorOf("from,to,bandwidth,delay_ms\n"), "t.csv:1: header: expected"));
  EXPECT_TRUE(StartsWith(ErrorOf("to,from,bandwidth_mbps,delay_ms\n"), "t.csv:1: header:"));
  EXPECT_TRUE(StartsWith(ErrorOf("from,to,bandwidth_mbps,delay_ms,x\n"), "t.csv:1: header:"));
  EXPECT_TRUE(StartsWith(ErrorOf("\nfrom,to,bandwidth_mbps,delay_ms\n# none\n"),
                         "t.csv:2: header: no links"));
}

TEST(LinkMatrix, EveryLineErrorNamesItsLineAndField) {
  struct Case {
    std::string line;  // replaces line 4 ("a,c,50,20")
    std::string expected_prefix;
  };
  const std::vector<Case> cases = {
      {"a,c,50", "t.csv:4: expected 4 comma-separated fields"},
      {"a,c,50,20,1", "t.csv:4: expected 4 comma-separated fields"},
      {"a c 50 20", "t.csv:4: expected 4 comma-separated fields"},
      {",c,50,20", "t.csv:4: from: empty"},
      {"a,  ,50,20", "t.csv:4: to: empty"},
      {"a b,c,50,20", "t.csv:4: from: bad region name 'a b'"},
      {"a,c/d,50,20", "t.csv:4: to: bad region name 'c/d'"},
      {"a,a,50,20", "t.csv:4: to: same region as from"},
      {"a,c,,20", "t.csv:4: bandwidth_mbps: empty"},
      {"a,c,12abc,20", "t.csv:4: bandwidth_mbps: not a finite number: '12abc'"},
      {"a,c,nan,20", "t.csv:4: bandwidth_mbps: not a finite number: 'nan'"},
      {"a,c,inf,20", "t.csv:4: bandwidth_mbps: not a finite number: 'inf'"},
      {"a,c,1e999,20", "t.csv:4: bandwidth_mbps: not a finite number"},
      {"a,c,0x10,20", "t.csv:4: bandwidth_mbps: not a finite number"},
      {"a,c,5 0,20", "t.csv:4: bandwidth_mbps: not a finite number: '5 0'"},
      {"a,c,0,20", "t.csv:4: bandwidth_mbps: must be > 0, got 0"},
      {"a,c,-3,20", "t.csv:4: bandwidth_mbps: must be > 0, got -3"},
      {"a,c,2e6,20", "t.csv:4: bandwidth_mbps: must be <= 1000000, got 2e6"},
      {"a,c,50,", "t.csv:4: delay_ms: empty"},
      {"a,c,50,-1", "t.csv:4: delay_ms: must be >= 0, got -1"},
      {"a,c,50,-inf", "t.csv:4: delay_ms: not a finite number: '-inf'"},
      {"a,c,50,20ms", "t.csv:4: delay_ms: not a finite number: '20ms'"},
      {"a,c,50,7e5", "t.csv:4: delay_ms: must be <= 600000, got 7e5"},
      {"a,b,50,20", "t.csv:4: from,to: link a->b given twice (first on line 2)"},
  };
  for (const Case& c : cases) {
    const std::string message = ErrorOf(WithLine(4, c.line));
    EXPECT_TRUE(StartsWith(message, c.expected_prefix))
        << "line '" << c.line << "': got '" << message << "', want '" << c.expected_prefix
        << "...'";
    // symmetric does not relax any line error.
    EXPECT_EQ(ErrorOf(WithLine(4, c.line), /*symmetric=*/true), message);
  }
}

TEST(LinkMatrix, ErrorsUseCrlfFileLineNumbers) {
  const std::string text = "# x\r\nfrom,to,bandwidth_mbps,delay_ms\r\na,b,1,1\r\nb,a,1,nan\r\n";
  EXPECT_EQ(ErrorOf(text), "t.csv:4: delay_ms: not a finite number: 'nan'");
}

TEST(LinkMatrix, MissingPairIsAnErrorNamingTheFirstOne) {
  // b->c is missing; a->b, b->a, ... are present.
  std::string text = WithLine(6, "# b,c removed");
  const std::string message = ErrorOf(text);
  EXPECT_TRUE(StartsWith(message, "t.csv:7: end of matrix: no link b->c;")) << message;
  EXPECT_NE(message.find("symmetric"), std::string::npos) << message;

  // A region that appears in one link only: the first missing pair in
  // region order is b->a.
  const std::string one_way = "from,to,bandwidth_mbps,delay_ms\na,b,1,1\n";
  EXPECT_TRUE(StartsWith(ErrorOf(one_way), "t.csv:2: end of matrix: no link b->a;"))
      << ErrorOf(one_way);
}

TEST(LinkMatrix, SymmetricFillsTheReverseOfOneWayPairsOnly) {
  const std::string text =
      "from,to,bandwidth_mbps,delay_ms\n"
      "a,b,100,10\n"
      "b,a,40,30\n"  // both ways: each keeps its own numbers
      "a,c,50,20\n"  // one way: c->a gets the same numbers
      "c,b,25,5\n";  // one way: b->c gets the same numbers
  EXPECT_TRUE(StartsWith(ErrorOf(text), "t.csv:5: end of matrix: no link b->c;")) << ErrorOf(text);

  absl::StatusOr<LinkMatrix> m = ParseLinkMatrix(text, "t.csv", /*symmetric=*/true);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->num_links(), 6u);
  EXPECT_EQ(m->regions(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(m->Find("a", "b")->bandwidth_mbps, 100);
  EXPECT_EQ(m->Find("b", "a")->bandwidth_mbps, 40);
  EXPECT_EQ(m->Find("b", "a")->delay_ms, 30);
  EXPECT_EQ(m->Find("c", "a")->bandwidth_mbps, 50);
  EXPECT_EQ(m->Find("c", "a")->delay_ms, 20);
  EXPECT_EQ(m->Find("b", "c")->bandwidth_mbps, 25);
  EXPECT_EQ(m->Find("b", "c")->delay_ms, 5);
}

TEST(LinkMatrix, SymmetricStillNeedsEveryPairOneWay) {
  const std::string text =
      "from,to,bandwidth_mbps,delay_ms\n"
      "a,b,100,10\n"
      "b,c,50,20\n";  // nothing between a and c
  const std::string message = ErrorOf(text, /*symmetric=*/true);
  EXPECT_TRUE(StartsWith(message, "t.csv:3: end of matrix: no link a->c;")) << message;
}

TEST(LinkMatrix, CheckCovers) {
  LinkMatrix m;
  m.set_source("m.csv");
  m.Set("a", "b", {10, 1});
  m.Set("b", "a", {10, 1});
  m.Set("b", "c", {10, 1});
  m.Set("c", "b", {10, 1});
  EXPECT_EQ(m.regions(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(m.CheckCovers({}).ok());
  EXPECT_TRUE(m.CheckCovers({"a"}).ok());
  EXPECT_TRUE(m.CheckCovers({"a", "b"}).ok());
  EXPECT_TRUE(m.CheckCovers({"c", "b"}).ok());

  absl::Status s = m.CheckCovers({"a", "b", "c"});
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_EQ(s.message(), "m.csv: no link a->c (regions: a, b, c)");

  s = m.CheckCovers({"b", "lima"});
  EXPECT_EQ(s.message(), "m.csv: no link b->lima (regions: a, b, c)");

  s = m.CheckCovers({"a", "b", "a"});
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_NE(s.message().find("'a' is listed twice"), absl::string_view::npos) << s;

  // Set replaces a link and does not repeat regions.
  m.Set("a", "b", {20, 2});
  EXPECT_EQ(m.Find("a", "b")->bandwidth_mbps, 20);
  EXPECT_EQ(m.num_links(), 4u);
  EXPECT_EQ(m.regions().size(), 3u);
}

// A directory under TempDir, removed at the end; also restores
// GAIA_PRESET_DIR.
class LinkMatrixPreset : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* old = std::getenv("GAIA_PRESET_DIR")) old_env_ = old;
    unsetenv("GAIA_PRESET_DIR");
    dir_ = fs::path(::testing::TempDir()) /
           ("link_matrix_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (old_env_.has_value()) {
      setenv("GAIA_PRESET_DIR", old_env_->c_str(), 1);
    } else {
      unsetenv("GAIA_PRESET_DIR");
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

  std::optional<std::string> old_env_;
  fs::path dir_;
};

const std::vector<std::string> kEc2Regions = {"virginia",  "california", "oregon",   "ireland",
                                              "frankfurt", "tokyo",      "seoul",    "singapore",
                                              "sydney",    "mumbai",     "sao-paulo"};

TEST_F(LinkMatrixPreset, ShippedPresetsAreListedAndLoad) {
  const std::vector<std::string> presets = ListPresets();
  EXPECT_TRUE(std::is_sorted(presets.begin(), presets.end()));
  for (const char* name : {"ec2-11", "vc-2dc", "ss-2dc"}) {
    EXPECT_NE(std::find(presets.begin(), presets.end(), name), presets.end()) << name;
    absl::StatusOr<LinkMatrix> m = LoadPreset(name, /*symmetric=*/false);
    ASSERT_TRUE(m.ok()) << name << ": " << m.status();
    EXPECT_EQ(m->source(), std::string("preset ") + name);
    EXPECT_EQ(m->num_links(), m->regions().size() * (m->regions().size() - 1)) << name;
  }
  absl::StatusOr<LinkMatrix> ec2 = LoadPreset("ec2-11", false);
  ASSERT_TRUE(ec2.ok()) << ec2.status();
  EXPECT_EQ(ec2->regions(), kEc2Regions);
  EXPECT_EQ(ec2->num_links(), 110u);
  EXPECT_TRUE(ec2->CheckCovers(kEc2Regions).ok());

  // The two-DC presets are the corresponding lines of ec2-11.
  for (auto [name, x, y] : {std::tuple{"vc-2dc", "virginia", "california"},
                            std::tuple{"ss-2dc", "singapore", "sao-paulo"}}) {
    absl::StatusOr<LinkMatrix> m = LoadPreset(name, false);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->regions(), (std::vector<std::string>{x, y})) << name;
    EXPECT_EQ(m->num_links(), 2u);
    for (auto [from, to] : {std::pair{x, y}, std::pair{y, x}}) {
      EXPECT_EQ(m->Find(from, to)->bandwidth_mbps, ec2->Find(from, to)->bandwidth_mbps);
      EXPECT_EQ(m->Find(from, to)->delay_ms, ec2->Find(from, to)->delay_ms);
    }
  }
}

TEST_F(LinkMatrixPreset, Ec2PresetHoldsTheThesisRatios) {
  absl::StatusOr<LinkMatrix> m = LoadPreset("ec2-11", false);
  ASSERT_TRUE(m.ok()) << m.status();
  constexpr double kLan = 1000;
  struct Pair {
    std::string a, b;
    double bandwidth_mbps, delay_ms;
  };
  std::vector<Pair> pairs;
  for (size_t i = 0; i < kEc2Regions.size(); ++i) {
    for (size_t j = i + 1; j < kEc2Regions.size(); ++j) {
      const std::string& a = kEc2Regions[i];
      const std::string& b = kEc2Regions[j];
      const LinkParams ab = *m->Find(a, b);
      const LinkParams ba = *m->Find(b, a);
      EXPECT_EQ(ab.bandwidth_mbps, ba.bandwidth_mbps) << a << "<->" << b;
      EXPECT_EQ(ab.delay_ms, ba.delay_ms) << a << "<->" << b;
      EXPECT_GT(ab.delay_ms, 0) << a << "<->" << b;
      pairs.push_back({a, b, ab.bandwidth_mbps, ab.delay_ms});
    }
  }
  ASSERT_EQ(pairs.size(), 55u);
  double sum = 0;
  for (const Pair& p : pairs) sum += p.bandwidth_mbps;
  const double mean = sum / pairs.size();
  EXPECT_NEAR(mean, kLan / 15, 0.02 * kLan / 15) << "WAN is 15x below LAN on average";

  auto by_bandwidth = [](const Pair& x, const Pair& y) {
    return x.bandwidth_mbps < y.bandwidth_mbps;
  };
  const Pair& slowest = *std::min_element(pairs.begin(), pairs.end(), by_bandwidth);
  const Pair& fastest = *std::max_element(pairs.begin(), pairs.end(), by_bandwidth);
  EXPECT_NEAR(slowest.bandwidth_mbps, kLan / 60, 0.01 * kLan / 60);
  EXPECT_EQ(m->Find("singapore", "sao-paulo")->bandwidth_mbps, slowest.bandwidth_mbps);
  // Up to 12x the worst pair, plus rounding to 0.1 Mbit/s.
  EXPECT_LE(fastest.bandwidth_mbps / slowest.bandwidth_mbps, 12.0 + 0.05);
  EXPECT_GE(fastest.bandwidth_mbps / slowest.bandwidth_mbps, 10.0);

  // Close pairs are among the fastest (top 5 of 55).
  for (auto [a, b] : {std::pair{"tokyo", "seoul"}, std::pair{"oregon", "california"}}) {
    const double bw = m->Find(a, b)->bandwidth_mbps;
    const auto faster = std::count_if(pairs.begin(), pairs.end(),
                                      [bw](const Pair& p) { return p.bandwidth_mbps > bw; });
    EXPECT_LT(faster, 5) << a << "<->" << b << " at " << bw << " Mbit/s";
  }
  // The model: a longer delay never gets more bandwidth.
  for (const Pair& x : pairs) {
    for (const Pair& y : pairs) {
      if (x.delay_ms < y.delay_ms) {
        EXPECT_GE(x.bandwidth_mbps, y.bandwidth_mbps)
            << x.a << "<->" << x.b << " vs " << y.a << "<->" << y.b;
      }
    }
  }
  // Delays are half the tabulated RTTs (spot checks).
  EXPECT_EQ(m->Find("virginia", "california")->delay_ms, 36.4);   // RTT 72.7
  EXPECT_EQ(m->Find("singapore", "sao-paulo")->delay_ms, 164.1);  // RTT 328.1
  EXPECT_EQ(m->Find("mumbai", "singapore")->delay_ms, 29.5);      // RTT 59
}

TEST_F(LinkMatrixPreset, UnknownPresetListsThePresets) {
  absl::StatusOr<LinkMatrix> m = LoadPreset("lima-3", false);
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(absl::IsNotFound(m.status())) << m.status();
  for (const char* name : {"'lima-3'", "ec2-11", "vc-2dc", "ss-2dc"}) {
    EXPECT_NE(m.status().message().find(name), absl::string_view::npos) << m.status();
  }
}

TEST_F(LinkMatrixPreset, PathLikeNamesAreRejected) {
  for (const char* name : {"../presets/ec2-11", "presets/ec2-11", "/etc/passwd", "..", ".", "a..b",
                           ".hidden", "", "ec2 11"}) {
    absl::StatusOr<LinkMatrix> m = LoadPreset(name, false);
    ASSERT_FALSE(m.ok()) << name;
    EXPECT_TRUE(absl::IsInvalidArgument(m.status())) << name << ": " << m.status();
  }
}

TEST_F(LinkMatrixPreset, EnvironmentDirectoryComesFirst) {
  Write("mine.csv", "from,to,bandwidth_mbps,delay_ms\nx,y,5,1\n");
  // Shadows the shipped preset of the same name.
  Write("ec2-11.csv", "from,to,bandwidth_mbps,delay_ms\np,q,7,2\nq,p,7,2\n");
  Write("broken.csv", "from,to,bandwidth_mbps,delay_ms\nx,y,5,1\ny,x,5,oops\n");
  Write("notes.txt", "not a preset");
  setenv("GAIA_PRESET_DIR", dir_.c_str(), 1);

  const std::vector<std::string> dirs = PresetDirs();
  ASSERT_GE(dirs.size(), 2u);
  EXPECT_EQ(dirs[0], dir_.string());

  const std::vector<std::string> presets = ListPresets();
  for (const char* name : {"mine", "broken", "ec2-11", "vc-2dc"}) {
    EXPECT_NE(std::find(presets.begin(), presets.end(), name), presets.end()) << name;
  }
  EXPECT_EQ(std::find(presets.begin(), presets.end(), "notes"), presets.end());
  EXPECT_EQ(std::count(presets.begin(), presets.end(), "ec2-11"), 1);

  absl::StatusOr<LinkMatrix> ec2 = LoadPreset("ec2-11", false);
  ASSERT_TRUE(ec2.ok()) << ec2.status();
  EXPECT_EQ(ec2->regions(), (std::vector<std::string>{"p", "q"}));

  absl::StatusOr<LinkMatrix> mine = LoadPreset("mine", false);
  ASSERT_FALSE(mine.ok());  // one way only
  EXPECT_NE(mine.status().message().find("no link y->x"), absl::string_view::npos) << mine.status();
  mine = LoadPreset("mine", /*symmetric=*/true);
  ASSERT_TRUE(mine.ok()) << mine.status();
  EXPECT_EQ(mine->num_links(), 2u);
  EXPECT_EQ(mine->source(), "preset mine");

  absl::StatusOr<LinkMatrix> broken = LoadPreset("broken", false);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().message(),
            (dir_ / "broken.csv").string() + ":3: delay_ms: not a finite number: 'oops'");
}

TEST_F(LinkMatrixPreset, LoadLinkMatrixNamesThePath) {
  absl::StatusOr<LinkMatrix> m = LoadLinkMatrix((dir_ / "absent.csv").string(), false);
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(absl::IsNotFound(m.status())) << m.status();
  EXPECT_NE(m.status().message().find("absent.csv"), absl::string_view::npos);

  Write("m.csv", kThree);
  m = LoadLinkMatrix((dir_ / "m.csv").string(), false);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->source(), (dir_ / "m.csv").string());
  EXPECT_EQ(m->num_links(), 6u);
}

// Random single and multiple edits of a valid file: never a crash; either a
// complete, valid matrix or an error that names a line.
TEST(LinkMatrix, MutatedInputsParseOrNameALine) {
  const std::string base = std::string("# header comment\n") + kThree + "\n# end\n";
  const std::string alphabet = "abc,#\r\n \t-+.0123456789eExinfINF/";
  std::mt19937 rng(20240611);
  const std::regex line_ref("^t\\.csv:[0-9]+: ");
  int ok = 0;
  int errors = 0;
  for (int iteration = 0; iteration < 3000; ++iteration) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const size_t at = text.empty() ? 0 : rng() % text.size();
      switch (rng() % 6) {
        case 0:  // delete a character
          if (!text.empty()) text.erase(at, 1);
          break;
        case 1:  // insert a character
          text.insert(text.begin() + at, alphabet[rng() % alphabet.size()]);
          break;
        case 2:  // replace a character
          if (!text.empty()) text[at] = alphabet[rng() % alphabet.size()];
          break;
        case 3: {  // duplicate the line around `at`
          const size_t start =
              text.rfind('\n', at) == std::string::npos ? 0 : text.rfind('\n', at) + 1;
          const size_t end = text.find('\n', at);
          const std::string line =
              text.substr(start, end == std::string::npos ? std::string::npos : end - start);
          text.insert(start, line + "\n");
          break;
        }
        case 4: {  // delete the line around `at`
          const size_t start =
              text.rfind('\n', at) == std::string::npos ? 0 : text.rfind('\n', at) + 1;
          const size_t end = text.find('\n', at);
          text.erase(start, end == std::string::npos ? std::string::npos : end - start + 1);
          break;
        }
        case 5:  // truncate
          text.resize(at);
          break;
      }
    }
    for (bool symmetric : {false, true}) {
      absl::StatusOr<LinkMatrix> m = ParseLinkMatrix(text, "t.csv", symmetric);
      if (m.ok()) {
        ++ok;
        const std::vector<std::string>& regions = m->regions();
        EXPECT_GE(regions.size(), 2u);
        EXPECT_EQ(m->num_links(), regions.size() * (regions.size() - 1));
        for (const std::string& from : regions) {
          for (const std::string& to : regions) {
            if (from == to) continue;
            std::optional<LinkParams> link = m->Find(from, to);
            ASSERT_TRUE(link.has_value()) << text;
            EXPECT_GT(link->bandwidth_mbps, 0) << text;
            EXPECT_GE(link->delay_ms, 0) << text;
          }
        }
      } else {
        ++errors;
        EXPECT_TRUE(absl::IsInvalidArgument(m.status())) << m.status();
        EXPECT_TRUE(std::regex_search(std::string(m.status().message()), line_ref))
            << m.status() << "\n--- input ---\n"
            << text;
      }
    }
  }
  // Both outcomes occur, so the checks above did run.
  EXPECT_GT(ok, 100);
  EXPECT_GT(errors, 100);
}

}  // namespace
}  // namespace gaia::wan
