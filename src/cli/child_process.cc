#include "src/cli/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <deque>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace gaia::cli {
namespace {

ChildProcess::Exit DescribeStatus(int status) {
  ChildProcess::Exit exit;
  if (WIFEXITED(status)) {
    exit.exit_code = WEXITSTATUS(status);
    exit.description = absl::StrCat("exited with code ", exit.exit_code);
  } else if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    exit.exit_code = 128 + sig;
    exit.description = absl::StrCat("killed by signal ", sig, " (", strsignal(sig), ")");
  } else {
    exit.exit_code = 255;
    exit.description = "ended in an unknown way";
  }
  return exit;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Spawn(
    const std::string& label, const std::vector<std::string>& argv,
    const std::string& log_path) {
  absl::StatusOr<pid_t> pid = Start(label, argv, log_path);
  if (!pid.ok()) return pid.status();
  return std::unique_ptr<ChildProcess>(new ChildProcess(label, *pid, log_path));
}

absl::StatusOr<pid_t> ChildProcess::Start(const std::string& label,
                                          const std::vector<std::string>& argv,
                                          const std::string& log_path, int stdin_fd) {
  if (argv.empty()) return absl::InvalidArgumentError("empty command line");
  if (access(argv[0].c_str(), X_OK) != 0) {
    return absl::NotFoundError(
        absl::StrCat(label, ": cannot execute ", argv[0], ": ", strerror(errno)));
  }
  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open log ", log_path, ": ", strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (stdin_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, stdin_fd, STDIN_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, log_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, log_fd, STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t empty_mask, default_signals;
  sigemptyset(&empty_mask);
  posix_spawnattr_setsigmask(&attr, &empty_mask);
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGINT);
  sigaddset(&default_signals, SIGTERM);
  sigaddset(&default_signals, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &default_signals);

  std::vector<char*> cargv;
  for (const std::string& arg : argv) cargv.push_back(const_cast<char*>(arg.c_str()));
  cargv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0].c_str(), &actions, &attr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(log_fd);
  if (rc != 0) {
    return absl::UnavailableError(
        absl::StrCat(label, ": cannot start ", argv[0], ": ", strerror(rc)));
  }
  return pid;
}

ChildProcess::~ChildProcess() {
  if (!exit_) Terminate(std::chrono::milliseconds(2000));
}

std::optional<ChildProcess::Exit> ChildProcess::Poll() {
  if (exit_) return exit_;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) exit_ = DescribeStatus(status);
  return exit_;
}

ChildProcess::Exit ChildProcess::Terminate(std::chrono::milliseconds grace) {
  if (Poll()) return *exit_;
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (Poll()) return *exit_;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  exit_ = DescribeStatus(status);
  return *exit_;
}

std::string ChildProcess::LogTail(int max_lines) const {
  std::ifstream in(log_path_);
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (static_cast<int>(lines.size()) > max_lines) lines.pop_front();
  }
  std::string out;
  for (const std::string& l : lines) absl::StrAppend(&out, "    ", l, "\n");
  return out;
}

absl::Status ChildFailed(ChildProcess& child, const ChildProcess::Exit& exit) {
  return absl::AbortedError(absl::StrCat(child.label(), " ", exit.description,
                                         "; last lines of ", child.log_path(), ":\n",
                                         child.LogTail(12)));
}

absl::StatusOr<std::vector<int>> AwaitPorts(ChildProcess& child, const std::string& path,
                                            std::chrono::seconds timeout,
                                            const std::atomic<bool>* stop) {
  using nlohmann::json;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (stop && stop->load()) return absl::CancelledError("interrupted");
    if (auto exit = child.Poll()) return ChildFailed(child, *exit);
    // A remote child's file is fetched; a missing one is simply not there yet.
    if (!child.FetchFile(path).ok()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    std::ifstream in(path);
    if (in) {
      std::stringstream text;
      text << in.rdbuf();
      json j = json::parse(text.str(), nullptr, false);
      std::vector<int> ports;
      if (j.is_number_integer()) ports.push_back(j.get<int>());
      if (j.is_object() && j.contains("ports") && j["ports"].is_array()) {
        for (const json& p : j["ports"]) {
          if (p.is_number_integer()) ports.push_back(p.get<int>());
        }
      }
      if (!ports.empty()) return ports;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError(absl::StrCat(child.label(),
                                                  " did not report its port within ",
                                                  timeout.count(), " s; see ", child.log_path()));
}

}  // namespace gaia::cli
