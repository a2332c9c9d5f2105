#include "src/cli/placement.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace gaia::cli {

namespace {

// A relay listens on loopback where it runs, which is where the connections
// it carries start (RelayPlacement).
std::string ThroughRelay(const std::vector<RelayPlan>& relays, uint32_t from_dc, uint32_t shard) {
  return absl::StrCat("127.0.0.1:", PortFor(relays, from_dc, shard));
}

}  // namespace

Placement PlaceProcesses(const common::JobSpec& spec, const common::Topology& topo,
                         const wan::NetnsPlan* kernel_wan, const PlacementOptions& options) {
  Placement placement;
  const std::string mode_name = common::ModeName(topo.mode);
  for (uint32_t d = 0; d < topo.host_dcs.size(); ++d) {
    DcPlacement dc;
    if (kernel_wan != nullptr) {
      dc.where.netns = kernel_wan->dcs[d].netns;
      dc.ip = kernel_wan->dcs[d].ip;
    }
    placement.dcs.push_back(std::move(dc));
  }
  for (uint32_t s = 0; s < topo.shards.size(); ++s) {
    ShardPlacement shard;
    shard.dc = topo.shards[s].host_dc;
    shard.where = placement.dcs[shard.dc].where;
    // Reached from the launcher and, in baseline, from other DCs.
    if (shard.where != Location{}) shard.listen = "0.0.0.0:0";
    shard.local_address =
        options.socket_dir.empty()
            ? absl::StrCat("unix-abstract:", options.socket_prefix, "-", mode_name, "-", s, "-",
                           options.job_id.substr(0, 64))
            : absl::StrCat("unix:", options.socket_dir, "/", mode_name, "-", s, ".sock");
    placement.shards.push_back(std::move(shard));
  }
  const bool emulate_wan = spec.wan.emulate != common::WanEmulation::kNone &&
                           topo.mode != common::Mode::kLan && topo.host_dcs.size() > 1;
  if (emulate_wan && kernel_wan != nullptr) {
    placement.relay_per_dc = true;
    for (uint32_t d = 0; d < topo.host_dcs.size(); ++d) {
      placement.relays.push_back({topo.host_dcs[d], placement.dcs[d].where});
    }
  } else if (emulate_wan) {
    placement.relays.push_back({"", Location{}});
  }
  for (const common::WorkerRole& role : topo.workers) {
    placement.workers.push_back({role.host_dc, placement.dcs[role.host_dc].where});
  }
  return placement;
}

std::string Reach(const Location& from, const Location& to, const std::string& to_ip, int port) {
  return absl::StrCat(from == to ? std::string("127.0.0.1") : to_ip, ":", port);
}

std::string LauncherAddress(const Placement& placement, uint32_t dc, int port) {
  return Reach(Location{}, placement.dcs[dc].where, placement.dcs[dc].ip, port);
}

std::vector<std::string> WorkerShardAddresses(const Placement& placement,
                                              const common::Topology& topo, uint32_t worker,
                                              const std::vector<int>& shard_ports,
                                              const std::vector<RelayPlan>& relays) {
  const WorkerPlacement& me = placement.workers[worker];
  std::vector<std::string> addresses;
  for (uint32_t s : topo.groups[topo.workers[worker].group].shards) {
    const ShardPlacement& shard = placement.shards[s];
    if (shard.dc == me.dc && shard.where == me.where) {
      addresses.push_back(shard.local_address);
    } else if (shard.dc != me.dc && !relays.empty()) {
      addresses.push_back(ThroughRelay(relays, me.dc, s));
    } else {
      addresses.push_back(Reach(me.where, shard.where, placement.dcs[shard.dc].ip, shard_ports[s]));
    }
  }
  return addresses;
}

std::map<uint32_t, std::string> MirrorPeers(const Placement& placement,
                                            const common::Topology& topo, uint32_t shard,
                                            const std::vector<int>& mirror_ports,
                                            const std::vector<RelayPlan>& relays) {
  const common::ShardRole& me = topo.shards[shard];
  std::map<uint32_t, std::string> peers;
  for (uint32_t j = 0; j < topo.shards.size(); ++j) {
    const common::ShardRole& peer = topo.shards[j];
    if (peer.host_dc == me.host_dc || peer.partition_index != me.partition_index) continue;
    peers[peer.host_dc] = relays.empty()
                              ? Reach(placement.shards[shard].where, placement.shards[j].where,
                                      placement.dcs[peer.host_dc].ip, mirror_ports[j])
                              : ThroughRelay(relays, me.host_dc, j);
  }
  return peers;
}

absl::StatusOr<std::vector<std::string>> CommandAt(const Location& where,
                                                   std::vector<std::string> argv,
                                                   const std::string& ip_tool) {
  if (!where.host.empty()) {
    return absl::UnimplementedError(
        absl::StrCat("cannot start processes on host ", where.host, " in this build"));
  }
  if (!where.netns.empty()) argv.insert(argv.begin(), {ip_tool, "netns", "exec", where.netns});
  return argv;
}

}  // namespace gaia::cli
