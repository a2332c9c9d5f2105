#include "src/wan/system_tools.h"

#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace gaia::wan {

std::string NetnsPath(const std::string& netns) { return absl::StrCat(kNetnsDir, "/", netns); }

int EnterNetnsPath(const char* path) {
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  const int rc = setns(fd, CLONE_NEWNET);
  const int err = errno;
  close(fd);
  return rc == 0 ? 0 : err;
}

absl::Status EnterNetns(const std::string& netns) {
  const std::string path = NetnsPath(netns);
  const int err = EnterNetnsPath(path.c_str());
  if (err == 0) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("cannot enter network namespace ", netns, " (", path, "): ", strerror(err)));
}

bool InterfaceExists(const std::string& ifname) { return if_nametoindex(ifname.c_str()) != 0; }

bool NetnsExists(const std::string& netns) {
  struct stat st;
  return !netns.empty() && netns.find('/') == std::string::npos &&
         stat(NetnsPath(netns).c_str(), &st) == 0;
}

namespace {

// argv[0] if it has a slash, else the first executable of that name in
// $PATH, /usr/sbin, /sbin (root's tools are often outside a user's PATH).
std::string FindExecutable(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    dirs = absl::StrSplit(path, ':', absl::SkipEmpty());
  }
  for (const char* d : {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) dirs.push_back(d);
  for (const std::string& dir : dirs) {
    const std::string candidate = absl::StrCat(dir, "/", name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

}  // namespace

std::string FindTool(const std::string& name) { return FindExecutable(name); }

absl::StatusOr<CommandResult> RunTool(const std::vector<std::string>& argv, double timeout_s) {
  if (argv.empty()) return absl::InvalidArgumentError("empty command");
  const std::string path = FindExecutable(argv[0]);
  if (path.empty()) {
    return absl::NotFoundError(absl::StrCat(argv[0], " is not in $PATH, /usr/sbin or /sbin"));
  }
  // Everything the child needs is prepared before fork(): after it, the
  // child only calls async-signal-safe functions.
  std::vector<char*> cargv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  const int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0 || pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    const int err = errno;
    for (int fd : {devnull, out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
      if (fd >= 0) close(fd);
    }
    return absl::UnavailableError(absl::StrCat("cannot run ", argv[0], ": ", strerror(err)));
  }
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(devnull, 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    execv(path.c_str(), cargv.data());
    _exit(127);
  }
  const int fork_errno = errno;
  close(devnull);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (pid < 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    return absl::UnavailableError(absl::StrCat("fork: ", strerror(fork_errno)));
  }
  CommandResult result;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(timeout_s));
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  bool timed_out = false;
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    if (poll(fds, 2, static_cast<int>(left.count()) + 1) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      const ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;  // poll ignores negative fds
      }
    }
  }
  for (const pollfd& p : fds) {
    if (p.fd >= 0) close(p.fd);
  }
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (timed_out) result.err += absl::StrCat("\n(killed after ", timeout_s, " s)");
  if (result.exit_code == 127 && result.err.empty()) {
    result.err = absl::StrCat("cannot execute ", path);
  }
  return result;
}

std::string CommandLine(const std::vector<std::string>& argv) { return absl::StrJoin(argv, " "); }

}  // namespace gaia::wan
