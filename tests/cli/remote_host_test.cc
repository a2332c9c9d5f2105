// The SSH runner's commands (remote_host.h, remote_process.h). The shell
// commands run here with the local /bin/sh, which is what a remote host's
// sshd hands them to; ssh itself is covered by the multi-host test.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_join.h"
#include "src/cli/remote_host.h"
#include "src/cli/remote_process.h"
#include "tests/cli/two_dc_spec.h"
#include "tests/testing/subprocess.h"

namespace gaia::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(RemoteHost, ShellQuoteSurvivesQuotesAndSpaces) {
  EXPECT_EQ(ShellQuote("plain"), "'plain'");
  EXPECT_EQ(ShellQuote("it's a b"), "'it'\\''s a b'");
  auto echoed = testing::RunProcess({"/bin/sh", "-c", "printf %s " + ShellQuote("a 'b' $HOME;")},
                                    std::chrono::seconds(10));
  EXPECT_EQ(echoed.output, "a 'b' $HOME;");
}

TEST(RemoteHost, SshIsNonInteractiveWithTheSpecsKeyAndKnownHosts) {
  common::SshSpec ssh;
  ssh.identity_file = "/keys/id";
  ssh.known_hosts = "/keys/known";
  ssh.options = {"-o", "ProxyJump=bastion"};
  RemoteHostAccess host({"198.51.100.7", "admin", 2222, "east"}, ssh);
  const std::vector<std::string> argv = host.SshArgv("true");
  const std::string line = absl::StrJoin(argv, " ");
  EXPECT_THAT(line, HasSubstr(" -T "));
  EXPECT_THAT(line, HasSubstr("-o BatchMode=yes"));
  EXPECT_THAT(line, HasSubstr("-o PasswordAuthentication=no"));
  EXPECT_THAT(line, HasSubstr("-p 2222"));
  EXPECT_THAT(line, HasSubstr("-i /keys/id -o IdentitiesOnly=yes"));
  EXPECT_THAT(line, HasSubstr("-o UserKnownHostsFile=/keys/known"));
  EXPECT_THAT(line, HasSubstr("-o ProxyJump=bastion admin@198.51.100.7 true"));
  EXPECT_THAT(line, ::testing::Not(HasSubstr("StrictHostKeyChecking")));
  const std::string scp = absl::StrJoin(host.ScpArgv("a", "admin@198.51.100.7:/b", true), " ");
  EXPECT_THAT(scp, HasSubstr(" -r "));
  EXPECT_THAT(scp, HasSubstr("-P 2222"));
  EXPECT_EQ(RemoteHostAccess({"h", "", 22, "a"}, {}).Destination(), "h");
}

TEST(RemoteHost, RunFolderIsRemoteDirJobAndTheResultsFoldersName) {
  common::SshSpec ssh;
  ssh.remote_dir = "/srv/gaia";
  EXPECT_EQ(RemoteRunDir(ssh, "mf", "results/mf/2026-12-07T06-00-00"),
            "/srv/gaia/mf/2026-12-07T06-00-00");
  RemotePaths paths{"/home/u/results/mf/t1", "/srv/gaia/mf/t1"};
  EXPECT_EQ(paths.ToRemote("/home/u/results/mf/t1/work/gaia/worker-0.json"),
            "/srv/gaia/mf/t1/work/gaia/worker-0.json");
  EXPECT_EQ(paths.ToRemote("/etc/passwd"), "/etc/passwd");
  EXPECT_THAT(paths.ArgvToRemote({"prog", "--gaia-config=/home/u/results/mf/t1/w.json", "-x"}),
              ElementsAre("prog", "--gaia-config=/srv/gaia/mf/t1/w.json", "-x"));
}

TEST(RemoteHost, JobsSpanningHostsNeedHostsEverywhereAndNoEmulatedWan) {
  common::JobSpec spec = TwoDcTestSpec(1, 1, 1, 1);
  EXPECT_TRUE(CheckHostsSupported(spec).ok());
  common::HostSpec remote;
  remote.address = "198.51.100.1";
  spec.dcs[0].hosts = {remote};
  EXPECT_THAT(std::string(CheckHostsSupported(spec).message()),
              HasSubstr("dcs[1].hosts: DC b lists no hosts but the job spans hosts"));
  common::HostSpec loopback;
  loopback.address = "127.0.0.1";
  spec.dcs[1].hosts = {loopback};
  EXPECT_THAT(std::string(CheckHostsSupported(spec).message()),
              HasSubstr("dcs[1].hosts[0].address: 127.0.0.1 is loopback"));
  remote.address = "198.51.100.2";
  spec.dcs[1].hosts = {remote};
  EXPECT_TRUE(CheckHostsSupported(spec).ok());
  spec.wan.emulate = common::WanEmulation::kProxy;
  EXPECT_THAT(std::string(CheckHostsSupported(spec).message()), HasSubstr("wan.emulate"));
}

