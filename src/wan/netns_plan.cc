#include "src/wan/netns_plan.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace gaia::wan {
namespace {

using Argv = std::vector<std::string>;

// Traffic a DC sends to the host (and anything no filter matches) goes
// through class 1:1 at this rate: in effect unshaped.
constexpr char kDefaultClassRate[] = "10gbit";

// gso_max_size of the namespace-side veths (see PlanNetns).
constexpr int kGsoMaxBytes = 16384;

bool IsDcNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

// "1.5" for 1.5 ms, "20" for 20 ms: tc's time syntax takes decimals.
std::string TcMs(double ms) { return absl::StrCat(ms, "ms"); }

// Class (and leaf handle) number of destination DC j, in hex as tc reads it.
std::string ClassMinor(size_t j) { return absl::StrCat(absl::Hex(0x10 + j)); }

}  // namespace

const NetnsDc* NetnsPlan::FindDc(const std::string& dc) const {
  for (const NetnsDc& d : dcs) {
    if (d.dc == dc) return &d;
  }
  return nullptr;
}

absl::Status ValidateNetnsName(const std::string& name) {
  const bool chars_ok = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
  if (name.empty() || name.size() > kMaxNetnsNameLength || !chars_ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad emulator name '", name, "': use 1 to ", kMaxNetnsNameLength,
        " lower-case letters or digits (it becomes part of interface names, at most 15 "
        "characters)"));
  }
  return absl::OkStatus();
}

absl::Status ParseIpv4Cidr(const std::string& cidr, uint32_t* address, int* prefix_len) {
  const auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad subnet '", cidr, "': ", why, " (expected a.b.c.d/len)"));
  };
  const std::vector<std::string> parts = absl::StrSplit(cidr, '/');
  if (parts.size() != 2) return bad("no prefix length");
  const std::vector<std::string> octets = absl::StrSplit(parts[0], '.');
  if (octets.size() != 4) return bad("not four octets");
  uint32_t value = 0;
  for (const std::string& octet : octets) {
    int n = 0;
    if (octet.empty() || octet.size() > 3 || !absl::SimpleAtoi(octet, &n) || n < 0 || n > 255) {
      return bad(absl::StrCat("octet '", octet, "'"));
    }
    value = (value << 8) | static_cast<uint32_t>(n);
  }
  int len = 0;
  if (!absl::SimpleAtoi(parts[1], &len) || len < 0 || len > 32) return bad("prefix length");
  *address = value;
  *prefix_len = len;
  return absl::OkStatus();
}

std::string Ipv4ToString(uint32_t a) {
  return absl::StrCat(a >> 24, ".", (a >> 16) & 0xff, ".", (a >> 8) & 0xff, ".", a & 0xff);
}

std::string TcRate(double mbps, bool payload_rate) {
  const double kbit = mbps * 1000 * (payload_rate ? kWireBytesPerPayloadByte : 1.0);
  return absl::StrCat(std::max<int64_t>(1, std::llround(kbit)), "kbit");
}

uint64_t HtbBurstBytes(double bandwidth_mbps) {
  const double bytes_per_ms = bandwidth_mbps * 1e6 / 8 / 1000;
  return std::max<uint64_t>(64 * 1024, static_cast<uint64_t>(std::ceil(4 * bytes_per_ms)));
}

uint64_t LeafLimitBytes(double bandwidth_mbps, double delay_ms) {
  const double bytes_per_ms = bandwidth_mbps * 1e6 / 8 / 1000;
  return std::max<uint64_t>(256 * 1024,
                            static_cast<uint64_t>(std::ceil((100 + delay_ms) * bytes_per_ms)));
}

