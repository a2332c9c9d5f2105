// Which WAN relay routes a run needs, the relay's JSON config, and reading
// the relay's stats file (src/wan, docs/WAN_EMULATOR.md).
#ifndef GAIA_SRC_CLI_RELAY_PLAN_H_
#define GAIA_SRC_CLI_RELAY_PLAN_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "src/common/job_spec.h"
#include "src/common/topology.h"
#include "src/wan/link_matrix.h"

namespace gaia::cli {

struct RelayLink {
  std::string name;  // "<from>-><to>"
  double bandwidth_mbps = 0;
  double delay_ms = 0;
};

// Connections opened from DC `from_dc` to shard `shard` go through this route.
struct RelayRoute {
  uint32_t from_dc = 0;
  uint32_t shard = 0;
  int target_port = 0;
  int listen_port = 0;      // filled in once the relay reports its ports
  std::string forward_link;
  std::string backward_link;
  std::string target_host = "127.0.0.1";  // where target_port listens
};

struct RelayPlan {
  std::vector<RelayLink> links;
  std::vector<RelayRoute> routes;
  std::string port_file;
  std::string stats_file;

  // The relay port a worker in `from_dc` uses to reach `shard`; 0 if none.
  int PortFor(uint32_t from_dc, uint32_t shard) const;
};

// baseline: one route per (worker DC, shard in another DC); one link per
// directed DC pair, shaped as `links` says (ResolveWanLinks over
// topo.host_dcs; every pair must be there).
RelayPlan PlanBaselineRelay(const wan::LinkMatrix& links, const common::Topology& topo,
                            const std::vector<int>& shard_ports);

// gaia modes: one route per (sending DC, shard of another DC) to that shard's
// mirror port; `shard` in routes is the topology's shard index.
RelayPlan PlanGaiaRelay(const wan::LinkMatrix& links, const common::Topology& topo,
                        const std::vector<int>& mirror_ports);

// The kernel backend (wan.emulate: netns) shapes bandwidth with tc; a relay
// per DC, run inside that DC's namespace, carries the DC's outgoing
// connections to the other DCs' addresses (`dc_hosts`, by topology DC) and
// adds the one-way delay where the kernel has no netem (`add_delay`), and
// counts bytes either way. Its links do not limit bandwidth.
std::vector<RelayPlan> SplitPerSourceDc(const RelayPlan& plan, const common::Topology& topo,
                                        const std::vector<std::string>& dc_hosts,
                                        bool add_delay);

// The relay port a connection from `from_dc` to `shard` uses, over several
// relays; 0 if none.
int PortFor(const std::vector<RelayPlan>& plans, uint32_t from_dc, uint32_t shard);

std::string RelayConfigJson(const RelayPlan& plan);

struct RelayStats {
  uint64_t total_bytes = 0;
  std::vector<std::pair<std::string, uint64_t>> links;  // in the file's order
};
// Missing or half-written files read as zero (the relay rewrites atomically,
// so this happens only before its first write).
RelayStats ReadRelayStats(const std::string& path);
// Every plan's stats file; bytes of a link name that several relays carry
// (each direction of a DC pair, per-DC relays) are summed.
RelayStats ReadRelayStats(const std::vector<RelayPlan>& plans);

}  // namespace gaia::cli

#endif  // GAIA_SRC_CLI_RELAY_PLAN_H_
