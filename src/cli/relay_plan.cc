#include "src/cli/relay_plan.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace gaia::cli {
using json = nlohmann::json;

namespace {
std::string LinkName(const common::Topology& topo, uint32_t from, uint32_t to) {
  return absl::StrCat(topo.host_dcs[from], "->", topo.host_dcs[to]);
}
}  // namespace

int RelayPlan::PortFor(uint32_t from_dc, uint32_t shard) const {
  for (const RelayRoute& r : routes) {
    if (r.from_dc == from_dc && r.shard == shard) return r.listen_port;
  }
  return 0;
}

RelayPlan PlanBaselineRelay(const wan::LinkMatrix& links, const common::Topology& topo,
                            const std::vector<int>& shard_ports) {
  // Routes lead to the shards' own ports; the layout is the same as for the
  // mirrors' ports in gaia modes.
  return PlanGaiaRelay(links, topo, shard_ports);
}

RelayPlan PlanGaiaRelay(const wan::LinkMatrix& links, const common::Topology& topo,
                        const std::vector<int>& shard_ports) {
  RelayPlan plan;
  const uint32_t n = static_cast<uint32_t>(topo.host_dcs.size());
  for (uint32_t a = 0; a < n; ++a) {
    for (uint32_t b = 0; b < n; ++b) {
      if (a == b) continue;
      const wan::LinkParams p =
          links.Find(topo.host_dcs[a], topo.host_dcs[b]).value_or(wan::LinkParams{});
      plan.links.push_back({LinkName(topo, a, b), p.bandwidth_mbps, p.delay_ms});
    }
  }
  for (uint32_t a = 0; a < n; ++a) {
    for (uint32_t s = 0; s < topo.shards.size(); ++s) {
      const uint32_t b = topo.shards[s].host_dc;
      if (a == b) continue;
      plan.routes.push_back({a, s, shard_ports[s], 0, LinkName(topo, a, b), LinkName(topo, b, a)});
    }
  }
  return plan;
}

std::vector<RelayPlan> SplitPerSourceDc(const RelayPlan& plan, const common::Topology& topo,
                                        const std::vector<std::string>& dc_hosts,
                                        bool add_delay) {
  // Far above any emulated link: the kernel does the shaping.
  constexpr double kUnlimitedMbps = 100000;
  std::vector<RelayPlan> plans(dc_hosts.size());
  for (uint32_t a = 0; a < dc_hosts.size(); ++a) {
    RelayPlan& mine = plans[a];
    for (const RelayRoute& route : plan.routes) {
      if (route.from_dc != a) continue;
      mine.routes.push_back(route);
      mine.routes.back().target_host = dc_hosts[topo.shards[route.shard].host_dc];
    }
    for (const RelayLink& link : plan.links) {
      const bool used = std::any_of(mine.routes.begin(), mine.routes.end(), [&](const RelayRoute& r) {
        return r.forward_link == link.name || r.backward_link == link.name;
      });
      if (used) mine.links.push_back({link.name, kUnlimitedMbps, add_delay ? link.delay_ms : 0.0});
    }
  }
  return plans;
}

int PortFor(const std::vector<RelayPlan>& plans, uint32_t from_dc, uint32_t shard) {
  for (const RelayPlan& plan : plans) {
    if (const int port = plan.PortFor(from_dc, shard); port != 0) return port;
  }
  return 0;
}

std::string RelayConfigJson(const RelayPlan& plan) {
  json j;
  j["links"] = json::array();
  for (const RelayLink& l : plan.links) {
    j["links"].push_back({{"name", l.name}, {"bandwidth_mbps", l.bandwidth_mbps}, {"delay_ms", l.delay_ms}});
  }
  j["routes"] = json::array();
  for (const RelayRoute& r : plan.routes) {
    j["routes"].push_back({{"listen", "127.0.0.1:0"},
                           {"target", absl::StrCat(r.target_host, ":", r.target_port)},
                           {"forward_link", r.forward_link},
                           {"backward_link", r.backward_link}});
  }
  j["port_file"] = plan.port_file;
  j["stats_file"] = plan.stats_file;
  j["stats_interval_ms"] = 250;
  return j.dump(2);
}

RelayStats ReadRelayStats(const std::string& path) {
  RelayStats stats;
  std::ifstream in(path);
  if (!in) return stats;
  std::stringstream text;
  text << in.rdbuf();
  json j = json::parse(text.str(), nullptr, false);
  if (!j.is_object() || !j.contains("links") || !j["links"].is_array()) return stats;
  for (const json& link : j["links"]) {
    if (!link.is_object()) continue;
    const uint64_t bytes = link.value("bytes", uint64_t{0});
    stats.links.emplace_back(link.value("name", std::string()), bytes);
    stats.total_bytes += bytes;
  }
  return stats;
}

RelayStats ReadRelayStats(const std::vector<RelayPlan>& plans) {
  RelayStats total;
  for (const RelayPlan& plan : plans) {
    for (const auto& [name, bytes] : ReadRelayStats(plan.stats_file).links) {
      auto it = std::find_if(total.links.begin(), total.links.end(),
                             [&](const auto& link) { return link.first == name; });
      if (it == total.links.end()) {
        total.links.emplace_back(name, bytes);
      } else {
        it->second += bytes;
      }
      total.total_bytes += bytes;
    }
  }
  return total;
}

}  // namespace gaia::cli
