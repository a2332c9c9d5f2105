#include "src/cli/remote_process.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace gaia::cli {

namespace {

constexpr char kPidTag[] = "gaia-remote-pid ";
// How long Terminate waits for the remote shell's PID line when the process
// was just started.
constexpr auto kPidWait = std::chrono::seconds(5);
// How long the lifeline gives a program after TERM before KILL.
constexpr int kLifelineGraceS = 10;

}  // namespace

std::string RemotePaths::ToRemote(const std::string& path) const {
  if (path.rfind(local_root, 0) != 0) return path;
  return remote_root + path.substr(local_root.size());
}

std::vector<std::string> RemotePaths::ArgvToRemote(std::vector<std::string> argv) const {
  for (std::string& arg : argv) arg = absl::StrReplaceAll(arg, {{local_root, remote_root}});
  return argv;
}

std::string RemoteLaunchCommand(const std::vector<std::string>& argv, const std::string& dir,
                                const std::string& pid_file) {
  // The lifeline reads the session's stdin (saved as fd 3: a background
  // command's own stdin is /dev/null) until the launcher's end of it closes,
  // then ends the program if that PID still runs one of this run's (its
  // command line holds `dir`). `dir` reaches it in the environment, not its
  // arguments, so the run's process table check does not count it.
  const std::string lifeline = absl::StrCat(
      "cat >/dev/null 2>&1; p=$1; ",
      "ours() { tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null | grep -qF -- \"$GAIA_RUN\"; }; ",
      "ours || exit 0; kill -TERM $p; sleep ", kLifelineGraceS, "; ours && kill -KILL $p");
  std::string command = absl::StrCat(
      "cd ", ShellQuote(dir), " && echo $$ > ", ShellQuote(pid_file), " && echo '", kPidTag,
      "'$$ >&2 && exec 3<&0 && { GAIA_RUN=", ShellQuote(dir), " sh -c ", ShellQuote(lifeline),
      " gaia-lifeline $$ <&3 >/dev/null 2>&1 & } && exec");
  for (const std::string& arg : argv) absl::StrAppend(&command, " ", ShellQuote(arg));
  absl::StrAppend(&command, " </dev/null 3<&-");
  return command;
}

std::string RemoteKillCommand(pid_t pid, const std::string& marker,
                              std::chrono::milliseconds grace) {
  const int64_t tries = std::max<int64_t>(1, grace.count() / 100);
  // "ours": the PID still runs a program of this run (not a reused PID, not
  // a zombie, whose command line is empty).
  return absl::StrCat(
      "p=", pid, "; m=", ShellQuote(marker), "; ",
      "ours() { tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null | grep -qF -- \"$m\"; }; ",
      "ours || exit 0; kill -TERM $p 2>/dev/null; i=0; ",
      "while [ $i -lt ", tries, " ]; do ours || exit 0; sleep 0.1; i=$((i+1)); done; ",
      "kill -KILL $p 2>/dev/null; exit 0");
}

absl::StatusOr<std::unique_ptr<ChildProcess>> RemoteProcess::Spawn(
    const std::string& label, const std::vector<std::string>& argv, const std::string& log_path,
    const RemoteHostAccess& host, const RemotePaths& paths) {
  if (argv.empty()) return absl::InvalidArgumentError("empty command line");
  const std::string pid_file =
      absl::StrCat(paths.ToRemote(log_path), ".pid");  // beside its remote twin of the log
  // The lifeline: the ssh's stdin, whose write end only this process holds
  // (close-on-exec, so no other child inherits it). It closes when the
  // launcher ends the process or dies, even by SIGKILL.
  int lifeline[2] = {-1, -1};
  if (pipe2(lifeline, O_CLOEXEC) != 0) {
    return absl::UnavailableError(absl::StrCat(label, ": pipe: ", strerror(errno)));
  }
  absl::StatusOr<pid_t> ssh_pid = ChildProcess::Start(
      label, host.SshArgv(RemoteLaunchCommand(argv, paths.remote_root, pid_file), /*shared=*/false),
      log_path, lifeline[0]);
  close(lifeline[0]);
  if (!ssh_pid.ok()) {
    close(lifeline[1]);
    return ssh_pid.status();
  }
  return std::unique_ptr<ChildProcess>(
      new RemoteProcess(label, *ssh_pid, log_path, host, paths, pid_file, lifeline[1]));
}

RemoteProcess::RemoteProcess(std::string label, pid_t ssh_pid, std::string log_path,
                             RemoteHostAccess host, RemotePaths paths, std::string pid_file,
                             int lifeline_fd)
    : ChildProcess(std::move(label), ssh_pid, std::move(log_path)),
      host_(std::move(host)),
      paths_(std::move(paths)),
      pid_file_(std::move(pid_file)),
      lifeline_fd_(lifeline_fd) {}

RemoteProcess::~RemoteProcess() {
  Terminate(std::chrono::milliseconds(2000));
  if (lifeline_fd_ >= 0) close(lifeline_fd_);
}

std::optional<pid_t> RemoteProcess::remote_pid() {
  if (remote_pid_) return remote_pid_;
  std::ifstream in(log_path());
  std::string line;
  for (int n = 0; n < 200 && std::getline(in, line); ++n) {
    const size_t at = line.find(kPidTag);
    pid_t pid = 0;
    if (at != std::string::npos &&
        absl::SimpleAtoi(line.substr(at + sizeof(kPidTag) - 1), &pid) && pid > 1) {
      remote_pid_ = pid;
      break;
    }
  }
  return remote_pid_;
}

std::optional<ChildProcess::Exit> RemoteProcess::Poll() {
  std::optional<Exit> exit = ChildProcess::Poll();
  if (!exit) return exit;
  remote_ended_ = remote_ended_ || exit->exit_code != 255;
  // The label names the host; ssh reports a remote death by signal as 255.
  Exit described = *exit;
  if (exit->exit_code == 255) {
    described.description = "ended by a signal, or its ssh connection was lost (ssh code 255)";
  }
  return described;
}

ChildProcess::Exit RemoteProcess::Terminate(std::chrono::milliseconds grace) {
  Poll();  // an exit the ssh already reported needs no remote kill
  const auto pid_deadline = std::chrono::steady_clock::now() + kPidWait;
  while (!remote_ended_ && !remote_pid() && !ChildProcess::Poll() &&
         std::chrono::steady_clock::now() < pid_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!remote_ended_ && !remote_pid()) {
    // The shell may have written the file before its stderr got here.
    absl::StatusOr<std::string> text = host_.Run(absl::StrCat("cat ", ShellQuote(pid_file_)));
    pid_t pid = 0;
    if (text.ok() && absl::SimpleAtoi(*text, &pid) && pid > 1) remote_pid_ = pid;
  }
  if (!remote_ended_ && remote_pid_) {
    // Bounded on both sides: the remote loop, and ssh's own timeout.
    (void)host_.Run(RemoteKillCommand(*remote_pid_, paths_.remote_root, grace),
                    kSshCommandTimeoutS);
    remote_ended_ = true;
  }
  // The ssh ends with the remote process; then (or after `grace`) it goes.
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (!ChildProcess::Poll() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ChildProcess::Terminate(grace);
  return *Poll();
}

absl::Status RemoteProcess::FetchFile(const std::string& local_path) {
  return host_.FetchGrowing(paths_.ToRemote(local_path), local_path);
}

}  // namespace gaia::cli
