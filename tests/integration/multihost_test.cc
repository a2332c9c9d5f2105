// `gaia launch` over four hosts made on this machine (docs/MULTI_HOST.md):
// the kernel WAN emulator's network namespaces (src/wan/netns_emulator.h)
// serve as hosts e1, e2 (DC east) and w1, w2 (DC west), tc shaping the
// links between the DCs' hosts; each runs the real OpenSSH server on its own
// address, with a host key and an authorized user key made here, and a
// private /run and remote folder (its own mount namespace), so whatever a
// run needs on a host really travels there over ssh/scp. Nothing of the
// machine's own ssh setup is read or changed; every sshd is ended by PID and
// the namespaces are deleted after.
//
// Needs root, iproute2 + tc, /usr/sbin/sshd, ssh, scp, ssh-keygen and
// unshare; otherwise every test skips, saying which is missing.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "src/wan/link_matrix.h"
#include "src/wan/netns_emulator.h"
#include "src/wan/system_tools.h"
#include "tests/testing/subprocess.h"

namespace gaia {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

constexpr char kSshd[] = "/usr/sbin/sshd";
const std::vector<std::string> kHosts = {"e1", "e2", "w1", "w2"};

// Inside a DC's hosts: fast; between the DCs: shaped (Mbit/s).
constexpr char kLinks[] = R"(from,to,bandwidth_mbps,delay_ms
e1,e2,1000,0
e1,w1,40,0
e1,w2,40,0
e2,w1,40,0
e2,w2,40,0
w1,w2,1000,0
)";

// Enough for both modes to converge, with room: gaia may take a few clocks
// more than 60 on this data (mf_convergence_test.cc), and a run can sit on a
// saddle near 150,000 for 40 clocks before it descends (seen once: 119,895
// at clock 80 against 117,383 usually). A clock takes ~30 ms here.
constexpr int kClocks = 150;

// East: round-robin over its hosts; west: per-host counts (w1 both shards
// and a worker, w2 one worker). <E1> etc. become the hosts' addresses.
constexpr char kSpecTemplate[] = R"(name: mf-hosts
mode: [baseline, gaia]
app:
  program: gaia_mf
  clocks: <CLOCKS>
  args: {rank: 16, lr: 0.007, lr-decay: 0.05, lambda: 0.01}
tables:
  - {name: R, rows: 1000, width: 16, init: {kind: normal, stddev: 0.1, seed: 1}}
dcs:
  - name: east
    shards: 2
    workers: 2
    data: "<DATA>,dc=0,dcs=2"
<EAST_HOSTS>
  - name: west
    shards: 2
    workers: 2
    data: "<DATA>,dc=1,dcs=2"
<WEST_HOSTS>
consistency: {model: bsp}
asp: {significance: relative, threshold: 0.01, ds: 2}
ssh:
  identity_file: <DIR>/user_key
  known_hosts: <DIR>/known_hosts
  remote_dir: <DIR>/remote
timeout_s: 110
)";

// examples/mf-2dc.yaml's data, split between the DCs.
constexpr char kData[] =
    "synthetic:users=4000,items=1000,ratings=800000,rank=16,noise=0.3,zipf=0.3,user_zipf=0.5,"
    "seed=7";

std::string Replace(std::string text, const std::string& key, const std::string& value) {
  for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at)) {
    text.replace(at, key.size(), value);
    at += value.size();
  }
  return text;
}

// The spec with its data and clock count filled in; hosts still to place.
std::string Template(int clocks) {
  return Replace(Replace(kSpecTemplate, "<DATA>", kData), "<CLOCKS>", std::to_string(clocks));
}

// What is missing for these tests, or "".
std::string MissingTool() {
  if (geteuid() != 0) return "not root (network namespaces and sshd need it)";
  if (access(kSshd, X_OK) != 0) return "no /usr/sbin/sshd (Debian package openssh-server)";
  for (const char* tool : {"ssh", "scp", "ssh-keygen", "unshare", "ip", "tc"}) {
    if (wan::FindTool(tool).empty()) return std::string("no ") + tool + " on PATH";
  }
  const wan::KernelSupport support = wan::ProbeKernel();
  if (!support.ok) return "kernel WAN emulation unavailable: " + support.reason;
  return "";
}

