// The kernel emulator's plan: the exact ip/tc commands for small matrices,
// interface-name lengths and input validation. Pure; runs as any user.
#include "src/wan/netns_plan.h"

#include <algorithm>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_join.h"

namespace gaia::wan {
namespace {

using Argv = std::vector<std::string>;
using ::testing::HasSubstr;

LinkParams Link(double mbps, double ms) {
  LinkParams p;
  p.bandwidth_mbps = mbps;
  p.delay_ms = ms;
  return p;
}

// a->b 20 Mbit/s, b->a 40 Mbit/s, 10 ms each way.
LinkMatrix TwoDcMatrix() {
  LinkMatrix m;
  m.set_source("test");
  m.Set("a", "b", Link(20, 10));
  m.Set("b", "a", Link(40, 10));
  return m;
}

// Three DCs with a different rate on every directed link.
LinkMatrix ThreeDcMatrix() {
  LinkMatrix m;
  m.set_source("test3");
  m.Set("east", "west", Link(100, 30));
  m.Set("west", "east", Link(50, 30));
  m.Set("east", "asia", Link(2.5, 80));
  m.Set("asia", "east", Link(10, 80));
  m.Set("west", "asia", Link(0.0125, 60.5));
  m.Set("asia", "west", Link(1000, 60.5));
  return m;
}

NetnsOptions Options(const std::string& name, bool kernel_delay) {
  NetnsOptions o;
  o.name = name;
  o.kernel_delay = kernel_delay;
  return o;
}

std::vector<std::string> Lines(const std::vector<Argv>& commands) {
  std::vector<std::string> lines;
  for (const Argv& argv : commands) lines.push_back(absl::StrJoin(argv, " "));
  return lines;
}

TEST(NetnsPlan, TwoDcsExactCommands) {
  absl::StatusOr<NetnsPlan> plan = PlanNetns(TwoDcMatrix(), {"a", "b"}, Options("t", false));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->name, "t");
  EXPECT_EQ(plan->bridge, "gb-t");
  EXPECT_EQ(plan->host_ip, "10.213.0.1");
  EXPECT_EQ(plan->prefix_len, 24);
  EXPECT_FALSE(plan->kernel_delay);
  ASSERT_EQ(plan->dcs.size(), 2u);
  EXPECT_EQ(plan->dcs[0], (NetnsDc{"a", "gaia-t-a", "gv-t-0", "gn-t-0", "10.213.0.2"}));
  EXPECT_EQ(plan->dcs[1], (NetnsDc{"b", "gaia-t-b", "gv-t-1", "gn-t-1", "10.213.0.3"}));
  ASSERT_EQ(plan->links.size(), 2u);
  EXPECT_EQ(plan->links[0], (NetnsLink{"a", "b", 20, 10, "1:11", "20912kbit"}));
  EXPECT_EQ(plan->links[1], (NetnsLink{"b", "a", 40, 10, "1:10", "41823kbit"}));

