#include "src/wan/relay_config.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "src/wan/net_util.h"

namespace gaia::wan {
namespace {

using nlohmann::json;

absl::Status FieldError(const std::string& field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

absl::Status CheckKeys(const json& obj, const std::string& where,
                       const std::set<std::string>& allowed) {
  for (const auto& [key, value] : obj.items()) {
    if (!allowed.contains(key)) {
      return FieldError(where.empty() ? key : absl::StrCat(where, ".", key),
                        "unknown field");
    }
  }
  return absl::OkStatus();
}

absl::Status GetString(const json& obj, const std::string& where, const char* key,
                       bool required, std::string* out) {
  const std::string field = where.empty() ? key : absl::StrCat(where, ".", key);
  if (!obj.contains(key)) {
    return required ? FieldError(field, "missing (a string is required)")
                    : absl::OkStatus();
  }
  if (!obj[key].is_string()) return FieldError(field, "must be a string");
  *out = obj[key].get<std::string>();
  if (required && out->empty()) return FieldError(field, "must not be empty");
  return absl::OkStatus();
}

absl::Status GetNumber(const json& obj, const std::string& where, const char* key,
                       bool required, double* out) {
  const std::string field = where.empty() ? key : absl::StrCat(where, ".", key);
  if (!obj.contains(key)) {
    return required ? FieldError(field, "missing (a number is required)")
                    : absl::OkStatus();
  }
  if (!obj[key].is_number()) return FieldError(field, "must be a number");
  *out = obj[key].get<double>();
  return absl::OkStatus();
}

absl::Status ParseLinks(const json& root, RelayConfig* config, std::set<std::string>* names) {
  if (!root.contains("links") || !root["links"].is_array() || root["links"].empty()) {
    return FieldError("links", "must be a non-empty array of links");
  }
  const json& links = root["links"];
  for (size_t i = 0; i < links.size(); ++i) {
    const std::string where = absl::StrCat("links[", i, "]");
    if (!links[i].is_object()) return FieldError(where, "must be an object");
    if (absl::Status s =
            CheckKeys(links[i], where, {"name", "bandwidth_mbps", "delay_ms"});
        !s.ok()) {
      return s;
    }
    LinkSpec spec;
    if (absl::Status s = GetString(links[i], where, "name", true, &spec.name); !s.ok()) {
      return s;
    }
    if (!names->insert(spec.name).second) {
      return FieldError(where + ".name", absl::StrCat("duplicate link '", spec.name, "'"));
    }
    if (absl::Status s =
            GetNumber(links[i], where, "bandwidth_mbps", true, &spec.bandwidth_mbps);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = GetNumber(links[i], where, "delay_ms", false, &spec.delay_ms);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = ValidateLinkSettings(spec.bandwidth_mbps, 0); !s.ok()) {
      return FieldError(where + ".bandwidth_mbps", s.message());
    }
    if (absl::Status s = ValidateLinkSettings(0, spec.delay_ms); !s.ok()) {
      return FieldError(where + ".delay_ms", s.message());
    }
    config->relay.links.push_back(spec);
  }
  return absl::OkStatus();
}

absl::Status ParseRoutes(const json& root, RelayConfig* config,
                         const std::set<std::string>& names) {
  if (!root.contains("routes") || !root["routes"].is_array() || root["routes"].empty()) {
    return FieldError("routes", "must be a non-empty array of routes");
  }
  const json& routes = root["routes"];
  for (size_t i = 0; i < routes.size(); ++i) {
    const std::string where = absl::StrCat("routes[", i, "]");
    if (!routes[i].is_object()) return FieldError(where, "must be an object");
    if (absl::Status s = CheckKeys(routes[i], where,
                                   {"listen", "target", "forward_link", "backward_link"});
        !s.ok()) {
      return s;
    }
    RouteSpec spec;
    for (auto [key, out] : {std::pair{"listen", &spec.listen},
                            std::pair{"target", &spec.target},
                            std::pair{"forward_link", &spec.forward_link},
                            std::pair{"backward_link", &spec.backward_link}}) {
      if (absl::Status s = GetString(routes[i], where, key, true, out); !s.ok()) return s;
    }
    std::string host;
    int port = 0;
    for (auto [key, value] : {std::pair{"listen", &spec.listen},
                              std::pair{"target", &spec.target}}) {
      if (absl::Status s = SplitHostPort(*value, &host, &port); !s.ok()) {
        return FieldError(absl::StrCat(where, ".", key), s.message());
      }
    }
    if (port == 0) return FieldError(where + ".target", "port 0 is not a valid target");
    for (auto [key, value] : {std::pair{"forward_link", &spec.forward_link},
                              std::pair{"backward_link", &spec.backward_link}}) {
      if (!names.contains(*value)) {
        return FieldError(absl::StrCat(where, ".", key),
                          absl::StrCat("unknown link '", *value, "'"));
      }
    }
    config->relay.routes.push_back(spec);
  }
  return absl::OkStatus();
}

absl::Status ParseTuning(const json& root, RelayConfig* config) {
  double value = config->stats_interval_ms;
  if (absl::Status s = GetNumber(root, "", "stats_interval_ms", false, &value); !s.ok()) {
    return s;
  }
  if (!(value >= 10 && value <= 3600e3)) {
    return FieldError("stats_interval_ms", "must be in [10, 3600000]");
  }
  config->stats_interval_ms = static_cast<int>(value);

  value = config->relay.shaper.burst_ms;
  if (absl::Status s = GetNumber(root, "", "burst_ms", false, &value); !s.ok()) return s;
  if (!(value > 0 && value <= 10e3)) return FieldError("burst_ms", "must be in (0, 10000]");
  config->relay.shaper.burst_ms = value;

  value = static_cast<double>(config->relay.shaper.min_burst_bytes);
  if (absl::Status s = GetNumber(root, "", "min_burst_bytes", false, &value); !s.ok()) {
    return s;
  }
  if (!(value >= 1 && value <= 1e9)) return FieldError("min_burst_bytes", "must be in [1, 1e9]");
  config->relay.shaper.min_burst_bytes = static_cast<size_t>(value);

  value = static_cast<double>(config->relay.pipe.queue_limit_bytes);
  if (absl::Status s = GetNumber(root, "", "queue_limit_bytes", false, &value); !s.ok()) {
    return s;
  }
  if (!(value >= 1024 && value <= 1e9)) {
    return FieldError("queue_limit_bytes", "must be in [1024, 1e9]");
  }
  config->relay.pipe.queue_limit_bytes = static_cast<size_t>(value);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RelayConfig> ParseRelayConfig(std::string_view json_text) {
  json root = json::parse(json_text.begin(), json_text.end(), nullptr,
                          /*allow_exceptions=*/false);
  if (root.is_discarded()) return absl::InvalidArgumentError("not valid JSON");
  if (!root.is_object()) return absl::InvalidArgumentError("top level must be an object");
  if (absl::Status s = CheckKeys(root, "",
                                 {"links", "routes", "port_file", "stats_file",
                                  "stats_interval_ms", "burst_ms", "min_burst_bytes",
                                  "queue_limit_bytes"});
      !s.ok()) {
    return s;
  }
  RelayConfig config;
  std::set<std::string> names;
  if (absl::Status s = ParseLinks(root, &config, &names); !s.ok()) return s;
  if (absl::Status s = ParseRoutes(root, &config, names); !s.ok()) return s;
  if (absl::Status s = GetString(root, "", "port_file", false, &config.port_file); !s.ok()) {
    return s;
  }
  if (absl::Status s = GetString(root, "", "stats_file", false, &config.stats_file);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ParseTuning(root, &config); !s.ok()) return s;
  return config;
}

absl::StatusOr<RelayConfig> LoadRelayConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto config = ParseRelayConfig(buffer.str());
  if (!config.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", config.status().message()));
  }
  return config;
}

std::string PortsToJson(const std::vector<int>& ports) {
  return json{{"ports", ports}}.dump() + "\n";
}

std::string StatsToJson(double time_s, double unix_time_s,
                        const std::vector<LinkStats>& links) {
  json out = {{"time_s", time_s}, {"unix_time_s", unix_time_s}, {"links", json::array()}};
  for (const LinkStats& l : links) {
    out["links"].push_back({{"name", l.name},
                            {"bytes", l.bytes},
                            {"chunks", l.chunks},
                            {"bandwidth_mbps", l.bandwidth_mbps},
                            {"delay_ms", l.delay_ms},
                            {"connections", l.connections},
                            {"total_connections", l.total_connections}});
  }
  return out.dump() + "\n";
}

}  // namespace gaia::wan
