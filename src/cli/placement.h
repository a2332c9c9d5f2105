// Which process of a run goes where, and how the others reach it.
//
//   Placement placement = PlaceProcesses(spec, topo, kernel_wan_plan, options);
//   ... start every process at placement.shards[i].where, read their ports ...
//   std::vector<std::string> addresses =
//       WorkerShardAddresses(placement, topo, w, shard_ports, relay_plans);
//
// Without dcs[].hosts every process runs on this host: a DC's processes
// inside the DC's network namespace when the kernel emulates the WAN
// (wan.emulate: netns), else all in the host's own. A DC with hosts has its
// shards and workers dealt to them (per-host counts, else round-robin); a
// host that is not this machine (common::IsLocalAddress) gets
// Location::host = its address, and its processes are started over SSH
// (remote_process.h, docs/MULTI_HOST.md). This is the only place that
// fills in Location::host.
//
// Pure functions: nothing here starts a process or reads a file.
#ifndef GAIA_SRC_CLI_PLACEMENT_H_
#define GAIA_SRC_CLI_PLACEMENT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/cli/relay_plan.h"
#include "src/common/job_spec.h"
#include "src/common/topology.h"
#include "src/wan/netns_plan.h"

namespace gaia::cli {

// Where one process runs.
struct Location {
  std::string host;   // "" = this host, the launcher's own; else the host's address
  std::string netns;  // "" = the host's own network namespace

  bool operator==(const Location&) const = default;
};

// A host other than the launcher's that runs processes of the job.
struct RemoteHost {
  std::string address;   // Location::host of its processes
  std::string ssh_user;  // "" = the launcher's user
  uint32_t ssh_port = 22;
  std::string dc;        // the DC that listed it
};

// One DC (by topology host DC): where its processes run and the IP at which
// processes elsewhere (the launcher, other DCs) reach their TCP ports.
struct DcPlacement {
  Location where;
  std::string ip = "127.0.0.1";
};

struct ShardPlacement {
  uint32_t dc = 0;
  Location where;
  // `gaia server --listen` for its TCP ports; "" = the server's default
  // (loopback, any port), enough when everyone reaching it runs where it runs.
  std::string listen;
  // The Unix-domain socket its own DC's workers on its host use (bulk bytes
  // move faster than over loopback TCP; docs/PROTOCOL.md).
  std::string local_address;
  // The IP at which processes elsewhere reach its TCP ports: its DC's
  // (DcPlacement::ip), or its host's address on another host.
  std::string ip = "127.0.0.1";
};

// A WAN relay: it listens on loopback where it runs, so it runs where the
// connections it carries start.
struct RelayPlacement {
  // Names its files and log (RunLayout): "" for the one relay that shapes
  // every link (wan.emulate: proxy), else the DC whose outgoing connections
  // it carries (netns: tc shapes, the relay counts bytes and may add delay).
  std::string name;
  Location where;
};

struct WorkerPlacement {
  uint32_t dc = 0;
  Location where;
};

struct Placement {
  std::vector<DcPlacement> dcs;        // by topology host DC
  std::vector<ShardPlacement> shards;  // by topology shard
  // Empty when the WAN is not emulated: DCs then connect directly. With
  // relay_per_dc, relays[d] carries DC d's outgoing connections; otherwise
  // relays[0] carries every cross-DC connection.
  std::vector<RelayPlacement> relays;
  bool relay_per_dc = false;
  std::vector<WorkerPlacement> workers;  // by topology worker
  std::vector<RemoteHost> hosts;  // every other host that runs a process, in spec order
};

struct PlacementOptions {
  // Makes the shards' socket names unique on this host among launchers and
  // modes (the launcher uses "gaia-<its pid>"); the job id is appended too.
  std::string socket_prefix = "gaia";
  std::string job_id;
  // If set, the sockets of shards on the launcher's host are files in this
  // folder ("unix:"), which the launcher keeps private (mode 0700) when TLS
  // is on (docs/SECURITY.md); otherwise, and on other hosts, abstract names,
  // open to the namespace (the job token still guards them).
  std::string socket_dir;
};

// Places every process of `topo` (a plan of `spec` for topo.mode).
// `kernel_wan` is the run's kernel emulator when wan.emulate is netns and
// it is up, else nullptr.
Placement PlaceProcesses(const common::JobSpec& spec, const common::Topology& topo,
                         const wan::NetnsPlan* kernel_wan, const PlacementOptions& options);

// "host:port" at which a process at `from` reaches `port` of a process at
// `to`, whose DC is reached from elsewhere at `to_ip`.
std::string Reach(const Location& from, const Location& to, const std::string& to_ip, int port);

// A host address that means "this host" wherever it is used: localhost,
// ::1 or 127.x.y.z.
bool IsLoopback(const std::string& address);

// Where the launcher (this host, its own namespace) reaches `port` of shard
// `shard`.
std::string LauncherAddress(const Placement& placement, uint32_t shard, int port);

// The placement as text, one line per process ("shard 0 (dc east): host
// 10.77.1.2"), for `gaia validate` and the run's log.
std::string DescribePlacement(const Placement& placement, const common::Topology& topo);

// Worker `worker`'s shard addresses, in its clock group's partition order:
// a same-DC shard's Unix socket, else through the relay that carries the
// worker's DC (`relays`, with listen ports filled in), else the shard's
// port in `shard_ports` directly.
std::vector<std::string> WorkerShardAddresses(const Placement& placement,
                                              const common::Topology& topo, uint32_t worker,
                                              const std::vector<int>& shard_ports,
                                              const std::vector<RelayPlan>& relays);

// Shard `shard`'s mirror peers (gaia modes), for its peers file: by DC, the
// same partition's shard in every other DC, through the relay when there is
// one, else at its port in `mirror_ports`.
std::map<uint32_t, std::string> MirrorPeers(const Placement& placement,
                                            const common::Topology& topo, uint32_t shard,
                                            const std::vector<int>& mirror_ports,
                                            const std::vector<RelayPlan>& relays);

// `argv` as run at `where` from this host: inside a network namespace,
// `ip netns exec <netns> argv...` (`ip_tool`: the path of `ip`; it keeps the
// PID). INVALID_ARGUMENT for another host: those are started by
// RemoteProcess (remote_process.h), not as a local child.
absl::StatusOr<std::vector<std::string>> CommandAt(const Location& where,
                                                   std::vector<std::string> argv,
                                                   const std::string& ip_tool);

}  // namespace gaia::cli

#endif  // GAIA_SRC_CLI_PLACEMENT_H_
