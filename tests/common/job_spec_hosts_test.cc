// dcs[].hosts, the inventory file and the ssh section of a job spec, and
// JobSpansHosts (docs/JOB_SPEC.md "Hosts").
#include <string>

#include "gtest/gtest.h"
#include "src/common/job_spec.h"
#include "tests/testing/subprocess.h"

namespace gaia::common {
namespace {

constexpr char kHead[] = R"(name: hosts
app: {program: mf}
tables: [{name: w, rows: 10, width: 4}]
)";

std::string Spec(const std::string& rest) { return kHead + rest; }

std::string ErrorOf(const std::string& text) {
  absl::StatusOr<JobSpec> spec = ParseJobSpec(text, "job.yaml");
  return spec.ok() ? std::string("accepted") : std::string(spec.status().message());
}

TEST(JobSpecHosts, HostsWithDefaultsAndCounts) {
  absl::StatusOr<JobSpec> spec = ParseJobSpec(Spec(R"(dcs:
  - name: east
    shards: 2
    workers: 3
    hosts:
      - {address: 10.77.1.2, ssh_user: gaia, ssh_port: 2222, shards: 2, workers: 1}
      - {address: east-2.example, shards: 0, workers: 2}
  - name: west
    shards: 2
    hosts: [{address: 10.77.2.2}]
ssh:
  identity_file: /keys/id
  known_hosts: /keys/known
  options: ["-o", "ConnectTimeout=5"]
  remote_dir: /var/tmp/gaia
)"),
                                              "job.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_EQ(spec->dcs[0].hosts.size(), 2u);
  const HostSpec& first = spec->dcs[0].hosts[0];
  EXPECT_EQ(first.address, "10.77.1.2");
  EXPECT_EQ(first.ssh_user, "gaia");
  EXPECT_EQ(first.ssh_port, 2222u);
  EXPECT_EQ(first.shards, 2u);
  EXPECT_EQ(spec->dcs[0].hosts[1].workers, 2u);
  const HostSpec& west = spec->dcs[1].hosts[0];
  EXPECT_EQ(west.ssh_user, "");
  EXPECT_EQ(west.ssh_port, 22u);
  EXPECT_FALSE(west.shards.has_value());
  EXPECT_EQ(spec->ssh.remote_dir, "/var/tmp/gaia");
  EXPECT_EQ(spec->ssh.options, (std::vector<std::string>{"-o", "ConnectTimeout=5"}));
  EXPECT_TRUE(JobSpansHosts(*spec));
}

TEST(JobSpecHosts, DefaultsWithoutHosts) {
  absl::StatusOr<JobSpec> spec = ParseJobSpec(Spec("dcs: [{name: a}]\n"), "job.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_TRUE(spec->dcs[0].hosts.empty());
  EXPECT_EQ(spec->ssh.remote_dir, "/tmp/gaia");
  EXPECT_FALSE(JobSpansHosts(*spec));
}

TEST(JobSpecHosts, LoopbackHostsDoNotSpanHosts) {
  absl::StatusOr<JobSpec> spec = ParseJobSpec(
      Spec("dcs:\n  - {name: a, hosts: [{address: 127.0.0.1}, {address: localhost}]}\n"),
      "job.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_FALSE(JobSpansHosts(*spec));
  EXPECT_TRUE(IsLocalAddress("127.0.0.5"));
  EXPECT_FALSE(IsLocalAddress("198.51.100.77"));  // TEST-NET-2, never configured here
}

TEST(JobSpecHosts, BadHostsNameFileLineAndField) {
  EXPECT_EQ(ErrorOf(Spec("dcs:\n  - name: a\n    hosts:\n      - {ssh_user: x}\n")),
            "job.yaml:7: dcs[0].hosts[0].address: required field missing");
  EXPECT_EQ(ErrorOf(Spec("dcs:\n  - name: a\n    hosts: [{address: -oProxy=x}]\n")).substr(0, 33),
            "job.yaml:6: dcs[0].hosts[0].addre");
  EXPECT_NE(ErrorOf(Spec("dcs:\n  - name: a\n    hosts: [{address: h, ssh_port: 0}]\n"))
                .find("job.yaml:6: dcs[0].hosts[0].ssh_port:"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Spec("dcs:\n  - name: a\n    hosts: [{address: h}, {address: h}]\n"))
                .find("host h is listed twice (also dcs[0].hosts[0])"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Spec("dcs:\n  - name: a\n    hosts: [{address: h, bogus: 1}]\n"))
                .find("dcs[0].hosts[0].bogus: unknown key"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Spec("dcs: [{name: a}]\nssh: {remote_dir: relative/dir}\n"))
                .find("job.yaml:5: ssh.remote_dir: must be an absolute path"),
            std::string::npos);
}

TEST(JobSpecHosts, PerHostCountsMustCoverTheDc) {
  EXPECT_EQ(ErrorOf(Spec(R"(dcs:
  - name: a
    shards: 2
    hosts:
      - {address: h1, shards: 1}
      - {address: h2}
)")),
            "job.yaml:8: dcs[0].hosts: DC a: 1 of 2 hosts give 'shards'; give it for every host "
            "or for none (round-robin)");
  EXPECT_EQ(ErrorOf(Spec(R"(dcs:
  - name: a
    workers: 3
    hosts: [{address: h1, workers: 1}, {address: h2, workers: 1}]
)")),
            "job.yaml:7: dcs[0].hosts: DC a: the hosts' 'workers' add up to 2 but the DC has 3");
}

class Inventory : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("inventory"); }
  // Writes the spec and the inventory beside it; parses the spec file.
  absl::StatusOr<JobSpec> Parse(const std::string& spec, const std::string& inventory) {
    testing::WriteTextFile(dir_ + "/inv.yaml", inventory);
    testing::WriteTextFile(dir_ + "/job.yaml", spec);
    return ParseJobSpecFile(dir_ + "/job.yaml");
  }
  std::string dir_;
};

TEST_F(Inventory, MergesHostsIntoDcs) {
  absl::StatusOr<JobSpec> spec = Parse(Spec(R"(dcs: [{name: east}, {name: west}]
inventory: inv.yaml
)"),
                                       R"(# inventory for job hosts, run id r1
dcs:
  east:
    - {address: 3.4.5.6, ssh_user: admin, ssh_port: 22}
  west:
    - {address: 5.6.7.8, ssh_user: admin}
)");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->inventory, dir_ + "/inv.yaml");
  ASSERT_EQ(spec->dcs[0].hosts.size(), 1u);
  EXPECT_EQ(spec->dcs[0].hosts[0].address, "3.4.5.6");
  EXPECT_EQ(spec->dcs[1].hosts[0].ssh_user, "admin");
  EXPECT_TRUE(JobSpansHosts(*spec));
}

TEST_F(Inventory, DcInBothPlacesNamesBoth) {
  absl::StatusOr<JobSpec> spec = Parse(Spec(R"(dcs:
  - name: east
    hosts: [{address: 1.2.3.4}]
inventory: inv.yaml
)"),
                                       "dcs:\n  east: [{address: 3.4.5.6}]\n");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().message(),
            dir_ + "/inv.yaml:2: dcs.east: DC east lists hosts here and in " + dir_ +
                "/job.yaml:6 (dcs[0].hosts); keep one of the two");
}

TEST_F(Inventory, ErrorsNameTheInventoryFile) {
  absl::StatusOr<JobSpec> spec =
      Parse(Spec("dcs: [{name: east}]\ninventory: inv.yaml\n"),
            "dcs:\n  east:\n    - {address: 3.4.5.6, ssh_port: 70000}\n");
  ASSERT_FALSE(spec.ok());
  const std::string want = dir_ + "/inv.yaml:3: dcs.east[0].ssh_port:";
  EXPECT_EQ(std::string(spec.status().message()).rfind(want, 0), 0u) << spec.status();
  spec = Parse(Spec("dcs: [{name: east}]\ninventory: inv.yaml\n"), "dcs:\n  north: []\n");
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(std::string(spec.status().message()).find("DC north is not in the job spec's dcs"),
            std::string::npos);
  spec = Parse(Spec("dcs: [{name: east}]\ninventory: missing.yaml\n"), "");
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(std::string(spec.status().message()).find("inventory: cannot read"),
            std::string::npos);
}

}  // namespace
}  // namespace gaia::common