// Four namespaces with an sshd each; all of it gone when the object dies.
class SshHosts {
 public:
  // Empty on success, else why not.
  std::string Up() {
    dir_ = testing::MakeTempDir("multihost");
    state_dir_ = dir_ + "/wan-state";
    std::filesystem::create_directories(state_dir_);
    std::filesystem::create_directories(dir_ + "/remote");
    for (const char* key : {"host_key", "user_key"}) {
      auto made = testing::RunProcess({wan::FindTool("ssh-keygen"), "-q", "-t", "ed25519", "-N",
                                       "", "-C", "gaia-multihost-test", "-f",
                                       dir_ + "/" + key},
                                      std::chrono::seconds(30));
      if (made.exit_code != 0) return "ssh-keygen: " + made.output;
    }
    std::filesystem::copy_file(dir_ + "/user_key.pub", dir_ + "/authorized_keys");
    absl::StatusOr<wan::LinkMatrix> links = wan::ParseLinkMatrix(kLinks, "hosts.csv", true);
    if (!links.ok()) return std::string(links.status().message());
    wan::NetnsOptions options;
    options.name = "mh" + std::to_string(getpid() % 100000);
    absl::StatusOr<std::string> subnet = wan::ChooseSubnet(options.name, state_dir_);
    if (!subnet.ok()) return std::string(subnet.status().message());
    options.subnet = *subnet;
    absl::StatusOr<wan::NetnsPlan> plan = wan::Up(*links, kHosts, options, state_dir_);
    if (!plan.ok()) return std::string(plan.status().message());
    plan_ = *plan;
    WriteSshdConfig();
    std::string known_hosts;
    const std::string host_key = testing::ReadTextFile(dir_ + "/host_key.pub");
    for (const wan::NetnsDc& host : plan_->dcs) {
      known_hosts += host.ip + " " + host_key;
      StartSshd(host);
    }
    testing::WriteTextFile(dir_ + "/known_hosts", known_hosts);
    for (size_t h = 0; h < plan_->dcs.size(); ++h) {
      if (!AwaitSsh(h)) {
        return "sshd on " + ip(h) + " did not accept the test key within 20 s: " +
               sshds_[h]->OutputSoFar();
      }
    }
    return "";
  }

  ~SshHosts() {
    for (auto& sshd : sshds_) {
      sshd->Signal(SIGTERM);
      sshd->Wait(std::chrono::seconds(10));
    }
    if (plan_) {
      EXPECT_TRUE(wan::Down(plan_->name, state_dir_).ok());
    }
  }

  const std::string& dir() const { return dir_; }
  std::string ip(size_t host) const { return plan_->dcs[host].ip; }
  std::string netns(size_t host) const { return plan_->dcs[host].netns; }

  // Runs `command` on host `host` as root with the test key.
  testing::ProcessResult Ssh(size_t host, const std::string& command) const {
    return testing::RunProcess(
        {wan::FindTool("ssh"), "-T", "-o", "BatchMode=yes", "-o",
         "UserKnownHostsFile=" + dir_ + "/known_hosts", "-i", dir_ + "/user_key", "-o",
         "IdentitiesOnly=yes", "-o", "ConnectTimeout=5", "root@" + ip(host), command},
        std::chrono::seconds(30));
  }

 private:
  void WriteSshdConfig() {
    testing::WriteTextFile(dir_ + "/sshd_config",
                           "HostKey " + dir_ + "/host_key\n"
                           "AuthorizedKeysFile " + dir_ + "/authorized_keys\n"
                           "PubkeyAuthentication yes\n"
                           "PasswordAuthentication no\n"
                           "KbdInteractiveAuthentication no\n"
                           "PermitRootLogin prohibit-password\n"
                           "StrictModes no\n"
                           "UsePAM no\n"
                           "PidFile none\n"
                           "Subsystem sftp internal-sftp\n"
                           "LogLevel ERROR\n");
  }

  // In the host's namespace and a mount namespace of its own: a private
  // /run (sshd's privilege-separation folder lives there) and remote folder.
  void StartSshd(const wan::NetnsDc& host) {
    const std::string script = "mount -t tmpfs gaia-run /run && mkdir -m 755 /run/sshd && "
                               "mount -t tmpfs gaia-remote " + dir_ + "/remote && exec " +
                               kSshd + " -D -e -f " + dir_ + "/sshd_config -o ListenAddress=" +
                               host.ip;
    sshds_.push_back(std::make_unique<testing::Subprocess>(std::vector<std::string>{
        wan::FindTool("ip"), "netns", "exec", host.netns, wan::FindTool("unshare"), "--mount",
        "--propagation", "private", "/bin/sh", "-c", script}));
  }

