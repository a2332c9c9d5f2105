// A process of a run on another host, with ChildProcess's contract: started
// with the system's `ssh` (no tty) whose output, the remote process's
// stdout and stderr, streams into the log file in the run's folder; polled
// for exit (ssh ends with the remote exit code); ended by its remote PID,
// TERM then KILL, on completion, Ctrl-C and failure; and by its lifeline
// (RemoteLaunchCommand) when the launcher dies without ending it. The remote
// shell reports its PID ("gaia-remote-pid N" on stderr, and
// <remote_pid_file>) before it execs the program, so the PID is the program's.
//
// Not thread-safe; owned by the launcher's supervision loop.
#ifndef GAIA_SRC_CLI_REMOTE_PROCESS_H_
#define GAIA_SRC_CLI_REMOTE_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/cli/child_process.h"
#include "src/cli/remote_host.h"

namespace gaia::cli {

// How local paths of a run map to the remote host: a path under
// `local_root` (the results folder) is the same path under `remote_root`.
struct RemotePaths {
  std::string local_root;
  std::string remote_root;  // also the run's marker in the remote process table

  // `path`'s remote twin, or `path` itself when it is not under local_root.
  std::string ToRemote(const std::string& path) const;
  // Every argument that contains local_root, rewritten (--flag=<path> too).
  std::vector<std::string> ArgvToRemote(std::vector<std::string> argv) const;
};

class RemoteProcess : public ChildProcess {
 public:
  // Starts `argv` (remote paths, argv[0] the remote binary) on `host` in
  // paths.remote_root; its output goes to `log_path` here.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Spawn(const std::string& label,
                                                             const std::vector<std::string>& argv,
                                                             const std::string& log_path,
                                                             const RemoteHostAccess& host,
                                                             const RemotePaths& paths);
  ~RemoteProcess() override;

  std::optional<Exit> Poll() override;
  // Ends the remote process by PID (TERM, then KILL after `grace`, checking
  // each time that the PID still runs a program of this run), then the ssh.
  Exit Terminate(std::chrono::milliseconds grace) override;
  absl::Status FetchFile(const std::string& local_path) override;
  std::string host() const override { return host_.host().address; }

  // The remote PID once the remote shell has reported it.
  std::optional<pid_t> remote_pid();

 private:
  RemoteProcess(std::string label, pid_t ssh_pid, std::string log_path, RemoteHostAccess host,
                RemotePaths paths, std::string pid_file, int lifeline_fd);

  const RemoteHostAccess host_;
  const RemotePaths paths_;
  const std::string pid_file_;  // remote
  std::optional<pid_t> remote_pid_;
  bool remote_ended_ = false;
  // The write end of the ssh's stdin, never written: its closing (here, or
  // by the kernel when the launcher dies) makes the remote lifeline end the
  // program (RemoteLaunchCommand).
  const int lifeline_fd_;
};

// The shell command that runs `argv` in `dir` on a remote host, first
// reporting its PID on stderr and into `pid_file`, beside a lifeline that
// ends the program (TERM, then KILL after 10 s) once the shell's stdin
// closes: when the launcher, which holds its other end over ssh, ends.
std::string RemoteLaunchCommand(const std::vector<std::string>& argv, const std::string& dir,
                                const std::string& pid_file);

// The shell command that ends remote process `pid` if its command line still
// contains `marker`: TERM, up to `grace` for it to go, then KILL.
std::string RemoteKillCommand(pid_t pid, const std::string& marker,
                              std::chrono::milliseconds grace);

}  // namespace gaia::cli

#endif  // GAIA_SRC_CLI_REMOTE_PROCESS_H_