namespace {

absl::Status CheckDcNames(const std::vector<std::string>& dcs) {
  if (dcs.empty() || dcs.size() > static_cast<size_t>(kMaxNetnsDcs)) {
    return absl::InvalidArgumentError(
        absl::StrCat("need 1 to ", kMaxNetnsDcs, " DCs, got ", dcs.size()));
  }
  std::set<std::string> seen;
  for (const std::string& dc : dcs) {
    if (dc.empty() || dc.size() > kMaxDcNameLength ||
        !std::all_of(dc.begin(), dc.end(), IsDcNameChar)) {
      return absl::InvalidArgumentError(absl::StrCat("bad DC name '", dc, "': use 1 to ",
                                                     kMaxDcNameLength, " of [A-Za-z0-9_.-]"));
    }
    if (!seen.insert(dc).second) {
      return absl::InvalidArgumentError(absl::StrCat("DC '", dc, "' is listed twice"));
    }
  }
  return absl::OkStatus();
}

// The subnet's network address and prefix length, checked to hold the
// network address, the bridge, `num_dcs` DCs and the broadcast address.
absl::Status ParseSubnet(const std::string& subnet, size_t num_dcs, uint32_t* network,
                         int* prefix_len) {
  if (absl::Status s = ParseIpv4Cidr(subnet, network, prefix_len); !s.ok()) return s;
  const uint64_t size = uint64_t{1} << (32 - *prefix_len);
  if (*network % size != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad subnet '", subnet, "': host bits are set (the network is ",
                     Ipv4ToString(*network & ~(size - 1)), "/", *prefix_len, ")"));
  }
  if (size < num_dcs + 3) {
    return absl::InvalidArgumentError(absl::StrCat("subnet ", subnet, " is too small for ",
                                                   num_dcs, " DCs (needs ", num_dcs + 3,
                                                   " addresses)"));
  }
  return absl::OkStatus();
}

// The bridge in the root namespace, and per DC its namespace and the veth
// pair joining it to the bridge.
void AddTopologyCommands(NetnsPlan* plan) {
  const std::string len = absl::StrCat("/", plan->prefix_len);
  std::vector<Argv>& up = plan->up_commands;
  up.push_back({"ip", "link", "add", plan->bridge, "type", "bridge"});
  up.push_back({"ip", "addr", "add", plan->host_ip + len, "dev", plan->bridge});
  up.push_back({"ip", "link", "set", plan->bridge, "up"});
  for (const NetnsDc& dc : plan->dcs) {
    up.push_back({"ip", "netns", "add", dc.netns});
    // The peer is created inside the namespace, so its name never meets the
    // root namespace's interfaces.
    up.push_back({"ip", "link", "add", dc.veth_host, "type", "veth", "peer", "name", dc.veth_ns,
                  "netns", dc.netns});
    up.push_back({"ip", "link", "set", dc.veth_host, "master", plan->bridge});
    up.push_back({"ip", "link", "set", dc.veth_host, "up"});
    up.push_back({"ip", "-n", dc.netns, "link", "set", "lo", "up"});
    up.push_back({"ip", "-n", dc.netns, "addr", "add", dc.ip + len, "dev", dc.veth_ns});
    // Smaller segmentation-offload packets: htb sends a whole one at once,
    // so 64 KiB ones would make a slow link deliver in lumps (0.5 s of a
    // 1 Mbit/s link); 16 KiB is 1.3 ms of 100 Mbit/s.
    up.push_back({"ip", "-n", dc.netns, "link", "set", dc.veth_ns, "gso_max_size",
                  absl::StrCat(kGsoMaxBytes)});
    up.push_back({"ip", "-n", dc.netns, "link", "set", dc.veth_ns, "up"});
  }
}

