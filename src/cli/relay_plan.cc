#include "src/cli/relay_plan.h"

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

RelayPlan PlanBaselineRelay(const common::JobSpec& spec, const common::Topology& topo,
                            const std::vector<int>& shard_ports) {
  // Routes lead to the shards' own ports; the layout is the same as for the
  // mirrors' ports in gaia modes.
  return PlanGaiaRelay(spec, topo, shard_ports);
}

RelayPlan PlanGaiaRelay(const common::JobSpec& spec, const common::Topology& topo,
                        const std::vector<int>& shard_ports) {
  RelayPlan plan;
  const uint32_t n = static_cast<uint32_t>(topo.host_dcs.size());
  for (uint32_t a = 0; a < n; ++a) {
    for (uint32_t b = 0; b < n; ++b) {
      if (a == b) continue;
      plan.links.push_back({LinkName(topo, a, b), spec.wan.bandwidth_mbps, spec.wan.delay_ms});
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

std::string RelayConfigJson(const RelayPlan& plan) {
  json j;
  j["links"] = json::array();
  for (const RelayLink& l : plan.links) {
    j["links"].push_back({{"name", l.name}, {"bandwidth_mbps", l.bandwidth_mbps}, {"delay_ms", l.delay_ms}});
  }
  j["routes"] = json::array();
  for (const RelayRoute& r : plan.routes) {
    j["routes"].push_back({{"listen", "127.0.0.1:0"},
                           {"target", absl::StrCat("127.0.0.1:", r.target_port)},
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

}  // namespace gaia::cli
