#include "src/wan/netns_emulator.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "src/common/logging.h"
#include "src/common/data_files.h"
#include "src/wan/system_tools.h"

namespace gaia::wan {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kProxyHint[] = "use wan: {emulate: proxy} instead";

std::string StatePath(const std::string& state_dir, const std::string& name) {
  return absl::StrCat(state_dir, "/", name, ".json");
}

// The first line of a tool's stderr, without iproute2's "Error: " prefix.
std::string FirstLine(const std::string& text) {
  absl::string_view line = absl::StripAsciiWhitespace(text);
  line = line.substr(0, line.find('\n'));
  absl::ConsumePrefix(&line, "Error: ");
  return std::string(line);
}

// Runs argv; OK only if it exits 0, else an error with the command and its
// stderr.
absl::Status Run(const std::vector<std::string>& argv) {
  common::Logger("wan")->debug("wan: {}", CommandLine(argv));
  absl::StatusOr<CommandResult> result = RunTool(argv);
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::InternalError(absl::StrCat("`", CommandLine(argv), "` failed (exit ",
                                            result->exit_code, "): ", FirstLine(result->err)));
  }
  return absl::OkStatus();
}

bool ProcessAlive(pid_t pid) { return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM); }

// ---- State files -------------------------------------------------------

json PlanToJson(const NetnsPlan& plan) {
  json dcs = json::array();
  for (const NetnsDc& d : plan.dcs) {
    dcs.push_back({{"dc", d.dc},
                   {"netns", d.netns},
                   {"veth_host", d.veth_host},
                   {"veth_ns", d.veth_ns},
                   {"ip", d.ip}});
  }
  json links = json::array();
  for (const NetnsLink& l : plan.links) {
    links.push_back({{"from", l.from},
                     {"to", l.to},
                     {"bandwidth_mbps", l.bandwidth_mbps},
                     {"delay_ms", l.delay_ms},
                     {"classid", l.classid},
                     {"tc_rate", l.tc_rate}});
  }
  return {{"name", plan.name},
          {"bridge", plan.bridge},
          {"subnet", plan.subnet},
          {"host_ip", plan.host_ip},
          {"prefix_len", plan.prefix_len},
          {"kernel_delay", plan.kernel_delay},
          {"dcs", dcs},
          {"links", links},
          {"up_commands", plan.up_commands},
          {"down_commands", plan.down_commands}};
}

// Throws nlohmann::json::exception on a malformed document (caught by the
// caller).
NetnsPlan PlanFromJson(const json& j) {
  NetnsPlan plan;
  plan.name = j.at("name").get<std::string>();
  plan.bridge = j.at("bridge").get<std::string>();
  plan.subnet = j.at("subnet").get<std::string>();
  plan.host_ip = j.at("host_ip").get<std::string>();
  plan.prefix_len = j.at("prefix_len").get<int>();
  plan.kernel_delay = j.at("kernel_delay").get<bool>();
  for (const json& d : j.at("dcs")) {
    NetnsDc dc;
    dc.dc = d.at("dc").get<std::string>();
    dc.netns = d.at("netns").get<std::string>();
    dc.veth_host = d.at("veth_host").get<std::string>();
    dc.veth_ns = d.at("veth_ns").get<std::string>();
    dc.ip = d.at("ip").get<std::string>();
    plan.dcs.push_back(std::move(dc));
  }
  for (const json& l : j.at("links")) {
    NetnsLink link;
    link.from = l.at("from").get<std::string>();
    link.to = l.at("to").get<std::string>();
    link.bandwidth_mbps = l.at("bandwidth_mbps").get<double>();
    link.delay_ms = l.at("delay_ms").get<double>();
    link.classid = l.at("classid").get<std::string>();
    link.tc_rate = l.at("tc_rate").get<std::string>();
    plan.links.push_back(std::move(link));
  }
  plan.up_commands = j.at("up_commands").get<std::vector<std::vector<std::string>>>();
  plan.down_commands = j.at("down_commands").get<std::vector<std::vector<std::string>>>();
  return plan;
}