  const std::vector<std::string> expected_up = {
      "ip link add gb-t type bridge",
      "ip addr add 10.213.0.1/24 dev gb-t",
      "ip link set gb-t up",
      "ip netns add gaia-t-a",
      "ip link add gv-t-0 type veth peer name gn-t-0 netns gaia-t-a",
      "ip link set gv-t-0 master gb-t",
      "ip link set gv-t-0 up",
      "ip -n gaia-t-a link set lo up",
      "ip -n gaia-t-a addr add 10.213.0.2/24 dev gn-t-0",
      "ip -n gaia-t-a link set gn-t-0 gso_max_size 16384",
      "ip -n gaia-t-a link set gn-t-0 up",
      "ip netns add gaia-t-b",
      "ip link add gv-t-1 type veth peer name gn-t-1 netns gaia-t-b",
      "ip link set gv-t-1 master gb-t",
      "ip link set gv-t-1 up",
      "ip -n gaia-t-b link set lo up",
      "ip -n gaia-t-b addr add 10.213.0.3/24 dev gn-t-1",
      "ip -n gaia-t-b link set gn-t-1 gso_max_size 16384",
      "ip -n gaia-t-b link set gn-t-1 up",
      // a's egress: default class unshaped, class 1:11 to b at 20 Mbit/s of
      // TCP payload (x 1514/1448 on the wire).
      "tc -n gaia-t-a qdisc add dev gn-t-0 root handle 1: htb default 1",
      "tc -n gaia-t-a class add dev gn-t-0 parent 1: classid 1:1 htb rate 10gbit ceil 10gbit "
      "burst 5000000 cburst 5000000 quantum 65536",
      "tc -n gaia-t-a class add dev gn-t-0 parent 1: classid 1:11 htb rate 20912kbit ceil "
      "20912kbit "
      "burst 65536 cburst 65536 quantum 65536",
      "tc -n gaia-t-a qdisc add dev gn-t-0 parent 1:11 handle 11: bfifo limit 275000",
      "tc -n gaia-t-a filter add dev gn-t-0 parent 1: protocol ip prio 1 u32 match ip dst "
      "10.213.0.3/32 flowid 1:11",
      // b's egress: class 1:10 to a at 40 Mbit/s.
      "tc -n gaia-t-b qdisc add dev gn-t-1 root handle 1: htb default 1",
      "tc -n gaia-t-b class add dev gn-t-1 parent 1: classid 1:1 htb rate 10gbit ceil 10gbit "
      "burst 5000000 cburst 5000000 quantum 65536",
      "tc -n gaia-t-b class add dev gn-t-1 parent 1: classid 1:10 htb rate 41823kbit ceil "
      "41823kbit "
      "burst 65536 cburst 65536 quantum 65536",
      "tc -n gaia-t-b qdisc add dev gn-t-1 parent 1:10 handle 10: bfifo limit 550000",
      "tc -n gaia-t-b filter add dev gn-t-1 parent 1: protocol ip prio 1 u32 match ip dst "
      "10.213.0.2/32 flowid 1:10",
  };
  EXPECT_EQ(Lines(plan->up_commands), expected_up);
  const std::vector<std::string> expected_down = {"ip link del gv-t-0", "ip link del gv-t-1",
                                                  "ip netns del gaia-t-a", "ip netns del gaia-t-b",
                                                  "ip link del gb-t"};
  EXPECT_EQ(Lines(plan->down_commands), expected_down);
}

TEST(NetnsPlan, ThreeDcsWithKernelDelayUseNetemLeaves) {
  NetnsOptions options = Options("x3", true);
  options.subnet = "192.168.77.64/26";
  absl::StatusOr<NetnsPlan> plan = PlanNetns(ThreeDcMatrix(), {"east", "west", "asia"}, options);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(plan->kernel_delay);
  EXPECT_EQ(plan->host_ip, "192.168.77.65");
  EXPECT_EQ(plan->prefix_len, 26);
  ASSERT_EQ(plan->dcs.size(), 3u);
  EXPECT_EQ(plan->dcs[2], (NetnsDc{"asia", "gaia-x3-asia", "gv-x3-2", "gn-x3-2", "192.168.77.68"}));
  ASSERT_EQ(plan->links.size(), 6u);
  EXPECT_EQ(plan->links[0], (NetnsLink{"east", "west", 100, 30, "1:11", "104558kbit"}));
  EXPECT_EQ(plan->links[1], (NetnsLink{"east", "asia", 2.5, 80, "1:12", "2614kbit"}));
  EXPECT_EQ(plan->links[4], (NetnsLink{"asia", "east", 10, 80, "1:10", "10456kbit"}));

  // Only the shaping of one DC (west) is spelled out; the rest follows the
  // same pattern, checked by the two-DC test.
  const std::vector<std::string> lines = Lines(plan->up_commands);
  const std::vector<std::string> west = {
      "tc -n gaia-x3-west qdisc add dev gn-x3-1 root handle 1: htb default 1",
      "tc -n gaia-x3-west class add dev gn-x3-1 parent 1: classid 1:1 htb rate 10gbit ceil "
      "10gbit burst 5000000 cburst 5000000 quantum 65536",
      "tc -n gaia-x3-west class add dev gn-x3-1 parent 1: classid 1:10 htb rate 52279kbit "
      "ceil 52279kbit burst 65536 cburst 65536 quantum 65536",
      "tc -n gaia-x3-west qdisc add dev gn-x3-1 parent 1:10 handle 10: netem delay 30ms limit "
      "542",
      "tc -n gaia-x3-west filter add dev gn-x3-1 parent 1: protocol ip prio 1 u32 match ip dst "
      "192.168.77.66/32 flowid 1:10",
  };
  auto at = std::find(lines.begin(), lines.end(), west[0]);
  ASSERT_NE(at, lines.end());
  for (size_t i = 0; i < west.size(); ++i) {
    ASSERT_LT(at + i, lines.end());
    EXPECT_EQ(*(at + i), west[i]);
  }
  // 1000 Mbit/s from asia: a larger burst (4 ms of rate).
  EXPECT_NE(std::find(lines.begin(), lines.end(),
                      "tc -n gaia-x3-asia class add dev gn-x3-2 parent 1: classid 1:11 htb rate "
                      "1045580kbit ceil 1045580kbit burst 500000 cburst 500000 quantum 65536"),
            lines.end());
  // Every destination class has a netem leaf with the link's delay, and
  // there is no FIFO leaf.
  int netem = 0;
  for (const std::string& line : lines) {
    EXPECT_THAT(line, ::testing::Not(HasSubstr("bfifo")));
    if (line.find(" netem delay ") != std::string::npos) ++netem;
  }
  EXPECT_EQ(netem, 6);
  EXPECT_NE(std::find(lines.begin(), lines.end(),
                      "tc -n gaia-x3-west qdisc add dev gn-x3-1 parent 1:12 handle 12: netem "
                      "delay 60.5ms limit 175"),
            lines.end());
  // Each DC: netns, veth, 2 link settings, 4 in-namespace settings; each DC's
  // shaping: root + default class + 3 per destination.
  EXPECT_EQ(plan->up_commands.size(), 3u + 3 * 8 + 3 * (2 + 2 * 3));
}

TEST(NetnsPlan, RatesOnTheWireOrAsPayload) {
  LinkMatrix m;
  m.Set("a", "b", Link(1.5, 0));
  m.Set("b", "a", Link(0.25, 0));
  NetnsOptions options = Options("f", false);
  for (const bool payload : {true, false}) {
    options.payload_rate = payload;
    absl::StatusOr<NetnsPlan> plan = PlanNetns(m, {"a", "b"}, options);
    ASSERT_TRUE(plan.ok()) << plan.status();
    const std::vector<std::string> lines = Lines(plan->up_commands);
    const auto has = [&](const std::string& s) {
      return std::any_of(lines.begin(), lines.end(),
                         [&](const std::string& l) { return l.find(s) != std::string::npos; });
    };
    if (payload) {
      EXPECT_TRUE(has("rate 1568kbit ceil 1568kbit"));
      EXPECT_TRUE(has("rate 261kbit ceil 261kbit"));
    } else {
      EXPECT_TRUE(has("rate 1500kbit ceil 1500kbit"));
      EXPECT_TRUE(has("rate 250kbit ceil 250kbit"));
    }
  }
  EXPECT_EQ(TcRate(0.0001, false), "1kbit");  // never 0 (tc rejects it)
  EXPECT_EQ(TcRate(20, false), "20000kbit");
}

TEST(NetnsPlan, WithoutKernelDelayNoNetem) {
  absl::StatusOr<NetnsPlan> plan =
      PlanNetns(ThreeDcMatrix(), {"east", "west", "asia"}, Options("n", false));
  ASSERT_TRUE(plan.ok()) << plan.status();
  int fifo = 0;
  for (const std::string& line : Lines(plan->up_commands)) {
    EXPECT_THAT(line, ::testing::Not(HasSubstr("netem")));
    if (line.find(" bfifo limit ") != std::string::npos) ++fifo;
  }
  EXPECT_EQ(fifo, 6);
}

TEST(NetnsPlan, SubsetOfMatrixRegions) {
  // Only the DCs asked for are planned, in the order given.
  absl::StatusOr<NetnsPlan> plan =
      PlanNetns(ThreeDcMatrix(), {"asia", "east"}, Options("s", false));
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->dcs.size(), 2u);
  EXPECT_EQ(plan->dcs[0].dc, "asia");
  EXPECT_EQ(plan->dcs[0].ip, "10.213.0.2");
  ASSERT_EQ(plan->links.size(), 2u);
  EXPECT_EQ(plan->links[0], (NetnsLink{"asia", "east", 10, 80, "1:11", "10456kbit"}));
}