  bool AwaitSsh(size_t host) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      if (Ssh(host, "true").exit_code == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
  }

  std::string dir_;
  std::string state_dir_;
  std::optional<wan::NetnsPlan> plan_;
  std::vector<std::unique_ptr<testing::Subprocess>> sshds_;
};

class MultiHost : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string missing = MissingTool(); !missing.empty()) {
      GTEST_SKIP() << "multi-host test needs: " << missing;
    }
    hosts_ = std::make_unique<SshHosts>();
    const std::string failed = hosts_->Up();
    ASSERT_EQ(failed, "");
  }

  // The job spec, on the four hosts or (one_host) without hosts.
  std::string WriteSpec(int clocks, bool one_host) const {
    std::string spec = Template(clocks);
    spec = Replace(spec, "<EAST_HOSTS>",
                   one_host ? "" : "    hosts: [{address: " + hosts_->ip(0) +
                                       "}, {address: " + hosts_->ip(1) + "}]");
    spec = Replace(spec, "<WEST_HOSTS>",
                   one_host ? ""
                            : "    hosts:\n      - {address: " + hosts_->ip(2) +
                                  ", ssh_user: root, shards: 2, workers: 1}\n"
                                  "      - {address: " + hosts_->ip(3) +
                                  ", ssh_port: 22, shards: 0, workers: 1}");
    spec = Replace(spec, "<DIR>", hosts_->dir());
    const std::string path =
        hosts_->dir() + (one_host ? "/one-host.yaml" : "/hosts.yaml");
    testing::WriteTextFile(path, spec);
    return path;
  }

  // A gaia-mode run over the four hosts that would go on for good, its
  // results under `results` in the test's folder.
  std::unique_ptr<testing::Subprocess> StartEndlessGaiaRun(const std::string& results) const {
    return std::make_unique<testing::Subprocess>(std::vector<std::string>{
        testing::BinDir() + "/gaia", "launch", "--quiet", "--mode", "gaia", "--results",
        hosts_->dir() + "/" + results, WriteSpec(100000, false)});
  }

  // Processes of any run of the job on host `host`, as pgrep lists them.
  std::string LeftOn(size_t host) const {
    return hosts_->Ssh(host, "pgrep -a -f '[" + hosts_->dir().substr(0, 1) + "]" +
                                 hosts_->dir().substr(1) + "/remote/' || true")
        .output;
  }

  std::unique_ptr<SshHosts> hosts_;
};

json RunsOf(const std::string& results) {
  for (const std::string& path : testing::FindFilesNamed(results, "summary.json")) {
    json summary = json::parse(testing::ReadTextFile(path), nullptr, false);
    if (summary.is_object() && summary.contains("runs")) return summary["runs"];
  }
  return json::array();
}

// Needs no host: `gaia validate` only plans.
TEST(MultiHostValidate, PrintsWhichProcessRunsOnWhichHost) {
  const std::string dir = testing::MakeTempDir("multihost-validate");
  std::string spec = Template(5);
  spec = Replace(spec, "<EAST_HOSTS>",
                 "    hosts: [{address: 198.51.100.1}, {address: 198.51.100.2}]");
  spec = Replace(spec, "<WEST_HOSTS>",
                 "    hosts:\n      - {address: 198.51.100.3, shards: 2, workers: 1}\n"
                 "      - {address: 198.51.100.4, shards: 0, workers: 1}");
  spec = Replace(spec, "<DIR>", dir);
  testing::WriteTextFile(dir + "/job.yaml", spec);
  auto validated = testing::RunProcess({testing::BinDir() + "/gaia", "validate", dir + "/job.yaml"},
                                       std::chrono::seconds(30));
  ASSERT_EQ(validated.exit_code, 0) << validated.output;
  EXPECT_THAT(validated.output, HasSubstr("  shard 1 (dc east): host 198.51.100.2\n"));
  EXPECT_THAT(validated.output, HasSubstr("  shard 3 (dc west): host 198.51.100.3\n"));
  EXPECT_THAT(validated.output, HasSubstr("  worker 3 (dc west): host 198.51.100.4\n"));
  // West without hosts: the job spans hosts, so that is refused.
  spec = Replace(Template(5), "<WEST_HOSTS>", "");
  spec = Replace(spec, "<EAST_HOSTS>", "    hosts: [{address: 198.51.100.1}]");
  spec = Replace(spec, "<DIR>", dir);
  testing::WriteTextFile(dir + "/job.yaml", spec);
  validated = testing::RunProcess({testing::BinDir() + "/gaia", "validate", dir + "/job.yaml"},
                                  std::chrono::seconds(30));
  EXPECT_EQ(validated.exit_code, 2);
  EXPECT_THAT(validated.output, HasSubstr("dcs[1].hosts: DC west lists no hosts"));
}