std::string StateText(const NetnsPlan& plan, const std::string& matrix_source, bool complete) {
  const json j = {{"version", 1},
                  {"pid", static_cast<int64_t>(getpid())},
                  {"complete", complete},
                  {"matrix_source", matrix_source},
                  {"created_unix_s", static_cast<int64_t>(time(nullptr))},
                  {"plan", PlanToJson(plan)}};
  return j.dump(2) + "\n";
}

// Every object of the plan that does not exist now, as "namespace X" /
// "interface Y".
std::vector<std::string> MissingObjects(const NetnsPlan& plan) {
  std::vector<std::string> missing;
  if (!InterfaceExists(plan.bridge)) missing.push_back("interface " + plan.bridge);
  for (const NetnsDc& dc : plan.dcs) {
    if (!NetnsExists(dc.netns)) missing.push_back("namespace " + dc.netns);
    if (!InterfaceExists(dc.veth_host)) missing.push_back("interface " + dc.veth_host);
  }
  return missing;
}

// OK if every object the plan names follows PlanNetns's scheme for
// instance `name`.
absl::Status CheckOwnNames(const NetnsPlan& plan, const std::string& name) {
  const auto bad = [&](const std::string& what) {
    return absl::InvalidArgumentError(
        absl::StrCat("names ", what, ", which gaia wan instance '", name, "' would not create"));
  };
  if (plan.name != name || !ValidateNetnsName(name).ok()) return bad("instance " + plan.name);
  if (plan.bridge != "gb-" + name) return bad("bridge " + plan.bridge);
  for (size_t i = 0; i < plan.dcs.size(); ++i) {
    const NetnsDc& dc = plan.dcs[i];
    if (dc.netns != absl::StrCat("gaia-", name, "-", dc.dc) || dc.dc.empty() ||
        dc.dc.find('/') != std::string::npos) {
      return bad("namespace " + dc.netns);
    }
    if (dc.veth_host != absl::StrCat("gv-", name, "-", i)) return bad("interface " + dc.veth_host);
  }
  return absl::OkStatus();
}

absl::StatusOr<EmulatorState> ReadState(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read"));
  std::stringstream text;
  text << in.rdbuf();
  EmulatorState state;
  state.state_path = path;
  try {
    const json j = json::parse(text.str());
    state.creator_pid = static_cast<pid_t>(j.at("pid").get<int64_t>());
    state.complete = j.at("complete").get<bool>();
    state.matrix_source = j.at("matrix_source").get<std::string>();
    state.plan = PlanFromJson(j.at("plan"));
  } catch (const json::exception& e) {
    return absl::DataLossError(absl::StrCat(path, ": malformed gaia wan state file (", e.what(),
                                            "); delete it after removing what it names"));
  }
  // Down deletes what the file names, so it must only ever name objects of
  // this instance's naming scheme: an edited or foreign file cannot make it
  // delete, say, eth0.
  if (absl::Status s = CheckOwnNames(state.plan, fs::path(path).stem().string()); !s.ok()) {
    return absl::DataLossError(absl::StrCat(path, ": ", s.message()));
  }
  state.name = state.plan.name;
  state.matrix.set_source(state.matrix_source);
  for (const NetnsLink& l : state.plan.links) {
    LinkParams params;
    params.bandwidth_mbps = l.bandwidth_mbps;
    params.delay_ms = l.delay_ms;
    state.matrix.Set(l.from, l.to, params);
  }
  state.missing = MissingObjects(state.plan);
  if (state.complete && state.missing.empty()) {
    state.health = EmulatorState::Health::kUp;
  } else if (!state.complete && ProcessAlive(state.creator_pid)) {
    state.health = EmulatorState::Health::kCreating;
  } else {
    state.health = EmulatorState::Health::kStale;
  }
  return state;
}

