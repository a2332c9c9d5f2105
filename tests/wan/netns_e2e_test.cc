// The kernel WAN emulator end to end: real namespaces, veths, a bridge and
// tc shaping, measured with CheckLinks. Needs root with CAP_NET_ADMIN, iproute2
// and htb; otherwise every test skips with ProbeKernel's reason.
//
// Each test uses its own instance name (from the pid) and a temporary state
// directory ($GAIA_WAN_STATE_DIR), and TearDown removes, by name, only what
// the test made.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "src/wan/link_check.h"
#include "src/wan/netns_emulator.h"

namespace gaia::wan {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr double kRateTolerance = 0.15;

LinkParams Link(double mbps, double ms) {
  LinkParams p;
  p.bandwidth_mbps = mbps;
  p.delay_ms = ms;
  return p;
}

// Exit code of an ip command (output discarded); -1 if it cannot run.
int Ip(const std::vector<std::string>& argv) {
  absl::StatusOr<CommandResult> r = RunTool(argv);
  return r.ok() ? r->exit_code : -1;
}

bool NetnsListed(const std::string& netns) {
  absl::StatusOr<CommandResult> r = RunTool({"ip", "netns", "list"});
  if (!r.ok()) return false;
  std::istringstream lines(r->out);
  for (std::string line; std::getline(lines, line);) {
    if (line.substr(0, line.find(' ')) == netns) return true;
  }
  return false;
}

bool LinkShown(const std::string& ifname) { return Ip({"ip", "link", "show", ifname}) == 0; }

class NetnsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const KernelSupport support = ProbeKernel();
    if (!support.ok) GTEST_SKIP() << support.reason;
    netem_ = support.netem;
    char tmpl[] = "/tmp/gaia-wan-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    state_dir_ = tmpl;
    setenv("GAIA_WAN_STATE_DIR", state_dir_.c_str(), 1);
  }

  void TearDown() override {
    for (const std::string& name : names_) {
      (void)Down(name, state_dir_);
      // Whatever a failed test left behind, by this test's names only.
      for (int i = 0; i < kMaxNetnsDcs; ++i) {
        const std::string veth = absl::StrCat("gv-", name, "-", i);
        if (InterfaceExists(veth)) Ip({"ip", "link", "del", veth});
      }
      std::error_code ec;
      for (const auto& entry : fs::directory_iterator("/run/netns", ec)) {
        const std::string n = entry.path().filename().string();
        if (n.rfind(absl::StrCat("gaia-", name, "-"), 0) == 0) Ip({"ip", "netns", "del", n});
      }
      if (InterfaceExists("gb-" + name)) Ip({"ip", "link", "del", "gb-" + name});
    }
    if (!state_dir_.empty()) {
      std::error_code ec;
      fs::remove_all(state_dir_, ec);
      unsetenv("GAIA_WAN_STATE_DIR");
    }
  }

  // A fresh instance name for this test, unique on the host: "e<pid><tag>".
  std::string NewName(char tag) {
    std::string name = absl::StrCat("e", getpid() % 1000000, std::string(1, tag));
    names_.push_back(name);
    return name;
  }

  absl::StatusOr<NetnsPlan> UpAs(const std::string& name, const LinkMatrix& m,
                                 const std::vector<std::string>& dcs) {
    NetnsOptions options;
    options.name = name;
    absl::StatusOr<std::string> subnet = ChooseSubnet(name, state_dir_);
    if (!subnet.ok()) return subnet.status();
    options.subnet = *subnet;
    return Up(m, dcs, options, state_dir_);
  }

  // Every measured rate within the tolerance of the matrix; the delay as
  // set when netem applies it, else only the kernel path's (well under 1 ms
  // plus scheduling).
  void ExpectAccurate(const std::vector<LinkMeasurement>& links) {
    for (const LinkMeasurement& m : links) {
      SCOPED_TRACE(absl::StrCat(m.from, "->", m.to));
      std::cout << "  " << m.from << "->" << m.to << ": set " << m.set_mbps << " Mbit/s "
                << m.set_delay_ms << " ms, measured " << m.mbps << " Mbit/s ("
                << RateErrorPercent(m) << " %) " << m.delay_ms << " ms\n";
      EXPECT_NEAR(m.mbps, m.set_mbps, kRateTolerance * m.set_mbps)
          << "error " << RateErrorPercent(m) << " %";
      EXPECT_EQ(m.delay_in_kernel, netem_);
      if (netem_) {
        EXPECT_GT(m.delay_ms, m.set_delay_ms * 0.9);
        EXPECT_LT(m.delay_ms, m.set_delay_ms + 10);
      } else {
        EXPECT_LT(m.delay_ms, 5.0);
      }
    }
  }

  void ExpectGone(const NetnsPlan& plan) {
    EXPECT_FALSE(LinkShown(plan.bridge));
    for (const NetnsDc& dc : plan.dcs) {
      EXPECT_FALSE(NetnsListed(dc.netns)) << dc.netns;
      EXPECT_FALSE(LinkShown(dc.veth_host)) << dc.veth_host;
    }
  }

  bool netem_ = false;
  std::string state_dir_;
  std::vector<std::string> names_;
};

