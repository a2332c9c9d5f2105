// The launcher's progress line (src/cli/progress.h).
#include "src/cli/progress.h"

#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gaia::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Progress, LinkRatesPutTheBusiestLinkFirstAndNeverGoNegative) {
  const std::map<std::string, uint64_t> before = {{"a->b", 1'000'000}, {"b->a", 5'000'000}};
  const std::map<std::string, uint64_t> now = {
      {"a->b", 3'000'000}, {"b->a", 4'000'000}, {"a->c", 1'000'000}};
  const std::vector<LinkRate> rates = LinkRates(now, before, 2.0);
  ASSERT_EQ(rates.size(), 3u);
  EXPECT_EQ(rates[0].name, "a->b");
  EXPECT_DOUBLE_EQ(rates[0].mb_per_s, 1.0);
  EXPECT_EQ(rates[1].name, "a->c");
  EXPECT_DOUBLE_EQ(rates[1].mb_per_s, 0.5);
  EXPECT_EQ(rates[2].name, "b->a");
  EXPECT_DOUBLE_EQ(rates[2].mb_per_s, 0.0) << "a counter that restarted is no traffic";
}

TEST(Progress, LinkBytesCountTheRelaysWhenTheyCarryTheWan) {
  common::Topology topo;
  topo.host_dcs = {"a", "b"};
  RelayStats relay;
  relay.links = {{"a->b", 10}, {"a->b", 5}};
  MirrorTotals mirror;
  mirror.ok = true;
  mirror.links[{1, 0}].bytes = 7;
  EXPECT_EQ(LinkBytes(&relay, &mirror, topo), (std::map<std::string, uint64_t>{{"a->b", 15}}));
  EXPECT_EQ(LinkBytes(nullptr, &mirror, topo), (std::map<std::string, uint64_t>{{"b->a", 7}}));
}

TEST(Progress, LineShowsClocksObjectiveWanAndAtMostThreeLinks) {
  MirrorTotals mirror;
  mirror.ok = true;
  mirror.elements_seen = 100;
  mirror.elements_sent = 25;
  ProgressState state;
  state.mode = common::Mode::kGaia;
  state.elapsed_s = 12;
  state.clocks = 100;
  state.dcs = {"a", "b"};
  state.dc_clocks = {39, -1};
  state.objective = 0.5;
  state.updates_per_s = 120000;
  state.wan_bytes = 3'200'000;
  state.links = {{"a->b", 0.31}, {"b->a", 0.3}, {"a->c", 0.2}, {"c->a", 0.1}};
  state.mirror = &mirror;
  const std::string line = FormatProgress(state);
  EXPECT_THAT(line, HasSubstr("[gaia]   12.0s  clock a=40/100 b=-/100"));
  EXPECT_THAT(line, HasSubstr("objective 0.5  updates/s 120k  wan 3.20 MB"));
  EXPECT_THAT(line, HasSubstr("[a->b 0.31 MB/s, b->a 0.30 MB/s, a->c 0.20 MB/s, +1 links]"));
  EXPECT_THAT(line, HasSubstr("filtered 75.0%"));

  EXPECT_THAT(line, Not(HasSubstr("test_rmse")));
  state.held_out_name = "test_rmse";
  state.held_out = 0.3238;
  EXPECT_THAT(FormatProgress(state), HasSubstr("objective 0.5  test_rmse 0.3238  updates/s"));

  state.dcs = {"lan"};
  state.dc_clocks = {0};
  state.links.clear();
  state.mirror = nullptr;
  EXPECT_THAT(FormatProgress(state), Not(HasSubstr("wan")));
}

}  // namespace
}  // namespace gaia::cli