// Creates `path` with `content` only if it does not exist (atomically: the
// file appears complete or not at all).
absl::Status CreateExclusive(const std::string& path, const std::string& content) {
  const std::string tmp = absl::StrCat(path, ".new.", getpid());
  if (absl::Status s = common::WriteFileAtomically(tmp, content); !s.ok()) return s;
  const int rc = link(tmp.c_str(), path.c_str());
  const int err = errno;
  unlink(tmp.c_str());
  if (rc != 0) {
    if (err == EEXIST) {
      return absl::AlreadyExistsError(
          absl::StrCat(path, " appeared meanwhile (another gaia wan up?)"));
    }
    return absl::UnavailableError(absl::StrCat(path, ": ", strerror(err)));
  }
  return absl::OkStatus();
}

// Deletes the plan's objects that exist: host veths (which takes their
// namespace-side peers along), namespaces, bridge. Keeps going past errors
// and returns the first.
absl::Status Teardown(const NetnsPlan& plan) {
  absl::Status first = absl::OkStatus();
  const auto note = [&first](absl::Status s) {
    if (!s.ok() && first.ok()) first = std::move(s);
  };
  for (const NetnsDc& dc : plan.dcs) {
    if (InterfaceExists(dc.veth_host)) note(Run({"ip", "link", "del", dc.veth_host}));
  }
  for (const NetnsDc& dc : plan.dcs) {
    if (NetnsExists(dc.netns)) note(Run({"ip", "netns", "del", dc.netns}));
  }
  if (InterfaceExists(plan.bridge)) note(Run({"ip", "link", "del", plan.bridge}));
  return first;
}

// ---- Subnets -------------------------------------------------------------

struct Ipv4Net {
  uint32_t address = 0;
  int prefix_len = 0;
  std::string label;  // "10.0.0.1/24 on eth0" or "instance x"
};

bool Overlap(const Ipv4Net& a, const Ipv4Net& b) {
  const int len = std::min(a.prefix_len, b.prefix_len);
  if (len == 0) return true;
  return ((a.address ^ b.address) >> (32 - len)) == 0;
}

// IPv4 addresses of the root namespace ("ip -o -4 addr show") plus the
// subnets of every instance in `state_dir` except `except_name`.
std::vector<Ipv4Net> UsedNets(const std::string& state_dir, const std::string& except_name) {
  std::vector<Ipv4Net> used;
  absl::StatusOr<CommandResult> addrs = RunTool({"ip", "-o", "-4", "addr", "show"});
  if (addrs.ok() && addrs->exit_code == 0) {
    for (absl::string_view line : absl::StrSplit(addrs->out, '\n')) {
      const std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
      for (size_t i = 0; i + 1 < f.size(); ++i) {
        Ipv4Net net;
        if (f[i] != "inet" || !ParseIpv4Cidr(f[i + 1], &net.address, &net.prefix_len).ok()) {
          continue;
        }
        net.label = absl::StrCat(f[i + 1], " on ", f.size() > 1 ? f[1] : "?");
        used.push_back(net);
      }
    }
  }
  absl::StatusOr<std::vector<EmulatorState>> states = ListEmulators(state_dir);
  if (states.ok()) {
    for (const EmulatorState& s : *states) {
      Ipv4Net net;
      if (s.name == except_name ||
          !ParseIpv4Cidr(s.plan.subnet, &net.address, &net.prefix_len).ok()) {
        continue;
      }
      net.label = absl::StrCat(s.plan.subnet, " of gaia wan instance ", s.name);
      used.push_back(net);
    }
  }
  return used;
}

}  // namespace

// ---- Probing ---------------------------------------------------------------

