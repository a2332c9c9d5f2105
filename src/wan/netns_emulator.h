// The kernel WAN emulator acting on the system: brings a NetnsPlan up and
// down with `ip`/`tc` (fork/exec, no shell), and keeps one JSON state file
// per instance so that `down` deletes exactly what `up` made
// (docs/WAN_KERNEL.md).
//
// Safety rules:
//  - The state file is written before anything is created and names every
//    namespace and interface the plan will create; Down deletes only those
//    (and only the ones that exist), then the state file.
//  - Up refuses to start when any name of the plan already exists without a
//    state file of ours listing it, or when the subnet overlaps an address
//    of the root namespace.
//  - Up with the same plan as an instance that is up is a no-op; with another
//    plan it is an error; an instance left by a crashed run (its creator is
//    gone and it is incomplete, or pieces are missing) must be taken down
//    first.
//  - A failing command undoes what was made so far.
//
// The state directory is /run/gaia-wan unless $GAIA_WAN_STATE_DIR is set
// (StateDir()); every function takes it as a parameter defaulting to that.
//
// Not thread-safe across calls for the same instance from several processes
// beyond what the state file's atomic creation guarantees (two concurrent
// `up`s of one name: one wins, the other sees its state).
//
// Example:
//   KernelSupport support = ProbeKernel();
//   if (!support.ok) { std::cerr << support.reason; return 1; }
//   absl::StatusOr<NetnsPlan> plan = Up(matrix, {"a", "b"}, options);
//   ... run DC a's processes in plan->dcs[0].netns (EnterNetns) ...
//   absl::Status down = Down(options.name);
#ifndef GAIA_SRC_WAN_NETNS_EMULATOR_H_
#define GAIA_SRC_WAN_NETNS_EMULATOR_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/wan/link_matrix.h"
#include "src/wan/netns_plan.h"
#include "src/wan/system_tools.h"

namespace gaia::wan {

// What the running kernel and user allow.
struct KernelSupport {
  bool ok = false;     // root, ip and tc found, a namespace with veth, bridge and htb works
  bool netem = false;  // the netem qdisc exists (delay in the kernel)
  // When !ok: what is missing, ending with "use wan: {emulate: proxy} instead".
  // When ok but !netem: why delay goes to the userspace relay.
  std::string reason;
};

// Checks root, `ip` and `tc`, then creates a throwaway namespace
// ("gaiaprobe-<pid>") with a veth pair and a bridge, tries htb and netem on
// it, and deletes it. Takes a few tens of milliseconds.
KernelSupport ProbeKernel();

// $GAIA_WAN_STATE_DIR, or /run/gaia-wan.
std::string StateDir();

// Creates the instance (options.kernel_delay is set from ProbeKernel()) or
// confirms that the same one is already up. Errors: InvalidArgument for bad
// input (PlanNetns); FailedPrecondition when the kernel or user cannot (the
// ProbeKernel reason), when another plan or a crashed run holds the name,
// when a name of the plan exists already ("refusing to touch interface gb-x:
// not created by gaia wan ...") or the subnet is in use; Internal with the
// failing command and its stderr.
// matrix.source() is recorded in the state file.
absl::StatusOr<NetnsPlan> Up(const LinkMatrix& matrix, const std::vector<std::string>& dcs,
                             NetnsOptions options, const std::string& state_dir = StateDir());

// Deletes what instance `name`'s state file lists and still exists, then
// the state file. NotFound (listing the instances there are) if there is no
// such state file.
absl::Status Down(const std::string& name, const std::string& state_dir = StateDir());

struct EmulatorState {
  enum class Health {
    kUp,        // complete, everything exists
    kCreating,  // incomplete, its creator still runs
    kStale,     // left by a crashed run or partly removed by hand: run down
  };
  std::string name;
  std::string state_path;
  NetnsPlan plan;
  LinkMatrix matrix;  // the links among the plan's DCs, as set
  std::string matrix_source;
  pid_t creator_pid = 0;
  bool complete = false;             // Up finished
  std::vector<std::string> missing;  // planned objects that do not exist
  Health health = Health::kStale;
};
const char* HealthName(EmulatorState::Health health);  // "up", "creating", "stale"

// Every instance in the state directory, by name. A state file that cannot
// be parsed is an error naming it.
absl::StatusOr<std::vector<EmulatorState>> ListEmulators(const std::string& state_dir = StateDir());
// One instance; NotFound listing the instances there are.
absl::StatusOr<EmulatorState> FindEmulator(const std::string& name,
                                           const std::string& state_dir = StateDir());

// Namespaces named like ours ("gaia-*" in /run/netns) that no state file in
// `state_dir` lists: left by a run whose state directory is gone. Reported,
// never deleted.
std::vector<std::string> UnlistedNamespaces(const std::string& state_dir = StateDir());

// A subnet for instance `name`: the one in its state file if it has one,
// else a 10.213.X.0/24 that no other instance uses and that does not overlap
// an address in the root namespace, searching from an X derived from `name`.
absl::StatusOr<std::string> ChooseSubnet(const std::string& name,
                                         const std::string& state_dir = StateDir());

}  // namespace gaia::wan

#endif  // GAIA_SRC_WAN_NETNS_EMULATOR_H_