// Shaping on DC `i`'s side of its veth: an htb root whose default class
// (traffic to the root namespace) is not limited, and one class per other
// DC at the link's rate, with a netem delay (when the kernel has netem) or a
// byte fifo under it, chosen by destination address.
void AddShapingCommands(const LinkMatrix& matrix, const NetnsOptions& options, size_t i,
                        NetnsPlan* plan) {
  const NetnsDc& src = plan->dcs[i];
  std::vector<Argv>& up = plan->up_commands;
  const auto cmd = [&](std::initializer_list<std::string> rest) {
    Argv argv = {"tc", "-n", src.netns};
    argv.insert(argv.end(), rest);
    return argv;
  };
  const std::string default_burst = absl::StrCat(HtbBurstBytes(10000));
  up.push_back(
      cmd({"qdisc", "add", "dev", src.veth_ns, "root", "handle", "1:", "htb", "default", "1"}));
  up.push_back(cmd({"class", "add", "dev", src.veth_ns, "parent", "1:", "classid", "1:1", "htb",
                    "rate", kDefaultClassRate, "ceil", kDefaultClassRate, "burst", default_burst,
                    "cburst", default_burst, "quantum", "65536"}));
  for (size_t j = 0; j < plan->dcs.size(); ++j) {
    if (j == i) continue;
    const NetnsDc& dst = plan->dcs[j];
    const LinkParams params = *matrix.Find(src.dc, dst.dc);
    const std::string minor = ClassMinor(j);
    const std::string classid = "1:" + minor;
    const std::string rate = TcRate(params.bandwidth_mbps, options.payload_rate);
    const std::string burst = absl::StrCat(HtbBurstBytes(params.bandwidth_mbps));
    const uint64_t limit_bytes = LeafLimitBytes(params.bandwidth_mbps, params.delay_ms);
    up.push_back(cmd({"class", "add", "dev", src.veth_ns, "parent", "1:", "classid", classid,
                      "htb", "rate", rate, "ceil", rate, "burst", burst, "cburst", burst,
                      "quantum", "65536"}));
    if (plan->kernel_delay) {
      up.push_back(cmd({"qdisc", "add", "dev", src.veth_ns, "parent", classid, "handle",
                        minor + ":", "netem", "delay", TcMs(params.delay_ms), "limit",
                        absl::StrCat(limit_bytes / 1500 + 1)}));
    } else {
      up.push_back(cmd({"qdisc", "add", "dev", src.veth_ns, "parent", classid, "handle",
                        minor + ":", "bfifo", "limit", absl::StrCat(limit_bytes)}));
    }
    up.push_back(cmd({"filter", "add", "dev", src.veth_ns, "parent", "1:", "protocol", "ip",
                      "prio", "1", "u32", "match", "ip", "dst", dst.ip + "/32", "flowid",
                      classid}));
    plan->links.push_back({.from = src.dc,
                           .to = dst.dc,
                           .bandwidth_mbps = params.bandwidth_mbps,
                           .delay_ms = params.delay_ms,
                           .classid = classid,
                           .tc_rate = rate});
  }
}

// Deleting a host veth destroys its peer at once, even while processes
// still hold the namespace open; the namespace goes once they exit.
void AddDownCommands(NetnsPlan* plan) {
  for (const NetnsDc& dc : plan->dcs) {
    plan->down_commands.push_back({"ip", "link", "del", dc.veth_host});
  }
  for (const NetnsDc& dc : plan->dcs) {
    plan->down_commands.push_back({"ip", "netns", "del", dc.netns});
  }
  plan->down_commands.push_back({"ip", "link", "del", plan->bridge});
}

}  // namespace

absl::StatusOr<NetnsPlan> PlanNetns(const LinkMatrix& matrix, const std::vector<std::string>& dcs,
                                    const NetnsOptions& options) {
  if (absl::Status s = ValidateNetnsName(options.name); !s.ok()) return s;
  if (absl::Status s = CheckDcNames(dcs); !s.ok()) return s;
  if (absl::Status s = matrix.CheckCovers(dcs); !s.ok()) return s;
  uint32_t network = 0;
  int prefix_len = 0;
  if (absl::Status s = ParseSubnet(options.subnet, dcs.size(), &network, &prefix_len); !s.ok()) {
    return s;
  }

  NetnsPlan plan;
  plan.name = options.name;
  plan.bridge = "gb-" + options.name;
  plan.subnet = options.subnet;
  plan.host_ip = Ipv4ToString(network + 1);
  plan.prefix_len = prefix_len;
  plan.kernel_delay = options.kernel_delay;
  for (size_t i = 0; i < dcs.size(); ++i) {
    plan.dcs.push_back({.dc = dcs[i],
                        .netns = absl::StrCat("gaia-", options.name, "-", dcs[i]),
                        .veth_host = absl::StrCat("gv-", options.name, "-", i),
                        .veth_ns = absl::StrCat("gn-", options.name, "-", i),
                        .ip = Ipv4ToString(network + 2 + static_cast<uint32_t>(i))});
  }
  AddTopologyCommands(&plan);
  for (size_t i = 0; i < plan.dcs.size(); ++i) AddShapingCommands(matrix, options, i, &plan);
  AddDownCommands(&plan);
  return plan;
}

}  // namespace gaia::wan