KernelSupport ProbeKernel() {
  KernelSupport support;
  const auto fail = [&support](const std::string& what) {
    support.ok = false;
    support.reason = absl::StrCat("kernel WAN emulation unavailable: ", what, "; ", kProxyHint);
    return support;
  };
  if (geteuid() != 0) {
    return fail(absl::StrCat(
        "needs root to create network namespaces and interfaces (running as uid ", geteuid(), ")"));
  }
  for (const char* tool : {"ip", "tc"}) {
    absl::StatusOr<CommandResult> r = RunTool({tool, "-V"});
    if (!r.ok()) return fail(absl::StrCat("needs `", tool, "` (iproute2): ", r.status().message()));
  }
  // Remove probe namespaces of probes that died halfway (their pid is gone).
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kNetnsDir, ec)) {
    const std::string n = entry.path().filename().string();
    int pid = 0;
    if (absl::StartsWith(n, "gaiaprobe-") && absl::SimpleAtoi(n.substr(10), &pid) &&
        !ProcessAlive(pid)) {
      (void)Run({"ip", "netns", "del", n});
    }
  }
  const std::string ns = absl::StrCat("gaiaprobe-", getpid());
  if (absl::Status s = Run({"ip", "netns", "add", ns}); !s.ok()) {
    return fail(absl::StrCat("cannot create a network namespace (needs CAP_SYS_ADMIN and ",
                             "CAP_NET_ADMIN): ", s.message()));
  }
  const auto check = [&]() -> std::string {
    if (absl::Status s =
            Run({"ip", "-n", ns, "link", "add", "p0", "type", "veth", "peer", "name", "p1"});
        !s.ok()) {
      return absl::StrCat("veth interfaces are not available: ", s.message());
    }
    if (absl::Status s = Run({"ip", "-n", ns, "link", "set", "p0", "gso_max_size", "16384"});
        !s.ok()) {
      return absl::StrCat("cannot limit gso_max_size (kernel older than 4.16?): ", s.message());
    }
    if (absl::Status s = Run({"ip", "-n", ns, "link", "add", "b0", "type", "bridge"}); !s.ok()) {
      return absl::StrCat("bridge interfaces are not available: ", s.message());
    }
    if (absl::Status s = Run({"tc", "-n", ns, "qdisc", "add", "dev", "p0", "root", "handle",
                              "1:", "htb", "default", "1"});
        !s.ok()) {
      return absl::StrCat("the tc htb qdisc is not available: ", s.message());
    }
    absl::StatusOr<CommandResult> netem =
        RunTool({"tc", "-n", ns, "qdisc", "add", "dev", "p1", "root", "netem", "delay", "1ms"});
    support.netem = netem.ok() && netem->exit_code == 0;
    if (!support.netem) {
      support.reason = absl::StrCat(
          "the kernel has no netem qdisc (tc: ",
          netem.ok() ? FirstLine(netem->err) : std::string(netem.status().message()),
          "): links are shaped in the kernel, their delay is added by the userspace relay");
    }
    return "";
  };
  const std::string problem = check();
  (void)Run({"ip", "netns", "del", ns});
  if (!problem.empty()) return fail(problem);
  support.ok = true;
  return support;
}

std::string StateDir() {
  const char* dir = std::getenv("GAIA_WAN_STATE_DIR");
  return dir != nullptr && dir[0] != '\0' ? dir : "/run/gaia-wan";
}

// ---- Up / Down ---------------------------------------------------------------

