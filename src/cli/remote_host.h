// One other host of a job, reached with the system's `ssh` and `scp`
// (BatchMode: keys only, never a prompt; no tty): the command lines, running
// a command there, copying files there and back, and listing what of a run
// is still running there (docs/MULTI_HOST.md).
//
//   RemoteHostAccess host(placement.hosts[0], spec.ssh);
//   absl::StatusOr<std::string> out = host.Run("uname -a", 30);
//   host.CopyTo("build/bin/gaia", "/tmp/gaia/job/run/bin/gaia");
//
// A value; every call blocks until its ssh/scp ends or its timeout passes.
// Thread-compatible.
#ifndef GAIA_SRC_CLI_REMOTE_HOST_H_
#define GAIA_SRC_CLI_REMOTE_HOST_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/cli/placement.h"
#include "src/common/job_spec.h"

namespace gaia::cli {

// How long one ssh/scp command may take before it is killed.
inline constexpr double kSshCommandTimeoutS = 60;

// `s` quoted for a POSIX shell: 'it'\''s'.
std::string ShellQuote(const std::string& s);

// Where a run's files land on every remote host:
// <ssh.remote_dir>/<job>/<run>, <run> being the results folder's name.
std::string RemoteRunDir(const common::SshSpec& ssh, const std::string& job,
                         const std::string& run_dir);

// Refuses what a job spanning hosts cannot do: every DC must then list
// hosts (a process left on the launcher's host is reached at loopback),
// none at a loopback address, and the WAN is the real network (no
// wan.emulate). OK for a job on one host.
absl::Status CheckHostsSupported(const common::JobSpec& spec);

// The build id of a binary: the SHA-256 of the file, in hex.
absl::StatusOr<std::string> BuildId(const std::string& path);

class RemoteHostAccess {
 public:
  // `control_dir`: a folder for ssh's connection sharing (ControlMaster),
  // or "" for none. Short commands and copies then share one connection per
  // host instead of a handshake each; a process's own session never shares.
  RemoteHostAccess(RemoteHost host, common::SshSpec ssh, std::string control_dir = "")
      : host_(std::move(host)), ssh_(std::move(ssh)), control_dir_(std::move(control_dir)) {}

  const RemoteHost& host() const { return host_; }

  // `ssh ... <destination> <remote_command>`; `shared`: over the shared
  // connection when there is a control_dir.
  std::vector<std::string> SshArgv(const std::string& remote_command, bool shared = true) const;
  // Ends the shared connection's master, if one runs (`ssh -O exit`).
  void CloseSharedConnection() const;
  // `scp ... <from> <to>`; a remote side is written "<destination>:<path>".
  std::vector<std::string> ScpArgv(const std::string& from, const std::string& to,
                                   bool recursive) const;
  std::string Destination() const;     // [user@]address
  std::string ScpDestination() const;  // the same, an IPv6 address in [brackets]

  // Runs `command` in the remote user's shell; its stdout, or an error
  // naming the host, the exit code and stderr.
  absl::StatusOr<std::string> Run(const std::string& command,
                                  double timeout_s = kSshCommandTimeoutS) const;
  // Copies a local file (or, `recursive`, a folder) to `remote_path`, through
  // a temporary name in ssh.remote_dir renamed at the end so readers never
  // see half a file. REQUIRES: ssh.remote_dir exists there.
  absl::Status CopyTo(const std::string& local_path, const std::string& remote_path,
                      bool recursive = false) const;
  // Brings `local_path` up to remote file `remote_path`, which only grows
  // (a port file written once, a metrics file appended to): appends the
  // bytes beyond the local file's size, so a reader holding the local file
  // open keeps reading where it was. NOT_FOUND when there is no such remote
  // file yet.
  absl::Status FetchGrowing(const std::string& remote_path, const std::string& local_path) const;
  // The binary at `local_path`, installed once per build under
  // <remote_dir>/builds/<sha256 of the file>/: copied only when the host
  // does not have that build yet. Returns the remote path.
  // `build_id`: BuildId(local_path), computed once for every host.
  absl::StatusOr<std::string> InstallBinary(const std::string& local_path,
                                            const std::string& build_id) const;
  // Processes whose command line contains `marker` (a run's remote folder),
  // as "pid args" lines: what of the run is left on this host.
  absl::StatusOr<std::vector<std::string>> ProcessesOf(const std::string& marker) const;

 private:
  std::vector<std::string> CommonOptions(const char* port_flag, bool shared) const;

  RemoteHost host_;
  common::SshSpec ssh_;
  std::string control_dir_;
};

}  // namespace gaia::cli

#endif  // GAIA_SRC_CLI_REMOTE_HOST_H_
