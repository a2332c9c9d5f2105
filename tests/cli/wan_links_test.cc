// ResolveWanLinks: the one link matrix both WAN backends shape from.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/cli/wan_links.h"
#include "src/common/job_spec.h"

namespace gaia::cli {
namespace {

using ::testing::HasSubstr;

common::JobSpec Spec(std::vector<std::string> dcs) {
  common::JobSpec spec;
  spec.name = "links";
  for (const std::string& name : dcs) spec.dcs.push_back({name, 1, 1, "", {}});
  spec.wan.emulate = common::WanEmulation::kProxy;
  return spec;
}

TEST(WanLinks, UniformBandwidthAndDelayOnEveryDirectedPair) {
  common::JobSpec spec = Spec({"a", "b", "c"});
  spec.wan.bandwidth_mbps = 12;
  spec.wan.delay_ms = 3;
  auto links = ResolveWanLinks(spec, DcNames(spec));
  ASSERT_TRUE(links.ok()) << links.status();
  EXPECT_EQ(links->num_links(), 6u);
  for (const char* a : {"a", "b", "c"}) {
    for (const char* b : {"a", "b", "c"}) {
      if (std::string(a) == b) continue;
      ASSERT_TRUE(links->Find(a, b).has_value()) << a << "->" << b;
      EXPECT_DOUBLE_EQ(links->Find(a, b)->bandwidth_mbps, 12);
      EXPECT_DOUBLE_EQ(links->Find(a, b)->delay_ms, 3);
    }
  }
}

TEST(WanLinks, PresetScaledToTheJobsDcsOnly) {
  common::JobSpec spec = Spec({"tokyo", "sao-paulo", "seoul"});
  spec.wan.preset = "ec2-11";
  auto full = ResolveWanLinks(spec, DcNames(spec));
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(full->num_links(), 6u);  // only the job's DCs
  spec.wan.bandwidth_scale = 0.1;
  auto scaled = ResolveWanLinks(spec, DcNames(spec));
  ASSERT_TRUE(scaled.ok()) << scaled.status();
  for (const auto& [a, b] : std::vector<std::pair<std::string, std::string>>{
           {"tokyo", "seoul"}, {"seoul", "sao-paulo"}, {"sao-paulo", "tokyo"}}) {
    EXPECT_NEAR(scaled->Find(a, b)->bandwidth_mbps, 0.1 * full->Find(a, b)->bandwidth_mbps, 1e-9);
    EXPECT_DOUBLE_EQ(scaled->Find(a, b)->delay_ms, full->Find(a, b)->delay_ms);
  }
  // Closer pairs are faster (thesis §5.1.1).
  EXPECT_GT(full->Find("tokyo", "seoul")->bandwidth_mbps,
            full->Find("seoul", "sao-paulo")->bandwidth_mbps);
}

TEST(WanLinks, DcMissingFromThePresetNamesTheFieldAndThePair) {
  common::JobSpec spec = Spec({"virginia", "lima"});
  spec.wan.preset = "vc-2dc";
  auto links = ResolveWanLinks(spec, DcNames(spec));
  ASSERT_FALSE(links.ok());
  EXPECT_THAT(std::string(links.status().message()), HasSubstr("wan.preset: "));
  EXPECT_THAT(std::string(links.status().message()), HasSubstr("lima"));
}

TEST(WanLinks, UnknownPresetIsAnError) {
  common::JobSpec spec = Spec({"a", "b"});
  spec.wan.preset = "no-such-preset";
  auto links = ResolveWanLinks(spec, DcNames(spec));
  ASSERT_FALSE(links.ok());
  EXPECT_THAT(std::string(links.status().message()), HasSubstr("wan.preset: "));
}

TEST(WanLinks, MatrixFileOneWayNeedsSymmetric) {
  const std::string path =
      (std::filesystem::path(::testing::TempDir()) / "wan_links_one_way.csv").string();
  std::ofstream(path) << "from,to,bandwidth_mbps,delay_ms\nx,y,5,20\n";
  common::JobSpec spec = Spec({"x", "y"});
  spec.wan.matrix = path;
  auto strict = ResolveWanLinks(spec, DcNames(spec));
  ASSERT_FALSE(strict.ok());
  EXPECT_THAT(std::string(strict.status().message()), HasSubstr("wan.matrix: "));
  spec.wan.symmetric = true;
  auto filled = ResolveWanLinks(spec, DcNames(spec));
  ASSERT_TRUE(filled.ok()) << filled.status();
  EXPECT_DOUBLE_EQ(filled->Find("y", "x")->bandwidth_mbps, 5);
  EXPECT_DOUBLE_EQ(filled->Find("y", "x")->delay_ms, 20);
}

TEST(WanLinks, MalformedMatrixReportsFileAndLine) {
  const std::string path =
      (std::filesystem::path(::testing::TempDir()) / "wan_links_bad.csv").string();
  std::ofstream(path) << "from,to,bandwidth_mbps,delay_ms\nx,y,5,20\ny,x,fast,20\n";
  common::JobSpec spec = Spec({"x", "y"});
  spec.wan.matrix = path;
  auto links = ResolveWanLinks(spec, DcNames(spec));
  ASSERT_FALSE(links.ok());
  EXPECT_THAT(std::string(links.status().message()), HasSubstr("wan_links_bad.csv:3:"));
}

}  // namespace
}  // namespace gaia::cli
