// The gaia-wan-relay config file (JSON) and the files the binary writes.
//
// Config (unknown keys are errors; optional keys show their defaults):
//   {
//     "links":  [{"name": "a->b", "bandwidth_mbps": 100, "delay_ms": 20}],
//     "routes": [{"listen": "127.0.0.1:0", "target": "127.0.0.1:5000",
//                 "forward_link": "a->b", "backward_link": "b->a"}],
//     "port_file": "",            // optional: where to write bound ports
//     "stats_file": "",           // optional: where to write link stats
//     "stats_interval_ms": 500,   // optional: stats_file rewrite period
//     "burst_ms": 2,              // optional: bucket depth, ms of rate
//     "min_burst_bytes": 16384,   // optional: bucket depth lower bound
//     "queue_limit_bytes": 262144 // optional: backpressure beyond BDP
//   }
// delay_ms defaults to 0; everything else in links/routes is required.
//
// Port file:  {"ports": [p0, p1, ...]}   (route order)
// Stats file: {"time_s": <s since start>, "unix_time_s": <wall clock>,
//              "links": [{"name", "bytes", "bandwidth_mbps", "delay_ms",
//                         "connections", "total_connections", "chunks"}]}
#ifndef GAIA_SRC_WAN_RELAY_CONFIG_H_
#define GAIA_SRC_WAN_RELAY_CONFIG_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/wan/link_shaper.h"
#include "src/wan/relay.h"

namespace gaia::wan {

struct RelayConfig {
  RelayOptions relay;
  std::string port_file;       // empty = do not write
  std::string stats_file;      // empty = do not write
  int stats_interval_ms = 500;
};

// Parses config text. Errors are InvalidArgument and name the field, e.g.
// "routes[1].forward_link: unknown link 'c->a'".
absl::StatusOr<RelayConfig> ParseRelayConfig(std::string_view json_text);
// Reads and parses `path`; the error also names the file.
absl::StatusOr<RelayConfig> LoadRelayConfig(const std::string& path);

std::string PortsToJson(const std::vector<int>& ports);
std::string StatsToJson(double time_s, double unix_time_s,
                        const std::vector<LinkStats>& links);


}  // namespace gaia::wan

#endif  // GAIA_SRC_WAN_RELAY_CONFIG_H_