TEST_F(NetnsE2eTest, TwoDcsShapedEachWayIdempotentAndDownRemovesAll) {
  EXPECT_EQ(StateDir(), state_dir_);
  const std::string name = NewName('a');
  LinkMatrix m;
  m.set_source("two-dc test matrix");
  m.Set("a", "b", Link(20, 5));
  m.Set("b", "a", Link(40, 5));
  absl::StatusOr<NetnsPlan> plan = UpAs(name, m, {"a", "b"});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->kernel_delay, netem_);
  EXPECT_TRUE(LinkShown(plan->bridge));
  for (const NetnsDc& dc : plan->dcs) {
    EXPECT_TRUE(NetnsListed(dc.netns)) << dc.netns;
    EXPECT_TRUE(LinkShown(dc.veth_host)) << dc.veth_host;
  }

  // A thread that enters a DC's namespace sees its veth; this one does not.
  bool seen_inside = false;
  absl::Status entered;
  std::thread([&] {
    entered = EnterNetns(plan->dcs[0].netns);
    seen_inside = InterfaceExists(plan->dcs[0].veth_ns);
  }).join();
  EXPECT_TRUE(entered.ok()) << entered;
  EXPECT_TRUE(seen_inside);
  EXPECT_FALSE(InterfaceExists(plan->dcs[0].veth_ns));
  EXPECT_FALSE(EnterNetns("gaia-no-such-namespace").ok());

  absl::StatusOr<std::vector<LinkMeasurement>> links = CheckLinks(*plan, m, 2.0);
  ASSERT_TRUE(links.ok()) << links.status();
  ASSERT_EQ(links->size(), 2u);
  EXPECT_EQ((*links)[0].set_mbps, 20);
  EXPECT_EQ((*links)[1].set_mbps, 40);
  ExpectAccurate(*links);

  absl::StatusOr<std::vector<EmulatorState>> states = ListEmulators(state_dir_);
  ASSERT_TRUE(states.ok()) << states.status();
  ASSERT_EQ(states->size(), 1u);
  EXPECT_EQ((*states)[0].name, name);
  EXPECT_EQ((*states)[0].health, EmulatorState::Health::kUp);
  EXPECT_EQ((*states)[0].plan, *plan);
  EXPECT_EQ((*states)[0].matrix_source, "two-dc test matrix");
  EXPECT_EQ((*states)[0].matrix.Find("b", "a")->bandwidth_mbps, 40);

  // Same again: a no-op.
  absl::StatusOr<NetnsPlan> again = UpAs(name, m, {"a", "b"});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *plan);
  // Another matrix under the same name: refused, nothing changes.
  LinkMatrix other = m;
  other.Set("a", "b", Link(30, 5));
  absl::StatusOr<NetnsPlan> clash = UpAs(name, other, {"a", "b"});
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(clash.status().message(), HasSubstr("already up with another matrix"));
  EXPECT_THAT(clash.status().message(), HasSubstr("gaia wan down --name " + name));
  EXPECT_TRUE(LinkShown(plan->bridge));

  ASSERT_TRUE(Down(name, state_dir_).ok());
  ExpectGone(*plan);
  EXPECT_FALSE(fs::exists(fs::path(state_dir_) / (name + ".json")));
  const absl::Status twice = Down(name, state_dir_);
  EXPECT_EQ(twice.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(twice.message(), HasSubstr("none is up"));
}