TEST_F(MultiHost, BaselineAndGaiaOverFourHostsConvergeAsOnOneHost) {
  const std::string results = hosts_->dir() + "/results";
  auto spread = testing::RunProcess({testing::BinDir() + "/gaia", "launch", "--quiet",
                                     "--results", results, WriteSpec(kClocks, false)},
                                    std::chrono::seconds(240));
  ASSERT_EQ(spread.exit_code, 0) << spread.output;
  const std::string one_results = hosts_->dir() + "/results-one";
  auto one = testing::RunProcess({testing::BinDir() + "/gaia", "launch", "--quiet", "--results",
                                  one_results, WriteSpec(kClocks, true)},
                                 std::chrono::seconds(240));
  ASSERT_EQ(one.exit_code, 0) << one.output;

  const json runs = RunsOf(results), one_runs = RunsOf(one_results);
  ASSERT_EQ(runs.size(), 2u) << spread.output;
  ASSERT_EQ(one_runs.size(), 2u) << one.output;
  for (size_t m = 0; m < 2; ++m) {
    SCOPED_TRACE(runs[m].value("mode", std::string("?")));
    EXPECT_EQ(runs[m].value("clocks_completed", 0), kClocks);
    ASSERT_TRUE(runs[m].contains("converged") && runs[m]["converged"].is_object())
        << runs[m].dump(2);
    ASSERT_TRUE(one_runs[m].contains("converged") && one_runs[m]["converged"].is_object())
        << one_runs[m].dump(2);
    // The tolerance of the MF convergence tests (mf_convergence_test.cc), on
    // the objective after kClocks: the convergence rule can fire on the
    // saddle (above) in one run and not in the other.
    const double spread_objective = runs[m]["final_objective"].get<double>();
    const double one_objective = one_runs[m]["final_objective"].get<double>();
    EXPECT_LE(std::abs(spread_objective - one_objective), 0.02 * one_objective)
        << spread_objective << " on four hosts, " << one_objective << " on one, after "
        << kClocks << " clocks";
    // Every shard's peak memory is known, the other hosts' from the shard.
    ASSERT_TRUE(runs[m].contains("shard_peak_rss_bytes")) << runs[m].dump(2);
    for (const json& rss : runs[m]["shard_peak_rss_bytes"]) {
      EXPECT_GT(rss.get<uint64_t>(), 1u << 20) << runs[m]["shard_peak_rss_bytes"].dump();
    }
  }
  ASSERT_TRUE(runs[1].contains("mirror")) << runs[1].dump(2);
  EXPECT_LT(runs[1]["mirror"]["dc_max_difference"].get<double>(), 1e-3);

  // Logs and metrics came back; the workers used TCP to other hosts' shards
  // and the Unix socket to their own host's.
  const std::vector<std::string> configs = testing::FindFilesNamed(results, "worker-0.json");
  ASSERT_FALSE(configs.empty());
  const json worker0 = json::parse(testing::ReadTextFile(configs.back()), nullptr, false);
  EXPECT_THAT(worker0["shard_addresses"].dump(), HasSubstr("unix-abstract:"));
  EXPECT_THAT(worker0["shard_addresses"].dump(), HasSubstr(hosts_->ip(1) + ":"));
  EXPECT_FALSE(testing::FindFilesNamed(results, "worker-3.log").empty());
  for (size_t h = 0; h < kHosts.size(); ++h) EXPECT_EQ(LeftOn(h), "") << kHosts[h];

  // tls: auto is on because the job spans hosts: every host got its own
  // certificate, and every process read its host's copy of the material.
  for (size_t h = 0; h < kHosts.size(); ++h) {
    EXPECT_FALSE(testing::FindFilesNamed(results, hosts_->ip(h) + ".crt").empty()) << kHosts[h];
  }
  EXPECT_FALSE(worker0.value("tls_cert_file", std::string()).empty()) << worker0.dump(2);
  const std::vector<std::string> remote_configs = testing::FindFilesNamed(results, "worker-3.json");
  ASSERT_FALSE(remote_configs.empty());
  const json worker3 = json::parse(testing::ReadTextFile(remote_configs.back()), nullptr, false);
  EXPECT_THAT(worker3.value("tls_key_file", std::string()), HasSubstr(hosts_->dir() + "/remote/"));
  // On one host auto is off.
  EXPECT_TRUE(testing::FindFilesNamed(one_results, "launcher.json").empty());
}

