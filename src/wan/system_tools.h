// The system calls and tools the kernel WAN emulator is made of: entering a
// network namespace, asking whether an interface or namespace exists, and
// running `ip`/`tc` without a shell.
#ifndef GAIA_SRC_WAN_SYSTEM_TOOLS_H_
#define GAIA_SRC_WAN_SYSTEM_TOOLS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gaia::wan {

// Where `ip netns add` mounts named namespaces.
inline constexpr char kNetnsDir[] = "/run/netns";

// "/run/netns/<netns>": where `ip netns add` mounts a namespace.
std::string NetnsPath(const std::string& netns);

// Moves the calling thread into network namespace `netns` (setns on
// NetnsPath(netns)). Network namespaces are per thread: other threads keep
// theirs, and a process forked from this thread starts in `netns`.
// After building the path this is open() + setns() + close(), with no
// allocation unless it fails; a forked child of a multi-threaded process
// should build the path before fork() and call EnterNetnsPath instead.
absl::Status EnterNetns(const std::string& netns);
// Async-signal-safe: 0 on success, else the errno of open() or setns().
int EnterNetnsPath(const char* path);

// Result of one ip/tc command.
struct CommandResult {
  int exit_code = 0;  // 128 + signal if killed
  std::string out;    // stdout
  std::string err;    // stderr
};
// Runs argv (argv[0] looked up in $PATH, /usr/sbin and /sbin) with fork/exec,
// stdin from /dev/null, capturing stdout and stderr. Killed after
// `timeout_s`. Error only if it cannot be started.
absl::StatusOr<CommandResult> RunTool(const std::vector<std::string>& argv, double timeout_s = 30);
// The path of tool `name` ($PATH, then /usr/sbin, /sbin, /usr/bin, /bin),
// or "" if there is none; a name with a slash is returned as is.
std::string FindTool(const std::string& name);
// The argv as one line for messages ("ip link add gb-x type bridge").
std::string CommandLine(const std::vector<std::string>& argv);

// Whether an interface of that name exists in the calling thread's
// namespace, and whether a named namespace exists.
bool InterfaceExists(const std::string& ifname);
bool NetnsExists(const std::string& netns);

}  // namespace gaia::wan

#endif  // GAIA_SRC_WAN_SYSTEM_TOOLS_H_