TEST_F(NetnsE2eTest, ThreeDcsEveryLinkAtItsRate) {
  const std::string name = NewName('b');
  LinkMatrix m;
  m.Set("x", "y", Link(10, 3));
  m.Set("y", "x", Link(15, 3));
  m.Set("x", "z", Link(25, 7));
  m.Set("z", "x", Link(35, 7));
  m.Set("y", "z", Link(50, 11));
  m.Set("z", "y", Link(80, 11));
  absl::StatusOr<NetnsPlan> plan = UpAs(name, m, {"x", "y", "z"});
  ASSERT_TRUE(plan.ok()) << plan.status();
  absl::StatusOr<std::vector<LinkMeasurement>> links = CheckLinks(*plan, m, 1.5);
  ASSERT_TRUE(links.ok()) << links.status();
  ASSERT_EQ(links->size(), 6u);
  ExpectAccurate(*links);
  ASSERT_TRUE(Down(name, state_dir_).ok());
  ExpectGone(*plan);
}

TEST_F(NetnsE2eTest, RefusesInterfaceItDidNotCreate) {
  const std::string name = NewName('c');
  const std::string bridge = "gb-" + name;
  // The test's own foreign interface with the bridge's name (a dummy where
  // the kernel has that driver, else a bridge).
  if (Ip({"ip", "link", "add", bridge, "type", "dummy"}) != 0) {
    ASSERT_EQ(Ip({"ip", "link", "add", bridge, "type", "bridge"}), 0);
  }
  LinkMatrix m;
  m.Set("a", "b", Link(10, 1));
  m.Set("b", "a", Link(10, 1));
  absl::StatusOr<NetnsPlan> plan = UpAs(name, m, {"a", "b"});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(plan.status().message(),
              HasSubstr("refusing to touch interface " + bridge + ": not created by gaia wan"));
  EXPECT_TRUE(LinkShown(bridge));
  EXPECT_FALSE(NetnsListed("gaia-" + name + "-a"));
  EXPECT_FALSE(fs::exists(fs::path(state_dir_) / (name + ".json")));
  // Down does not know it either, and leaves it alone.
  EXPECT_EQ(Down(name, state_dir_).code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(LinkShown(bridge));
  EXPECT_EQ(Ip({"ip", "link", "del", bridge}), 0);
}

TEST_F(NetnsE2eTest, RefusesSubnetOfAnotherInstance) {
  const std::string first = NewName('d');
  const std::string second = NewName('e');
  LinkMatrix m;
  m.Set("a", "b", Link(10, 1));
  m.Set("b", "a", Link(10, 1));
  absl::StatusOr<NetnsPlan> plan = UpAs(first, m, {"a", "b"});
  ASSERT_TRUE(plan.ok()) << plan.status();
  NetnsOptions options;
  options.name = second;
  options.subnet = plan->subnet;
  absl::StatusOr<NetnsPlan> clash = Up(m, {"a", "b"}, options, state_dir_);
  ASSERT_FALSE(clash.ok());
  EXPECT_THAT(clash.status().message(), HasSubstr("subnet " + plan->subnet + " overlaps"));
  EXPECT_FALSE(NetnsListed("gaia-" + second + "-a"));
  // ChooseSubnet picks another one.
  absl::StatusOr<std::string> subnet = ChooseSubnet(second, state_dir_);
  ASSERT_TRUE(subnet.ok()) << subnet.status();
  EXPECT_NE(*subnet, plan->subnet);
  ASSERT_TRUE(Down(first, state_dir_).ok());
}

TEST_F(NetnsE2eTest, CrashedRunIsReportedStaleAndDownCleansIt) {
  const std::string name = NewName('f');
  LinkMatrix m;
  m.Set("a", "b", Link(10, 1));
  m.Set("b", "a", Link(10, 1));
  absl::StatusOr<NetnsPlan> plan = UpAs(name, m, {"a", "b"});
  ASSERT_TRUE(plan.ok()) << plan.status();

  // Simulate a crash halfway through Up: the state says incomplete and its
  // creator (a child that has exited) is gone.
  const pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  waitpid(child, nullptr, 0);
  const fs::path path = fs::path(state_dir_) / (name + ".json");
  nlohmann::json state;
  {
    std::ifstream in(path);
    state = nlohmann::json::parse(in);
  }
  state["complete"] = false;
  state["pid"] = child;
  std::ofstream(path) << state.dump();

  absl::StatusOr<EmulatorState> found = FindEmulator(name, state_dir_);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->health, EmulatorState::Health::kStale);
  EXPECT_TRUE(found->missing.empty());
  absl::StatusOr<NetnsPlan> up = UpAs(name, m, {"a", "b"});
  ASSERT_FALSE(up.ok());
  EXPECT_THAT(up.status().message(), HasSubstr("left by a crashed run"));
  EXPECT_THAT(up.status().message(), HasSubstr("gaia wan down --name " + name));

  // A piece removed by hand is reported missing.
  ASSERT_EQ(Ip({"ip", "netns", "del", plan->dcs[0].netns}), 0);
  found = FindEmulator(name, state_dir_);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->health, EmulatorState::Health::kStale);
  EXPECT_THAT(found->missing, ::testing::Contains("namespace " + plan->dcs[0].netns));
  // Measuring a link from the missing namespace fails at once (the
  // receiver stops waiting), naming it.
  const auto t0 = std::chrono::steady_clock::now();
  absl::StatusOr<std::vector<LinkMeasurement>> links = CheckLinks(*plan, m, 0.5);
  ASSERT_FALSE(links.ok());
  EXPECT_THAT(links.status().message(),
              HasSubstr("a->b: cannot enter network namespace " + plan->dcs[0].netns));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_EQ(CheckLinks(*plan, m, 0).status().code(), absl::StatusCode::kInvalidArgument);

  ASSERT_TRUE(Down(name, state_dir_).ok());
  ExpectGone(*plan);
  absl::StatusOr<std::vector<EmulatorState>> states = ListEmulators(state_dir_);
  ASSERT_TRUE(states.ok());
  EXPECT_TRUE(states->empty());
}

