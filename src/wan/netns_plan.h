// The kernel WAN emulator's plan: which namespaces, interfaces, addresses and
// tc classes `gaia wan up` creates for a link matrix, as the exact `ip`/`tc`
// argv lists to run. Pure: PlanNetns looks at nothing but its arguments, so
// tests can check the commands without root (docs/WAN_KERNEL.md).
//
// Layout for instance "x" with DCs a, b (subnet 10.213.0.0/24):
//
//   root namespace: bridge gb-x (10.213.0.1/24)
//     ├── gv-x-0 ══ veth ══ gn-x-0 (10.213.0.2/24) in namespace gaia-x-a
//     └── gv-x-1 ══ veth ══ gn-x-1 (10.213.0.3/24) in namespace gaia-x-b
//
// Shaping is on the egress of each DC's namespace-side veth: an htb root
// whose class 1:1 (traffic to the host and anything unmatched) is unshaped,
// plus one class per destination DC (rate = ceil = the matrix bandwidth, by
// default as TCP payload: see NetnsOptions::payload_rate) selected by a u32
// filter on the destination address. Each destination class's leaf is a
// netem delay qdisc when the kernel has netem (kernel_delay), else a byte
// FIFO and the delay is left to the userspace relay.
//
// Example:
//   NetnsOptions options;
//   options.name = "x";
//   options.kernel_delay = false;
//   absl::StatusOr<NetnsPlan> plan = PlanNetns(matrix, {"a", "b"}, options);
//   for (const auto& argv : plan->up_commands) ...;  // {"ip", "netns", "add", ...}
#ifndef GAIA_SRC_WAN_NETNS_PLAN_H_
#define GAIA_SRC_WAN_NETNS_PLAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/wan/link_matrix.h"

namespace gaia::wan {

// Limits of a plan.
inline constexpr int kMaxNetnsDcs = 50;
inline constexpr size_t kMaxNetnsNameLength = 8;  // keeps interface names <= 15
inline constexpr size_t kMaxDcNameLength = 64;

struct NetnsOptions {
  // Instance name, [a-z0-9]{1,8}: every name the plan creates contains it,
  // so instances never share an object.
  std::string name = "gaia";
  // IPv4 network of the instance, "a.b.c.d/len" with the host bits zero.
  // The bridge gets the first address, DC i the (i + 2)-th. Must hold the
  // DCs plus the network, bridge and broadcast addresses, and must not
  // overlap another instance's subnet (Up checks that).
  std::string subnet = "10.213.0.0/24";
  // Whether the kernel has the netem qdisc: delay is then emulated in the
  // kernel; otherwise the plan shapes bandwidth only and the userspace
  // relay adds the delay. Up fills this in by probing.
  bool kernel_delay = false;
  // What a matrix bandwidth means. true: TCP payload, as in the userspace
  // relay (which counts payload bytes): the tc rate is bandwidth x
  // kWireBytesPerPayloadByte, so a bulk TCP transfer over full-size
  // segments delivers the matrix bandwidth. false: bytes on the wire (tc's
  // own meaning, which counts Ethernet, IP and TCP headers; TCP then gets
  // about 4.4 % less).
  bool payload_rate = true;
};

// A full-size TCP segment on a 1500-byte-MTU veth: 1448 payload bytes
// (1500 - 20 IP - 32 TCP with timestamps) in 1514 bytes that htb counts
// (+14 Ethernet).
inline constexpr double kWireBytesPerPayloadByte = 1514.0 / 1448.0;

// One emulated DC.
struct NetnsDc {
  std::string dc;         // the DC's name in the matrix / job
  std::string netns;      // "gaia-<name>-<dc>"
  std::string veth_host;  // "gv-<name>-<i>", in the root namespace, on the bridge
  std::string veth_ns;    // "gn-<name>-<i>", inside `netns`
  std::string ip;         // the DC's IPv4 address (without the prefix length)

  bool operator==(const NetnsDc&) const = default;
};

// One shaped, directed link.
struct NetnsLink {
  std::string from, to;
  double bandwidth_mbps = 0;
  double delay_ms = 0;
  std::string classid;  // htb class on `from`'s veth_ns, e.g. "1:11"
  std::string tc_rate;  // its rate and ceil as given to tc, e.g. "20912kbit"

  bool operator==(const NetnsLink&) const = default;
};

struct NetnsPlan {
  std::string name;
  std::string bridge;   // "gb-<name>"
  std::string subnet;   // as given, normalised: "10.213.0.0/24"
  std::string host_ip;  // the bridge's address: the root namespace reaches every DC here
  int prefix_len = 0;
  std::vector<NetnsDc> dcs;      // in the order given
  std::vector<NetnsLink> links;  // every directed pair, in (from, to) order of `dcs`
  bool kernel_delay = false;
  // argv lists, run in order. up_commands create everything; down_commands
  // delete it (host veths, then namespaces, then the bridge); each down
  // command may be skipped when its object is already gone.
  std::vector<std::vector<std::string>> up_commands;
  std::vector<std::vector<std::string>> down_commands;

  // The DC named `dc`, or nullptr.
  const NetnsDc* FindDc(const std::string& dc) const;

  bool operator==(const NetnsPlan&) const = default;
};

// Plans an instance for `dcs` (distinct, 1..kMaxNetnsDcs, each with links to
// every other in `matrix`). InvalidArgument on a bad name, subnet or DC list,
// or when the matrix lacks a link (matrix.CheckCovers's message).
absl::StatusOr<NetnsPlan> PlanNetns(const LinkMatrix& matrix, const std::vector<std::string>& dcs,
                                    const NetnsOptions& options);

// Checks an instance name: [a-z0-9]{1,8}.
absl::Status ValidateNetnsName(const std::string& name);

// Parses "a.b.c.d/len" into a host-order address and a prefix length.
absl::Status ParseIpv4Cidr(const std::string& cidr, uint32_t* address, int* prefix_len);
// "a.b.c.d" for a host-order address.
std::string Ipv4ToString(uint32_t address);

// The tc rate for a link of `mbps` (matrix bandwidth): whole kbit/s
// (SI, as tc reads "kbit"), at least 1; with `payload_rate`, scaled by
// kWireBytesPerPayloadByte (see NetnsOptions).
std::string TcRate(double mbps, bool payload_rate);

// htb burst and cburst (bytes) for a class of `bandwidth_mbps`: 4 ms of rate,
// at least 64 KiB so a whole segmentation-offload packet fits.
uint64_t HtbBurstBytes(double bandwidth_mbps);
// Queue limit of a destination class's leaf (bytes for the FIFO; netem's
// limit is this divided by 1500, in packets): 100 ms of rate plus what the
// link holds in flight (bandwidth x delay), at least 256 KiB.
uint64_t LeafLimitBytes(double bandwidth_mbps, double delay_ms);

}  // namespace gaia::wan

#endif  // GAIA_SRC_WAN_NETNS_PLAN_H_