absl::StatusOr<NetnsPlan> Up(const LinkMatrix& matrix, const std::vector<std::string>& dcs,
                             NetnsOptions options, const std::string& state_dir) {
  // Input errors first, before touching anything.
  options.kernel_delay = false;
  if (absl::StatusOr<NetnsPlan> p = PlanNetns(matrix, dcs, options); !p.ok()) return p.status();
  const KernelSupport support = ProbeKernel();
  if (!support.ok) return absl::FailedPreconditionError(support.reason);
  options.kernel_delay = support.netem;
  absl::StatusOr<NetnsPlan> plan = PlanNetns(matrix, dcs, options);
  if (!plan.ok()) return plan.status();
  const std::string& name = plan->name;
  const std::string down_hint = absl::StrCat("gaia wan down --name ", name);

  std::error_code ec;
  fs::create_directories(state_dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat(state_dir, ": ", ec.message()));
  const std::string path = StatePath(state_dir, name);
  if (fs::exists(path, ec)) {
    absl::StatusOr<EmulatorState> state = ReadState(path);
    if (!state.ok()) return state.status();
    switch (state->health) {
      case EmulatorState::Health::kUp:
        if (state->plan == *plan) return *plan;
        return absl::FailedPreconditionError(absl::StrCat(
            "emulator ", name, " is already up with another matrix (", state->matrix_source,
            ", DCs ", state->plan.dcs.size(), "); run ", down_hint));
      case EmulatorState::Health::kCreating:
        return absl::FailedPreconditionError(
            absl::StrCat("emulator ", name, " is being created by process ", state->creator_pid));
      case EmulatorState::Health::kStale:
        return absl::FailedPreconditionError(
            absl::StrCat("emulator ", name, " was left by a crashed run (pid ", state->creator_pid,
                         state->missing.empty()
                             ? ""
                             : absl::StrCat("; missing: ", absl::StrJoin(state->missing, ", ")),
                         "); `", down_hint, "` cleans it"));
    }
  }

  // Nothing of the plan may exist yet: it would belong to someone else.
  const auto refuse = [&](const std::string& what) {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing to touch ", what, ": not created by gaia wan (no state file in ",
                     state_dir, " lists it); remove it yourself or choose another --name"));
  };
  if (InterfaceExists(plan->bridge)) return refuse("interface " + plan->bridge);
  for (const NetnsDc& dc : plan->dcs) {
    if (InterfaceExists(dc.veth_host)) return refuse("interface " + dc.veth_host);
    if (NetnsExists(dc.netns)) return refuse("namespace " + dc.netns);
  }
  Ipv4Net mine;
  mine.prefix_len = plan->prefix_len;
  (void)ParseIpv4Cidr(plan->subnet, &mine.address, &mine.prefix_len);
  for (const Ipv4Net& used : UsedNets(state_dir, name)) {
    if (Overlap(mine, used)) {
      return absl::FailedPreconditionError(absl::StrCat("subnet ", plan->subnet, " overlaps ",
                                                        used.label, "; pass another --subnet"));
    }
  }

  const std::string source = matrix.source();
  if (absl::Status s = CreateExclusive(path, StateText(*plan, source, false)); !s.ok()) return s;
  auto log = common::Logger("wan");
  for (const std::vector<std::string>& argv : plan->up_commands) {
    if (absl::Status s = Run(argv); !s.ok()) {
      const absl::Status undone = Teardown(*plan);
      if (undone.ok()) fs::remove(path, ec);
      return absl::InternalError(absl::StrCat(
          "gaia wan up ", name, ": ", s.message(),
          undone.ok()
              ? "; undid what was made"
              : absl::StrCat("; undoing failed too (", undone.message(), "); run ", down_hint)));
    }
  }
  if (absl::Status s = common::WriteFileAtomically(path, StateText(*plan, source, true)); !s.ok()) return s;
  log->info("wan: emulator {} up: {} DCs on {}, delay {}", name, plan->dcs.size(), plan->subnet,
            plan->kernel_delay ? "netem" : "userspace");
  return *plan;
}

absl::Status Down(const std::string& name, const std::string& state_dir) {
  absl::StatusOr<EmulatorState> state = FindEmulator(name, state_dir);
  if (!state.ok()) return state.status();
  if (absl::Status s = Teardown(state->plan); !s.ok()) {
    return absl::InternalError(absl::StrCat("gaia wan down ", name, ": ", s.message(),
                                            " (state kept in ", state->state_path, ")"));
  }
  std::error_code ec;
  fs::remove(state->state_path, ec);
  if (ec) return absl::UnavailableError(absl::StrCat(state->state_path, ": ", ec.message()));
  common::Logger("wan")->info("wan: emulator {} down", name);
  return absl::OkStatus();
}