TEST_F(NetnsE2eTest, FailingCommandUndoesWhatWasMade) {
  // A `tc` first in $PATH that passes everything to the real one except
  // filters, so Up fails after making namespaces, veths, the bridge and
  // the htb classes.
  std::string real_tc;
  for (const char* dir : {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) {
    const std::string candidate = absl::StrCat(dir, "/tc");
    if (access(candidate.c_str(), X_OK) == 0) {
      real_tc = candidate;
      break;
    }
  }
  if (real_tc.empty()) GTEST_SKIP() << "tc is not in a standard directory";
  const fs::path bin = fs::path(state_dir_) / "bin";
  fs::create_directories(bin);
  std::ofstream(bin / "tc") << "#!/bin/sh\n"
                            << "case \"$*\" in *filter*) echo 'Error: injected failure' >&2; "
                            << "exit 2;; esac\n"
                            << "exec " << real_tc << " \"$@\"\n";
  fs::permissions(bin / "tc", fs::perms::owner_all);
  const std::string old_path = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";
  setenv("PATH", absl::StrCat(bin.string(), ":", old_path).c_str(), 1);
  if (Ip({"tc", "-V"}) != 0) {
    setenv("PATH", old_path.c_str(), 1);
    GTEST_SKIP() << "cannot run a script from " << bin.string() << " (noexec?)";
  }

  const std::string name = NewName('h');
  LinkMatrix m;
  m.Set("a", "b", Link(10, 1));
  m.Set("b", "a", Link(10, 1));
  NetnsOptions options;
  options.name = name;
  absl::StatusOr<std::string> subnet = ChooseSubnet(name, state_dir_);
  ASSERT_TRUE(subnet.ok()) << subnet.status();
  options.subnet = *subnet;
  absl::StatusOr<NetnsPlan> plan = Up(m, {"a", "b"}, options, state_dir_);
  setenv("PATH", old_path.c_str(), 1);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(plan.status().message(),
              HasSubstr(absl::StrCat("`tc -n gaia-", name, "-a filter add dev gn-", name, "-0")));
  EXPECT_THAT(plan.status().message(), HasSubstr("injected failure"));
  EXPECT_THAT(plan.status().message(), HasSubstr("undid what was made"));
  EXPECT_FALSE(LinkShown("gb-" + name));
  EXPECT_FALSE(LinkShown("gv-" + name + "-0"));
  EXPECT_FALSE(NetnsListed("gaia-" + name + "-a"));
  EXPECT_FALSE(fs::exists(fs::path(state_dir_) / (name + ".json")));
}

TEST_F(NetnsE2eTest, DownOfUnknownNameListsInstances) {
  const std::string name = NewName('g');
  LinkMatrix m;
  m.Set("a", "b", Link(10, 1));
  m.Set("b", "a", Link(10, 1));
  ASSERT_TRUE(UpAs(name, m, {"a", "b"}).ok());
  const absl::Status s = Down("nosuch", state_dir_);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("there are: " + name));
  EXPECT_TRUE(Down(name, state_dir_).ok());
}

