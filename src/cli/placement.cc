#include "src/cli/placement.h"

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "src/common/job_spec.h"

namespace gaia::cli {

namespace {

// A relay listens on loopback where it runs, which is where the connections
// it carries start (RelayPlacement).
std::string ThroughRelay(const std::vector<RelayPlan>& relays, uint32_t from_dc, uint32_t shard) {
  return absl::StrCat("127.0.0.1:", PortFor(relays, from_dc, shard));
}

// An IPv6 address in a "host:port".
std::string Bracketed(const std::string& ip) {
  return ip.find(':') == std::string::npos ? ip : absl::StrCat("[", ip, "]");
}

// Which of `hosts` runs each of `count` processes: per-host counts when
// every host gives one and they add up to `count` (the spec checks that for
// the DC's own counts; lan mode's merged DC may differ), else round-robin.
std::vector<size_t> DealToHosts(const std::vector<common::HostSpec>& hosts, uint32_t count,
                                std::optional<uint32_t> common::HostSpec::*per_host) {
  std::vector<size_t> out;
  uint64_t given = 0;
  bool all_given = true;
  for (const common::HostSpec& h : hosts) {
    all_given = all_given && (h.*per_host).has_value();
    given += (h.*per_host).value_or(0);
  }
  if (all_given && given == count) {
    for (size_t h = 0; h < hosts.size(); ++h) out.insert(out.end(), *(hosts[h].*per_host), h);
  } else {
    for (uint32_t i = 0; i < count; ++i) out.push_back(i % hosts.size());
  }
  return out;
}

// The spec's DC that topology DC `name` is, or nullptr (lan mode's merged DC).
const common::DcSpec* SpecDc(const common::JobSpec& spec, const std::string& name) {
  for (const common::DcSpec& dc : spec.dcs) {
    if (dc.name == name) return &dc;
  }
  return nullptr;
}

// Puts processes of DC `dc` placed by DealToHosts on their hosts: a remote
// host's processes get its address as Location::host (and it joins
// `placement->hosts` once); a local host's stay where `local` says.
Location HostLocation(const common::DcSpec& dc, size_t host, const Location& local,
                      Placement* placement) {
  const common::HostSpec& h = dc.hosts[host];
  if (common::IsLocalAddress(h.address)) return local;
  bool known = false;
  for (const RemoteHost& r : placement->hosts) known = known || r.address == h.address;
  if (!known) placement->hosts.push_back({h.address, h.ssh_user, h.ssh_port, dc.name});
  return Location{h.address, ""};
}

// Assigns the shards and workers of every DC that lists hosts.
void PlaceOnHosts(const common::JobSpec& spec, const common::Topology& topo,
                  Placement* placement) {
  for (uint32_t d = 0; d < topo.host_dcs.size(); ++d) {
    const common::DcSpec* dc = SpecDc(spec, topo.host_dcs[d]);
    if (dc == nullptr || dc->hosts.empty()) continue;
    std::vector<ShardPlacement*> shards;
    for (ShardPlacement& s : placement->shards) {
      if (s.dc == d) shards.push_back(&s);
    }
    std::vector<WorkerPlacement*> workers;
    for (WorkerPlacement& w : placement->workers) {
      if (w.dc == d) workers.push_back(&w);
    }
    const std::vector<size_t> shard_hosts = DealToHosts(
        dc->hosts, static_cast<uint32_t>(shards.size()), &common::HostSpec::shards);
    for (size_t i = 0; i < shards.size(); ++i) {
      ShardPlacement& shard = *shards[i];
      shard.where = HostLocation(*dc, shard_hosts[i], shard.where, placement);
      const std::string& address = dc->hosts[shard_hosts[i]].address;
      if (shard.where.host.empty()) {
        // The launcher's own host, listed by an address other hosts can use.
        if (!IsLoopback(address) && shard.where.netns.empty()) {
          shard.ip = address;
          shard.listen = "0.0.0.0:0";
        }
        continue;
      }
      // Reached from the launcher, its DC's workers on other hosts and other
      // DCs: on its host's address (docs/MULTI_HOST.md).
      shard.ip = shard.where.host;
      shard.listen = absl::StrCat(Bracketed(shard.ip), ":0");
    }
    const std::vector<size_t> worker_hosts = DealToHosts(
        dc->hosts, static_cast<uint32_t>(workers.size()), &common::HostSpec::workers);
    for (size_t i = 0; i < workers.size(); ++i) {
      workers[i]->where = HostLocation(*dc, worker_hosts[i], workers[i]->where, placement);
    }
  }
}

std::string Describe(const Location& where) {
  std::string out = where.host.empty() ? "this host" : absl::StrCat("host ", where.host);
  if (!where.netns.empty()) absl::StrAppend(&out, ", netns ", where.netns);
  return out;
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
    shard.ip = placement.dcs[shard.dc].ip;
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
  PlaceOnHosts(spec, topo, &placement);
  // The private socket folder is the launcher's; a shard on another host
  // takes an abstract name there (its workers still prove the job token).
  for (uint32_t s = 0; s < placement.shards.size(); ++s) {
    ShardPlacement& shard = placement.shards[s];
    if (shard.where.host.empty() || options.socket_dir.empty()) continue;
    shard.local_address = absl::StrCat("unix-abstract:", options.socket_prefix, "-", mode_name,
                                       "-", s, "-", options.job_id.substr(0, 64));
  }
  return placement;
}

std::string Reach(const Location& from, const Location& to, const std::string& to_ip, int port) {
  // A process on another host listens on its address only, not loopback.
  const bool loopback = from == to && to.host.empty();
  return absl::StrCat(loopback ? std::string("127.0.0.1") : Bracketed(to_ip), ":", port);
}

bool IsLoopback(const std::string& address) {
  return address == "localhost" || address == "::1" || address.rfind("127.", 0) == 0;
}

std::string LauncherAddress(const Placement& placement, uint32_t shard, int port) {
  return Reach(Location{}, placement.shards[shard].where, placement.shards[shard].ip, port);
}

std::string DescribePlacement(const Placement& placement, const common::Topology& topo) {
  std::string out;
  for (size_t s = 0; s < placement.shards.size(); ++s) {
    const ShardPlacement& shard = placement.shards[s];
    absl::StrAppend(&out, "  shard ", s, " (dc ", topo.host_dcs[shard.dc],
                    "): ", Describe(shard.where), "\n");
  }
  for (size_t w = 0; w < placement.workers.size(); ++w) {
    const WorkerPlacement& worker = placement.workers[w];
    absl::StrAppend(&out, "  worker ", w, " (dc ", topo.host_dcs[worker.dc],
                    "): ", Describe(worker.where), "\n");
  }
  for (const RelayPlacement& relay : placement.relays) {
    absl::StrAppend(&out, "  wan relay", relay.name.empty() ? "" : "-", relay.name, ": ",
                    Describe(relay.where), "\n");
  }
  return out;
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
      addresses.push_back(Reach(me.where, shard.where, shard.ip, shard_ports[s]));
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
                                      placement.shards[j].ip, mirror_ports[j])
                              : ThroughRelay(relays, me.host_dc, j);
  }
  return peers;
}

absl::StatusOr<std::vector<std::string>> CommandAt(const Location& where,
                                                   std::vector<std::string> argv,
                                                   const std::string& ip_tool) {
  if (!where.host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("host ", where.host, " is not this host: start it with RemoteProcess"));
  }
  if (!where.netns.empty()) argv.insert(argv.begin(), {ip_tool, "netns", "exec", where.netns});
  return argv;
}

}  // namespace gaia::cli