// The launch command run by a local shell: the PID it reports and writes is
// the program's own (the shell execs it), and it runs in the given folder.
TEST(RemoteProcessCommands, LaunchReportsTheProgramsOwnPid) {
  const std::string dir = testing::MakeTempDir("remote-launch");
  const std::string command =
      RemoteLaunchCommand({"/bin/sh", "-c", "echo pid=$$ cwd=$(pwd)"}, dir, dir + "/p.pid");
  auto run = testing::RunProcess({"/bin/sh", "-c", command}, std::chrono::seconds(10));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string pid = testing::ReadTextFile(dir + "/p.pid");
  ASSERT_FALSE(pid.empty());
  const std::string trimmed = pid.substr(0, pid.find('\n'));
  EXPECT_THAT(run.output, HasSubstr("gaia-remote-pid " + trimmed + "\n"));
  EXPECT_THAT(run.output, HasSubstr("pid=" + trimmed + " cwd=" + dir));
}

// The launch command run by a local shell whose stdin is a pipe this test
// holds, as the launcher holds the ssh's: the program runs while the pipe is
// open and is ended once its write end closes (the launcher died).
TEST(RemoteProcessCommands, TheLifelineEndsTheProgramWhenTheLauncherGoes) {
  const std::string dir = testing::MakeTempDir("remote-lifeline");
  // The program's command line holds the run's folder, as a real one does.
  const std::string command = RemoteLaunchCommand(
      {"/bin/sh", "-c", "while :; do sleep 0.05; done", dir + "/program"}, dir, dir + "/p.pid");
  int lifeline[2];
  ASSERT_EQ(pipe2(lifeline, O_CLOEXEC), 0);
  const pid_t shell = fork();
  if (shell == 0) {
    dup2(lifeline[0], STDIN_FILENO);
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_GT(shell, 0);
  close(lifeline[0]);
  // The shell execs the program: same PID, and it keeps running meanwhile.
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  int status = 0;
  EXPECT_EQ(waitpid(shell, &status, WNOHANG), 0) << "ended while the lifeline was open";
  EXPECT_THAT(testing::ReadTextFile(dir + "/p.pid"), HasSubstr(std::to_string(shell)));
  close(lifeline[1]);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  pid_t reaped = 0;
  while (reaped == 0 && std::chrono::steady_clock::now() < deadline) {
    reaped = waitpid(shell, &status, WNOHANG);
    if (reaped == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (reaped == 0) kill(shell, SIGKILL), waitpid(shell, &status, 0);
  ASSERT_EQ(reaped, shell) << "the program outlived its lifeline";
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
}

// A child of this test that ignores SIGTERM (so KILL is needed), with
// `marker` in its command line.
pid_t StartStubborn(const std::string& marker) {
  const pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", "trap '' TERM; while :; do sleep 0.05; done", marker.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

bool Reaped(pid_t pid, std::chrono::seconds within) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TEST(RemoteProcessCommands, KillEndsTheRunsProcessWithKillAfterTheGrace) {
  const std::string marker = testing::MakeTempDir("remote-kill") + "/run-1";
  const pid_t pid = StartStubborn(marker);
  ASSERT_GT(pid, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto t0 = std::chrono::steady_clock::now();
  auto run = testing::RunProcess(
      {"/bin/sh", "-c", RemoteKillCommand(pid, marker, std::chrono::milliseconds(300))},
      std::chrono::seconds(10));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(250))
      << "it ignores TERM: KILL comes after the grace";
  EXPECT_TRUE(Reaped(pid, std::chrono::seconds(5)));
}

TEST(RemoteProcessCommands, KillLeavesAProcessOfAnotherRunAlone) {
  const std::string dir = testing::MakeTempDir("remote-kill-other");
  const pid_t pid = StartStubborn(dir + "/run-2");
  ASSERT_GT(pid, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto run = testing::RunProcess(
      {"/bin/sh", "-c", RemoteKillCommand(pid, dir + "/run-1", std::chrono::milliseconds(200))},
      std::chrono::seconds(10));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_FALSE(Reaped(pid, std::chrono::seconds(1))) << "a PID not of this run was killed";
  kill(pid, SIGKILL);
  EXPECT_TRUE(Reaped(pid, std::chrono::seconds(5)));
}

}  // namespace
}  // namespace gaia::cli