// Runs as any user: only files.
TEST(NetnsState, StateNamingForeignObjectsIsRejected) {
  char tmpl[] = "/tmp/gaia-wan-state-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  LinkMatrix m;
  m.Set("a", "b", Link(10, 1));
  m.Set("b", "a", Link(10, 1));
  NetnsOptions options;
  options.name = "t";
  absl::StatusOr<NetnsPlan> plan = PlanNetns(m, {"a", "b"}, options);
  ASSERT_TRUE(plan.ok());
  nlohmann::json dcs = nlohmann::json::array();
  for (const NetnsDc& d : plan->dcs) {
    dcs.push_back({{"dc", d.dc},
                   {"netns", d.netns},
                   {"veth_host", d.veth_host},
                   {"veth_ns", d.veth_ns},
                   {"ip", d.ip}});
  }
  nlohmann::json state = {{"version", 1},
                          {"pid", 1},
                          {"complete", true},
                          {"matrix_source", "test"},
                          {"plan",
                           {{"name", "t"},
                            {"bridge", "gb-t"},
                            {"subnet", plan->subnet},
                            {"host_ip", plan->host_ip},
                            {"prefix_len", plan->prefix_len},
                            {"kernel_delay", false},
                            {"dcs", dcs},
                            {"links", nlohmann::json::array()},
                            {"up_commands", plan->up_commands},
                            {"down_commands", plan->down_commands}}}};
  const std::string path = dir + "/t.json";
  std::ofstream(path) << state.dump();
  absl::StatusOr<EmulatorState> found = FindEmulator("t", dir);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->plan.bridge, "gb-t");
  EXPECT_EQ(found->health, EmulatorState::Health::kStale);  // nothing exists

  // A file whose bridge is someone else's interface is not obeyed.
  state["plan"]["bridge"] = "lo";
  std::ofstream(path) << state.dump();
  found = FindEmulator("t", dir);
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(found.status().message(), HasSubstr("names bridge lo"));
  EXPECT_FALSE(Down("t", dir).ok());
  EXPECT_TRUE(InterfaceExists("lo"));
  state["plan"]["bridge"] = "gb-t";
  state["plan"]["dcs"][1]["veth_host"] = "eth0";
  std::ofstream(path) << state.dump();
  EXPECT_THAT(FindEmulator("t", dir).status().message(), HasSubstr("names interface eth0"));
  std::ofstream(path) << "{not json";
  EXPECT_THAT(ListEmulators(dir).status().message(), HasSubstr("malformed gaia wan state file"));
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace gaia::wan