// Worker 3 runs on w2 (host 3); its remote shell wrote its PID beside its
// log in the run's folder there. "" if it did not within 150 s (the launcher
// makes ~30 ssh calls before it starts a worker; one new ssh connection takes
// ~0.8 s on some of our machines).
std::string AwaitWorker3Pid(const SshHosts& hosts) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(150);
  while (std::chrono::steady_clock::now() < deadline) {
    auto found = hosts.Ssh(3, "cat " + hosts.dir() + "/remote/mf-hosts/*/logs/gaia/"
                               "worker-3.log.pid 2>/dev/null");
    if (found.exit_code == 0 && !found.output.empty()) return found.output;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  return "";
}

TEST_F(MultiHost, CtrlCEndsEveryRemoteProcess) {
  std::unique_ptr<testing::Subprocess> launch = StartEndlessGaiaRun("results-int");
  ASSERT_NE(AwaitWorker3Pid(*hosts_), "") << launch->OutputSoFar();
  launch->Signal(SIGINT);
  const testing::ProcessResult ended = launch->Wait(std::chrono::seconds(60));
  ASSERT_FALSE(ended.timed_out) << ended.output;
  EXPECT_NE(ended.exit_code, 0);
  EXPECT_THAT(ended.output, HasSubstr("interrupted"));
  for (size_t h = 0; h < kHosts.size(); ++h) EXPECT_EQ(LeftOn(h), "") << kHosts[h];
}

// A launcher killed outright cleans nothing up; every remote process still
// ends, by its lifeline (the ssh's stdin, which closes with the launcher).
TEST_F(MultiHost, KillingTheLauncherEndsEveryRemoteProcessByItsLifeline) {
  std::unique_ptr<testing::Subprocess> launch = StartEndlessGaiaRun("results-sigkill");
  ASSERT_NE(AwaitWorker3Pid(*hosts_), "") << launch->OutputSoFar();
  launch->Signal(SIGKILL);
  ASSERT_FALSE(launch->Wait(std::chrono::seconds(10)).timed_out);
  // TERM at once; the programs' own shutdown takes well under this.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (size_t h = 0; h < kHosts.size(); ++h) {
    std::string left = LeftOn(h);
    while (!left.empty() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      left = LeftOn(h);
    }
    EXPECT_EQ(left, "") << kHosts[h];
  }
}

TEST_F(MultiHost, KillingARemoteWorkerEndsTheJobNamingHostAndProcess) {
  std::unique_ptr<testing::Subprocess> launch = StartEndlessGaiaRun("results-kill");
  const std::string pid = AwaitWorker3Pid(*hosts_);
  ASSERT_FALSE(pid.empty()) << launch->OutputSoFar();
  // Let it run a few clocks, then end it from outside the launcher.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  ASSERT_EQ(hosts_->Ssh(3, "kill -KILL " + pid).exit_code, 0);
  const testing::ProcessResult ended = launch->Wait(std::chrono::seconds(60));
  ASSERT_FALSE(ended.timed_out) << ended.output;
  EXPECT_NE(ended.exit_code, 0);
  EXPECT_THAT(ended.output, HasSubstr("worker 3 (dc west"));
  EXPECT_THAT(ended.output, HasSubstr("on host " + hosts_->ip(3)));
  EXPECT_THAT(ended.output, ::testing::Not(HasSubstr("still running")));
  for (size_t h = 0; h < kHosts.size(); ++h) EXPECT_EQ(LeftOn(h), "") << kHosts[h];
}

}  // namespace
}  // namespace gaia
