// A child process the launcher started: spawned with its output going to a
// log file, polled for exit, and ended by its PID only. RemoteProcess
// (remote_process.h) keeps the same contract for a process on another host.
//
// Not thread-safe; owned by the launcher's supervision loop.
#ifndef GAIA_SRC_CLI_CHILD_PROCESS_H_
#define GAIA_SRC_CLI_CHILD_PROCESS_H_

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace gaia::cli {

class ChildProcess {
 public:
  // Starts argv[0] (a path) with `argv`; stdout and stderr are appended to
  // `log_path`. The child gets its own process group so a terminal Ctrl-C
  // reaches only the launcher, which then ends its children in order.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Spawn(
      const std::string& label, const std::vector<std::string>& argv,
      const std::string& log_path);

  virtual ~ChildProcess();  // Kills the child if it still runs.
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  const std::string& label() const { return label_; }
  const std::string& log_path() const { return log_path_; }
  pid_t pid() const { return pid_; }

  // Non-blocking: the exit description once the child has ended.
  // `exit_code` is the code, or 128 + signal number.
  struct Exit {
    int exit_code = 0;
    std::string description;  // "exited with code 3" / "killed by signal 9 (Killed)"
  };
  virtual std::optional<Exit> Poll();
  bool running() { return !Poll().has_value(); }

  // SIGTERM, then SIGKILL after `grace`; waits for the exit. Idempotent.
  virtual Exit Terminate(std::chrono::milliseconds grace);

  // Brings `local_path`, a file the child writes (its port file, metrics),
  // up to date where the launcher reads it. Nothing to do for a local child.
  virtual absl::Status FetchFile(const std::string& /*local_path*/) { return absl::OkStatus(); }
  // Where the child runs, for messages: "" for this host.
  virtual std::string host() const { return ""; }

  // The last `max_lines` lines of the child's log (for error reports).
  std::string LogTail(int max_lines) const;

 protected:
  // Spawn's work, for subclasses that own the process they start. The
  // child's stdin is `stdin_fd` when given (>= 0), else /dev/null.
  static absl::StatusOr<pid_t> Start(const std::string& label,
                                     const std::vector<std::string>& argv,
                                     const std::string& log_path, int stdin_fd = -1);
  ChildProcess(std::string label, pid_t pid, std::string log_path)
      : label_(std::move(label)), pid_(pid), log_path_(std::move(log_path)) {}

 private:
  std::string label_;
  pid_t pid_;
  std::string log_path_;
  std::optional<Exit> exit_;
};

// The error for a child that ended while it should run: its label, how it
// ended, and the last lines of its log.
absl::Status ChildFailed(ChildProcess& child, const ChildProcess::Exit& exit);

// Waits up to `timeout` for the ports a starting child writes to `path`
// (`{"ports":[...]}` or a bare number); the child must stay alive meanwhile.
// CANCELLED once `*stop` is set (may be null), DEADLINE_EXCEEDED naming the
// child and its log on timeout.
absl::StatusOr<std::vector<int>> AwaitPorts(ChildProcess& child, const std::string& path,
                                            std::chrono::seconds timeout,
                                            const std::atomic<bool>* stop);


}  // namespace gaia::cli

#endif  // GAIA_SRC_CLI_CHILD_PROCESS_H_