TEST(NetnsPlan, InterfaceNamesFitForLongestNameAndMostDcs) {
  LinkMatrix m;
  std::vector<std::string> dcs;
  for (int i = 0; i < kMaxNetnsDcs; ++i) dcs.push_back("dc" + std::to_string(i));
  for (const std::string& a : dcs) {
    for (const std::string& b : dcs) {
      if (a != b) m.Set(a, b, Link(10, 1));
    }
  }
  absl::StatusOr<NetnsPlan> plan = PlanNetns(m, dcs, Options("abcdefgh", false));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_LE(plan->bridge.size(), 15u);
  ASSERT_EQ(plan->dcs.size(), 50u);
  for (const NetnsDc& dc : plan->dcs) {
    EXPECT_LE(dc.veth_host.size(), 15u) << dc.veth_host;
    EXPECT_LE(dc.veth_ns.size(), 15u) << dc.veth_ns;
  }
  EXPECT_EQ(plan->dcs.back().veth_host, "gv-abcdefgh-49");
  EXPECT_EQ(plan->dcs.back().ip, "10.213.0.51");
  EXPECT_EQ(plan->links.size(), 50u * 49);
  // Class ids stay distinct up to the last DC.
  EXPECT_EQ(plan->links.back().classid, "1:40");  // dc49 -> dc48
}