const char* HealthName(EmulatorState::Health health) {
  switch (health) {
    case EmulatorState::Health::kUp:
      return "up";
    case EmulatorState::Health::kCreating:
      return "creating";
    case EmulatorState::Health::kStale:
      return "stale";
  }
  return "?";
}

absl::StatusOr<std::vector<EmulatorState>> ListEmulators(const std::string& state_dir) {
  std::vector<EmulatorState> states;
  std::error_code ec;
  std::vector<std::string> paths;
  for (const auto& entry : fs::directory_iterator(state_dir, ec)) {
    const std::string file = entry.path().filename().string();
    if (absl::EndsWith(file, ".json") && ValidateNetnsName(file.substr(0, file.size() - 5)).ok()) {
      paths.push_back(entry.path().string());
    }
  }
  std::sort(paths.begin(), paths.end());
  for (const std::string& path : paths) {
    absl::StatusOr<EmulatorState> state = ReadState(path);
    if (!state.ok()) return state.status();
    states.push_back(*std::move(state));
  }
  return states;
}

absl::StatusOr<EmulatorState> FindEmulator(const std::string& name, const std::string& state_dir) {
  if (absl::Status s = ValidateNetnsName(name); !s.ok()) return s;
  absl::StatusOr<std::vector<EmulatorState>> states = ListEmulators(state_dir);
  if (!states.ok()) return states.status();
  std::vector<std::string> names;
  for (EmulatorState& s : *states) {
    if (s.name == name) return std::move(s);
    names.push_back(s.name);
  }
  return absl::NotFoundError(absl::StrCat(
      "no gaia wan emulator named ", name, " (in ", state_dir, "); ",
      names.empty() ? "none is up" : absl::StrCat("there are: ", absl::StrJoin(names, ", "))));
}

std::vector<std::string> UnlistedNamespaces(const std::string& state_dir) {
  std::set<std::string> listed;
  absl::StatusOr<std::vector<EmulatorState>> states = ListEmulators(state_dir);
  if (states.ok()) {
    for (const EmulatorState& s : *states) {
      for (const NetnsDc& dc : s.plan.dcs) listed.insert(dc.netns);
    }
  }
  std::vector<std::string> unlisted;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kNetnsDir, ec)) {
    const std::string n = entry.path().filename().string();
    if (absl::StartsWith(n, "gaia-") && !listed.contains(n)) unlisted.push_back(n);
  }
  std::sort(unlisted.begin(), unlisted.end());
  return unlisted;
}

absl::StatusOr<std::string> ChooseSubnet(const std::string& name, const std::string& state_dir) {
  if (absl::StatusOr<EmulatorState> s = FindEmulator(name, state_dir); s.ok()) {
    return s->plan.subnet;
  }
  const std::vector<Ipv4Net> used = UsedNets(state_dir, name);
  // Start where the name points (FNV-1a), so that instances brought up at
  // the same moment by different processes (which cannot yet see each
  // other's addresses) rarely pick the same subnet.
  uint32_t start = 2166136261u;
  for (unsigned char c : name) start = (start ^ c) * 16777619u;
  for (uint32_t i = 0; i < 256; ++i) {
    const uint32_t x = (start + i) % 256;
    Ipv4Net candidate;
    candidate.address = (10u << 24) | (213u << 16) | (x << 8);
    candidate.prefix_len = 24;
    if (std::none_of(used.begin(), used.end(),
                     [&](const Ipv4Net& u) { return Overlap(candidate, u); })) {
      return absl::StrCat(Ipv4ToString(candidate.address), "/24");
    }
  }
  return absl::ResourceExhaustedError("every 10.213.X.0/24 is in use; pass --subnet");
}

}  // namespace gaia::wan