TEST(NetnsPlan, RejectsBadInput) {
  const LinkMatrix m = TwoDcMatrix();
  const auto error = [&](const std::vector<std::string>& dcs, const NetnsOptions& o) {
    absl::StatusOr<NetnsPlan> plan = PlanNetns(m, dcs, o);
    EXPECT_FALSE(plan.ok());
    EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(plan.status().message());
  };
  EXPECT_THAT(error({"a", "b"}, Options("", false)), HasSubstr("bad emulator name ''"));
  EXPECT_THAT(error({"a", "b"}, Options("abcdefghi", false)), HasSubstr("bad emulator name"));
  EXPECT_THAT(error({"a", "b"}, Options("Up", false)), HasSubstr("bad emulator name"));
  EXPECT_THAT(error({"a", "b"}, Options("a-b", false)), HasSubstr("bad emulator name"));
  EXPECT_THAT(error({}, Options("t", false)), HasSubstr("need 1 to 50 DCs, got 0"));
  EXPECT_THAT(error({"a", "a"}, Options("t", false)), HasSubstr("'a' is listed twice"));
  EXPECT_THAT(error({"a", "b/c"}, Options("t", false)), HasSubstr("bad DC name 'b/c'"));
  EXPECT_THAT(error({"a", "lima"}, Options("t", false)),
              HasSubstr("no link a->lima"));  // CheckCovers

  std::vector<std::string> too_many;
  for (int i = 0; i < kMaxNetnsDcs + 1; ++i) too_many.push_back("d" + std::to_string(i));
  EXPECT_THAT(error(too_many, Options("t", false)), HasSubstr("need 1 to 50 DCs, got 51"));

  NetnsOptions o = Options("t", false);
  o.subnet = "10.213.0.1/24";
  EXPECT_THAT(error({"a", "b"}, o), HasSubstr("host bits are set (the network is 10.213.0.0/24)"));
  o.subnet = "10.213.0.0/30";  // 4 addresses; 2 DCs need 5
  EXPECT_THAT(error({"a", "b"}, o), HasSubstr("too small for 2 DCs"));
  o.subnet = "10.213.0.0";
  EXPECT_THAT(error({"a", "b"}, o), HasSubstr("no prefix length"));
  o.subnet = "10.213.300.0/24";
  EXPECT_THAT(error({"a", "b"}, o), HasSubstr("octet '300'"));
  o.subnet = "10.213.0.0/33";
  EXPECT_THAT(error({"a", "b"}, o), HasSubstr("prefix length"));
}

TEST(NetnsPlan, SamePlanForSameInput) {
  // Up compares plans to decide "already up": equal input, equal plan;
  // another matrix or delay mode, another plan.
  const auto a = PlanNetns(TwoDcMatrix(), {"a", "b"}, Options("t", false));
  const auto b = PlanNetns(TwoDcMatrix(), {"a", "b"}, Options("t", false));
  const auto c = PlanNetns(TwoDcMatrix(), {"a", "b"}, Options("t", true));
  LinkMatrix other = TwoDcMatrix();
  other.Set("a", "b", Link(21, 10));
  const auto d = PlanNetns(other, {"a", "b"}, Options("t", false));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_FALSE(*a == *c);
  EXPECT_FALSE(*a == *d);
}

TEST(NetnsPlan, BurstAndLimitSizes) {
  EXPECT_EQ(HtbBurstBytes(1), 65536u);
  EXPECT_EQ(HtbBurstBytes(1000), 500000u);  // 4 ms at 125 MB/s
  EXPECT_EQ(LeafLimitBytes(1, 0), 262144u);
  EXPECT_EQ(LeafLimitBytes(100, 100), 2500000u);  // 200 ms at 12.5 MB/s
}

}  // namespace
}  // namespace gaia::wan
