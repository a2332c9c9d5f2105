#include "src/cli/launcher.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "src/cli/child_process.h"
#include "src/cli/metrics_collector.h"
#include "src/cli/mirror_monitor.h"
#include "src/cli/model_io.h"
#include "src/cli/relay_plan.h"
#include "src/cli/wan_links.h"
#include "src/wan/netns_emulator.h"
#include "src/common/data_files.h"
#include "src/common/logging.h"
#include "src/common/topology.h"

namespace gaia::cli {
namespace fs = std::filesystem;
using common::Mode;
using json = nlohmann::json;

namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(100);
constexpr auto kStartTimeout = std::chrono::seconds(60);
constexpr auto kTerminateGrace = std::chrono::milliseconds(3000);

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The processes of one run and the shutdown order: workers, then relays,
// then shards (so no shard disappears under a worker that still flushes).
struct Children {
  std::vector<std::unique_ptr<ChildProcess>> shards;
  std::vector<std::unique_ptr<ChildProcess>> relays;
  std::vector<std::unique_ptr<ChildProcess>> workers;
  std::vector<bool> worker_done;

  void TerminateAll() {
    for (auto& w : workers) w->Terminate(kTerminateGrace);
    for (auto& r : relays) r->Terminate(kTerminateGrace);
    for (auto& s : shards) s->Terminate(kTerminateGrace);
  }
};

// The run's kernel WAN emulator (wan.emulate: netns): one namespace per DC.
// Taken down when the run ends, however it ends, after its processes.
struct KernelWan {
  std::optional<wan::NetnsPlan> plan;

  ~KernelWan() {
    if (!plan) return;
    if (absl::Status st = wan::Down(plan->name); !st.ok()) {
      common::Logger("launcher")->warn("wan emulator {}: {}", plan->name, std::string(st.message()));
    }
  }
  bool up() const { return plan.has_value(); }
  // Where the launcher (root namespace) reaches DC `dc`'s processes.
  std::string Host(uint32_t dc) const { return plan ? plan->dcs[dc].ip : "127.0.0.1"; }
  // `argv` run inside DC `dc`'s namespace (`ip netns exec` keeps the PID).
  std::vector<std::string> InDc(uint32_t dc, std::vector<std::string> argv) const {
    if (!plan) return argv;
    argv.insert(argv.begin(), {wan::FindTool("ip"), "netns", "exec", plan->dcs[dc].netns});
    return argv;
  }
};

// Brings up the kernel emulator for a run's DCs under a name of its own.
absl::Status StartKernelWan(const wan::LinkMatrix& links, const common::Topology& topo,
                            KernelWan* out) {
  wan::NetnsOptions options;
  options.name = absl::StrFormat("r%x", static_cast<unsigned>(getpid()) & 0xffffffu);
  absl::StatusOr<std::string> subnet = wan::ChooseSubnet(options.name);
  if (!subnet.ok()) return subnet.status();
  options.subnet = *subnet;
  absl::StatusOr<wan::NetnsPlan> plan = wan::Up(links, topo.host_dcs, options);
  if (!plan.ok()) {
    return absl::Status(plan.status().code(),
                        absl::StrCat("wan.emulate: netns: ", plan.status().message()));
  }
  out->plan = std::move(*plan);
  return absl::OkStatus();
}

absl::Status ChildFailed(ChildProcess& child, const ChildProcess::Exit& exit) {
  return absl::AbortedError(absl::StrCat(child.label(), " ", exit.description,
                                         "; last lines of ", child.log_path(), ":\n",
                                         child.LogTail(12)));
}

// Waits for a port file (`{"ports":[...]}` or a bare number) written by a
// child that must stay alive meanwhile.
absl::StatusOr<std::vector<int>> AwaitPorts(ChildProcess& child, const std::string& path,
                                            const std::atomic<bool>* stop) {
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (stop && stop->load()) return absl::CancelledError("interrupted");
    if (auto exit = child.Poll()) return ChildFailed(child, *exit);
    std::ifstream in(path);
    if (in) {
      std::stringstream text;
      text << in.rdbuf();
      json j = json::parse(text.str(), nullptr, false);
      std::vector<int> ports;
      if (j.is_number_integer()) ports.push_back(j.get<int>());
      if (j.is_object() && j.contains("ports") && j["ports"].is_array()) {
        for (const json& p : j["ports"]) {
          if (p.is_number_integer()) ports.push_back(p.get<int>());
        }
      }
      if (!ports.empty()) return ports;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError(
      absl::StrCat(child.label(), " did not report its port within ",
                   std::chrono::duration_cast<std::chrono::seconds>(kStartTimeout).count(),
                   " s; see ", child.log_path()));
}

// A live process's peak resident set (VmHWM in /proc/<pid>/status), 0 if unknown.
uint64_t PeakRssBytes(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    uint64_t kib = 0;
    if (absl::StartsWith(line, "VmHWM:") &&
        absl::SimpleAtoi(absl::StripAsciiWhitespace(absl::StripSuffix(line.substr(6), "kB")), &kib)) {
      return kib * 1024;
    }
  }
  return 0;
}

std::string Address(int port) { return absl::StrCat("127.0.0.1:", port); }
std::string Address(const std::string& host, int port) { return absl::StrCat(host, ":", port); }

// Shard `shard`'s Unix socket for workers in its DC (same host, same network
// namespace): an abstract name, unique to this launcher process and mode.
std::string LocalShardAddress(absl::string_view mode, absl::string_view job_id, size_t shard) {
  return absl::StrCat("unix-abstract:gaia-", getpid(), "-", mode, "-", shard, "-",
                      job_id.substr(0, 64));
}

// A directed WAN link's rate since the last progress line.
struct LinkRate {
  std::string name;  // "<from>-><to>"
  double mb_per_s = 0;
};

// Bytes carried so far per directed DC link: the relay's counters when it
// carries the WAN, else the mirrors' own.
std::map<std::string, uint64_t> LinkBytes(const RelayStats* relay, const MirrorTotals* mirror,
                                          const common::Topology& topo) {
  std::map<std::string, uint64_t> bytes;
  if (relay != nullptr) {
    for (const auto& [name, b] : relay->links) bytes[name] += b;
  } else if (mirror != nullptr && mirror->ok) {
    for (const auto& [key, link] : mirror->links) {
      bytes[absl::StrCat(topo.host_dcs[key.first], "->", topo.host_dcs[key.second])] += link.bytes;
    }
  }
  return bytes;
}

// The busiest links first.
std::vector<LinkRate> LinkRates(const std::map<std::string, uint64_t>& now,
                                const std::map<std::string, uint64_t>& before, double dt_s) {
  std::vector<LinkRate> rates;
  for (const auto& [name, b] : now) {
    auto it = before.find(name);
    const uint64_t prev = it == before.end() ? 0 : std::min(it->second, b);
    rates.push_back({name, static_cast<double>(b - prev) / dt_s / 1e6});
  }
  std::stable_sort(rates.begin(), rates.end(),
                   [](const LinkRate& a, const LinkRate& b) { return a.mb_per_s > b.mb_per_s; });
  return rates;
}

std::string FormatProgress(const RunOptions& options, const common::Topology& topo,
                           const MetricsCollector& metrics, double elapsed_s,
                           double updates_per_s, uint64_t wan_bytes,
                           const MirrorTotals* mirror, const std::vector<LinkRate>& links) {
  std::string line = absl::StrFormat("[%s] %6.1fs  clock", common::ModeName(options.mode),
                                     elapsed_s);
  const std::vector<int64_t> clocks = metrics.DcClocks();
  for (size_t d = 0; d < topo.host_dcs.size(); ++d) {
    absl::StrAppend(&line, " ", topo.host_dcs[d], "=",
                    clocks[d] < 0 ? std::string("-") : absl::StrCat(clocks[d] + 1), "/",
                    options.spec.app.clocks);
  }
  const auto& series = metrics.objective_series();
  if (!series.empty()) absl::StrAppend(&line, absl::StrFormat("  objective %.6g", series.back().objective));
  absl::StrAppend(&line, absl::StrFormat("  updates/s %.3gk", updates_per_s / 1000.0));
  if (topo.host_dcs.size() > 1) {
    absl::StrAppend(&line, absl::StrFormat("  wan %.2f MB", static_cast<double>(wan_bytes) / 1e6));
  }
  // Per-link MB/s, busiest first; at most three links on the line.
  constexpr size_t kLinksShown = 3;
  for (size_t i = 0; i < links.size() && i < kLinksShown; ++i) {
    absl::StrAppend(&line, i == 0 ? " [" : ", ", links[i].name,
                    absl::StrFormat(" %.2f MB/s", links[i].mb_per_s));
  }
  if (links.size() > kLinksShown) absl::StrAppend(&line, ", +", links.size() - kLinksShown, " links");
  if (!links.empty()) absl::StrAppend(&line, "]");
  if (mirror != nullptr && mirror->ok) {
    absl::StrAppend(&line, absl::StrFormat("  filtered %.1f%%", 100.0 * mirror->filtered_fraction()));
  }
  return line;
}

}  // namespace

absl::Status CheckSupported(const common::JobSpec& spec, Mode mode) {
  if (spec.wan.emulate != common::WanEmulation::kNone && mode != Mode::kLan) {
    if (auto links = ResolveWanLinks(spec, DcNames(spec)); !links.ok()) return links.status();
  }
  if (spec.tls.enabled) {
    return absl::UnimplementedError("tls.enabled: TLS is not available in this build");
  }
  if (spec.checkpoint.every_clocks > 0) {
    return absl::UnimplementedError(
        "checkpoint.every_clocks is not available in this build (checkpoint.save_final is)");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ResolveProgram(const std::string& program,
                                           const std::string& bin_dir) {
  if (program.find('/') != std::string::npos) {
    if (access(program.c_str(), X_OK) == 0) return program;
    return absl::NotFoundError(absl::StrCat("app.program: cannot execute ", program));
  }
  const std::string beside = (fs::path(bin_dir) / program).string();
  if (access(beside.c_str(), X_OK) == 0) return beside;
  const char* path_env = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path_env ? path_env : "", ':')) {
    if (dir.empty()) continue;
    const std::string candidate = (fs::path(std::string(dir)) / program).string();
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return absl::NotFoundError(absl::StrCat("app.program: '", program, "' is neither beside ",
                                          bin_dir, " nor on PATH"));
}

std::string LocalTimestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%d-%H%M%S", &tm);
  return buf;
}

absl::StatusOr<RunResult> RunMode(const RunOptions& options) {
  auto log = common::Logger("launcher");
  const common::JobSpec& spec = options.spec;
  const Mode mode = options.mode;
  if (absl::Status supported = CheckSupported(spec, mode); !supported.ok()) return supported;
  absl::StatusOr<common::Topology> topo_or = common::PlanTopology(spec, mode);
  if (!topo_or.ok()) return topo_or.status();
  const common::Topology& topo = *topo_or;
  absl::StatusOr<std::string> program = ResolveProgram(spec.app.program, options.bin_dir);
  if (!program.ok()) return program.status();

  const std::string mode_name = common::ModeName(mode);
  const fs::path log_dir = fs::path(options.run_dir) / "logs" / mode_name;
  const fs::path work_dir = fs::path(options.run_dir) / "work" / mode_name;
  std::error_code ec;
  fs::create_directories(log_dir, ec);
  fs::create_directories(work_dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", work_dir.string(), ": ", ec.message()));

  const std::string gaia_bin = (fs::path(options.bin_dir) / "gaia").string();
  const auto t0 = std::chrono::steady_clock::now();
  const double start_unix = UnixNow();

  // 0. The emulated WAN's links, and the kernel emulator when asked for.
  const bool emulate_wan = spec.wan.emulate != common::WanEmulation::kNone &&
                           mode != Mode::kLan && topo.host_dcs.size() > 1;
  wan::LinkMatrix links;
  if (emulate_wan) {
    absl::StatusOr<wan::LinkMatrix> resolved = ResolveWanLinks(spec, topo.host_dcs);
    if (!resolved.ok()) return resolved.status();
    links = std::move(*resolved);
  }
  KernelWan kernel_wan;  // declared before the children: down after they end
  if (emulate_wan && spec.wan.emulate == common::WanEmulation::kNetns) {
    if (absl::Status st = StartKernelWan(links, topo, &kernel_wan); !st.ok()) return st;
    log->info("{}: kernel WAN emulator {} up ({} DCs, subnet {}, delay {})", mode_name,
              kernel_wan.plan->name, topo.host_dcs.size(), kernel_wan.plan->subnet,
              kernel_wan.plan->kernel_delay ? "netem" : "in per-DC relays (no netem)");
  }
  Children children;
  auto fail = [&](absl::Status status) {
    children.TerminateAll();
    return status;
  };

  // 1. Shards (with their mirrors in gaia modes).
  const bool gaia_mode = mode == Mode::kGaia || mode == Mode::kGaiaAsync;
  auto peers_file = [&](size_t i) {
    return (work_dir / absl::StrCat("shard-", i, ".peers.json")).string();
  };
  std::vector<int> shard_ports(topo.shards.size(), 0);
  std::vector<int> mirror_ports(topo.shards.size(), 0);
  for (size_t i = 0; i < topo.shards.size(); ++i) {
    const std::string label = absl::StrCat("shard ", i, " (dc ", topo.host_dcs[topo.shards[i].host_dc], ")");
    const std::string port_file = (work_dir / absl::StrCat("shard-", i, ".port")).string();
    std::vector<std::string> argv = {gaia_bin, "server", "--job", spec.source,
                                     "--mode", mode_name, "--shard", absl::StrCat(i),
                                     "--job-id", options.job_id, "--port-file", port_file};
    if (gaia_mode) {
      argv.push_back("--peers-file");
      argv.push_back(peers_file(i));
    }
    if (kernel_wan.up()) {
      // Reached from the launcher and, in baseline, from other DCs.
      argv.push_back("--listen");
      argv.push_back("0.0.0.0:0");
    }
    argv.push_back("--local-address");
    argv.push_back(LocalShardAddress(mode_name, options.job_id, i));
    auto child = ChildProcess::Spawn(label, kernel_wan.InDc(topo.shards[i].host_dc, argv),
                                     (log_dir / absl::StrCat("shard-", i, ".log")).string());
    if (!child.ok()) return fail(child.status());
    children.shards.push_back(std::move(*child));
  }
  for (size_t i = 0; i < topo.shards.size(); ++i) {
    auto ports = AwaitPorts(*children.shards[i], (work_dir / absl::StrCat("shard-", i, ".port")).string(),
                            options.stop_requested);
    if (!ports.ok()) return fail(ports.status());
    shard_ports[i] = (*ports)[0];
    if (gaia_mode) {
      if (ports->size() < 2) return fail(absl::InternalError("shard reported no mirror port"));
      mirror_ports[i] = (*ports)[1];
    }
  }

  // 2. WAN relays for cross-DC connections (baseline: worker -> remote shard;
  //    gaia modes: mirror -> remote mirror). proxy: one relay shapes every
  //    link; netns: tc shapes, a relay per DC (in its namespace) adds delay
  //    where the kernel cannot and counts bytes.
  std::vector<RelayPlan> relay_plans;
  const bool use_relay = emulate_wan;
  if (use_relay) {
    RelayPlan plan = gaia_mode ? PlanGaiaRelay(links, topo, mirror_ports)
                               : PlanBaselineRelay(links, topo, shard_ports);
    if (kernel_wan.up()) {
      std::vector<std::string> hosts;
      for (uint32_t dc = 0; dc < topo.host_dcs.size(); ++dc) hosts.push_back(kernel_wan.Host(dc));
      relay_plans = SplitPerSourceDc(plan, topo, hosts, !kernel_wan.plan->kernel_delay);
    } else {
      relay_plans.push_back(std::move(plan));
    }
  }
  for (size_t k = 0; k < relay_plans.size(); ++k) {
    RelayPlan& plan = relay_plans[k];
    if (plan.routes.empty()) continue;
    const std::string tag = kernel_wan.up() ? absl::StrCat("-", topo.host_dcs[k]) : "";
    const std::string config_path = (work_dir / absl::StrCat("relay", tag, ".json")).string();
    plan.port_file = (work_dir / absl::StrCat("relay", tag, ".port")).string();
    plan.stats_file = (work_dir / absl::StrCat("relay", tag, "-stats.json")).string();
    if (auto st = common::WriteFileAtomically(config_path, RelayConfigJson(plan)); !st.ok()) return fail(st);
    std::vector<std::string> argv = {(fs::path(options.bin_dir) / "gaia-wan-relay").string(),
                                     "--config", config_path};
    if (kernel_wan.up()) argv = kernel_wan.InDc(static_cast<uint32_t>(k), argv);
    auto child = ChildProcess::Spawn(absl::StrCat("wan relay", tag), argv,
                                     (log_dir / absl::StrCat("relay", tag, ".log")).string());
    if (!child.ok()) return fail(child.status());
    children.relays.push_back(std::move(*child));
    auto ports = AwaitPorts(*children.relays.back(), plan.port_file, options.stop_requested);
    if (!ports.ok()) return fail(ports.status());
    if (ports->size() != plan.routes.size()) {
      return fail(absl::InternalError("relay reported the wrong number of ports"));
    }
    for (size_t r = 0; r < ports->size(); ++r) plan.routes[r].listen_port = (*ports)[r];
  }

  // 2b. Gaia modes: tell every mirror where its peers are (through the
  //     relay when emulating the WAN), and where `gaia flush` finds them.
  std::vector<std::string> mirror_addresses;
  if (gaia_mode) {
    for (size_t i = 0; i < topo.shards.size(); ++i) {
      mirror_addresses.push_back(Address(kernel_wan.Host(topo.shards[i].host_dc), mirror_ports[i]));
      json peers = json::object();
      for (size_t j = 0; j < topo.shards.size(); ++j) {
        if (topo.shards[j].host_dc == topo.shards[i].host_dc ||
            topo.shards[j].partition_index != topo.shards[i].partition_index) {
          continue;
        }
        // Through the sending DC's relay (local to its namespace), else direct.
        const int port = use_relay ? PortFor(relay_plans, topo.shards[i].host_dc,
                                             static_cast<uint32_t>(j))
                                   : mirror_ports[j];
        peers[absl::StrCat(topo.shards[j].host_dc)] = Address(port);
      }
      if (auto st = common::WriteFileAtomically(peers_file(i), json{{"peers", peers}}.dump(2)); !st.ok()) {
        return fail(st);
      }
    }
    json mirrors = {{"mode", mode_name}, {"mirrors", mirror_addresses}};
    if (auto st = common::WriteFileAtomically((work_dir / "mirrors.json").string(), mirrors.dump(2)); !st.ok()) {
      return fail(st);
    }
  }
  std::unique_ptr<MirrorMonitor> monitor;
  if (gaia_mode) monitor = std::make_unique<MirrorMonitor>(mirror_addresses);

  // 3. Workers.
  std::vector<WorkerSource> sources;
  for (size_t w = 0; w < topo.workers.size(); ++w) {
    const common::WorkerRole& role = topo.workers[w];
    json config;
    config["job_id"] = options.job_id;
    config["worker_id"] = role.worker_id;
    config["dc"] = topo.host_dcs[role.host_dc];
    config["data_part"] = role.data_part;
    config["data_parts"] = role.data_parts;
    config["data"] = spec.dcs[role.data_dc].data;
    const std::string metrics_path = (work_dir / absl::StrCat("worker-", w, ".metrics.jsonl")).string();
    config["metrics_path"] = metrics_path;
    json addresses = json::array();
    for (uint32_t s : topo.groups[role.group].shards) {
      const uint32_t shard_dc = topo.shards[s].host_dc;
      if (shard_dc == role.host_dc) {
        // Same DC, same host: the shard's Unix socket.
        addresses.push_back(LocalShardAddress(mode_name, options.job_id, s));
        continue;
      }
      int port = shard_ports[s];
      if (use_relay) port = PortFor(relay_plans, role.host_dc, s);
      addresses.push_back(Address(port));
    }
    config["shard_addresses"] = addresses;
    const std::string config_path = (work_dir / absl::StrCat("worker-", w, ".json")).string();
    if (auto st = common::WriteFileAtomically(config_path, config.dump(2)); !st.ok()) return fail(st);
    std::vector<std::string> argv = {*program, absl::StrCat("--gaia-config=", config_path),
                                     absl::StrCat("--clocks=", spec.app.clocks)};
    for (const auto& [key, value] : spec.app.args) argv.push_back(absl::StrCat("--", key, "=", value));
    const std::string label = absl::StrCat("worker ", w, " (dc ", topo.host_dcs[role.host_dc],
                                           ", data ", spec.dcs[role.data_dc].name, " part ",
                                           role.data_part, ")");
    auto child = ChildProcess::Spawn(label, kernel_wan.InDc(role.host_dc, argv),
                                     (log_dir / absl::StrCat("worker-", w, ".log")).string());
    if (!child.ok()) return fail(child.status());
    children.workers.push_back(std::move(*child));
    children.worker_done.push_back(false);
    sources.push_back({metrics_path, role.host_dc});
  }
  log->info("{}: started {} shards, {} workers, {} WAN relay(s)", mode_name, topo.shards.size(),
            topo.workers.size(), children.relays.size());

  // 4. Supervise.
  MetricsCollector metrics(sources, static_cast<uint32_t>(topo.host_dcs.size()), start_unix);
  std::ofstream metrics_out(fs::path(options.run_dir) / "metrics.jsonl", std::ios::app);
  RunResult result;
  result.mode = mode;
  auto last_progress = std::chrono::steady_clock::now();
  uint64_t rows_at_last_progress = 0;
  std::map<std::string, uint64_t> link_bytes_at_last_progress;
  MirrorTotals mirror_totals;
  bool progress_printed = false;
  while (true) {
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - t0).count();
    if (options.stop_requested && options.stop_requested->load()) {
      return fail(absl::CancelledError("interrupted (Ctrl-C); stopped every process"));
    }
    if (elapsed > spec.timeout_s) {
      return fail(absl::DeadlineExceededError(
          absl::StrFormat("job exceeded timeout_s = %g; stopped every process", spec.timeout_s)));
    }
    for (auto& shard : children.shards) {
      if (auto exit = shard->Poll()) return fail(ChildFailed(*shard, *exit));
    }
    for (auto& relay : children.relays) {
      if (auto exit = relay->Poll()) return fail(ChildFailed(*relay, *exit));
    }
    bool all_done = true;
    for (size_t w = 0; w < children.workers.size(); ++w) {
      if (children.worker_done[w]) continue;
      if (auto exit = children.workers[w]->Poll()) {
        if (exit->exit_code != 0) return fail(ChildFailed(*children.workers[w], *exit));
        children.worker_done[w] = true;
      } else {
        all_done = false;
      }
    }
    metrics.Poll();
    const bool progress_due =
        all_done ||
        now - last_progress >= std::chrono::duration<double>(options.progress_interval_s);
    if (monitor && progress_due) mirror_totals = monitor->Poll();
    const RelayStats relay_stats = use_relay ? ReadRelayStats(relay_plans) : RelayStats{};
    const uint64_t wan_bytes = use_relay   ? relay_stats.total_bytes
                               : monitor ? mirror_totals.bytes()
                                         : 0;
    for (const ClockRecord& record : metrics.TakeCompleted()) {
      json line = {{"mode", mode_name}, {"clock", record.clock}, {"time_s", record.time_s},
                   {"rows_pushed", record.rows_pushed}, {"bytes_pushed", record.bytes_pushed},
                   {"read_wait_s", record.read_wait_s}, {"wan_bytes", wan_bytes}};
      if (record.objective) line["objective"] = *record.objective;
      if (monitor && mirror_totals.ok) {
        line["hard_threshold"] = mirror_totals.hard_threshold;
        line["soft_threshold"] = mirror_totals.soft_threshold;
        line["filtered_fraction"] = mirror_totals.filtered_fraction();
      }
      metrics_out << line.dump() << "\n";
      result.clocks_completed = record.clock + 1;
    }
    metrics_out.flush();
    if (options.progress && progress_due) {
      const double dt = std::max(1e-3, std::chrono::duration<double>(now - last_progress).count());
      const double rate = static_cast<double>(metrics.total_rows_pushed() - rows_at_last_progress) / dt;
      rows_at_last_progress = metrics.total_rows_pushed();
      std::map<std::string, uint64_t> link_bytes =
          LinkBytes(use_relay ? &relay_stats : nullptr, monitor ? &mirror_totals : nullptr, topo);
      const std::vector<LinkRate> link_rates = LinkRates(link_bytes, link_bytes_at_last_progress, dt);
      link_bytes_at_last_progress = std::move(link_bytes);
      const std::string line = FormatProgress(options, topo, metrics, elapsed, rate, wan_bytes,
                                              monitor ? &mirror_totals : nullptr, link_rates);
      if (options.progress_is_tty) {
        *options.progress << "\r\033[K" << line << std::flush;
      } else {
        *options.progress << line << "\n" << std::flush;
      }
      progress_printed = true;
      last_progress = now;
    }
    if (all_done) break;
    std::this_thread::sleep_for(kPollInterval);
  }
  if (options.progress && options.progress_is_tty && progress_printed) *options.progress << "\n";

  // 4b. Gaia modes: every worker is done, so every shard flushed its
  //     accumulators; wait until the mirrors have delivered everything, then
  //     check that the DC copies agree (DESIGN.md §4.2.5).
  if (monitor) {
    const double left_s = spec.timeout_s -
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (auto st = monitor->AwaitSettled(absl::Seconds(std::max(1.0, left_s))); !st.ok()) {
      return fail(st);
    }
    mirror_totals = monitor->Poll();
    result.mirror = mirror_totals;
  }
  if (gaia_mode || spec.checkpoint.save_final) {
    std::vector<Model> models;
    for (size_t g = 0; g < topo.groups.size(); ++g) {
      std::vector<std::string> addresses;
      for (uint32_t s : topo.groups[g].shards) {
        addresses.push_back(Address(kernel_wan.Host(topo.shards[s].host_dc), shard_ports[s]));
      }
      absl::StatusOr<Model> model = FetchModel(spec, addresses);
      if (!model.ok()) return fail(model.status());
      models.push_back(std::move(*model));
    }
    for (size_t g = 1; g < models.size(); ++g) {
      result.dc_max_difference =
          std::max(result.dc_max_difference, MaxAbsDifference(models[0], models[g]));
    }
    if (spec.checkpoint.save_final) {
      const fs::path base = spec.checkpoint.dir.empty()
                                ? fs::path(options.run_dir) / "model" / mode_name
                                : fs::path(spec.checkpoint.dir) / mode_name;
      for (size_t g = 0; g < models.size(); ++g) {
        // In gaia modes each clock group is one DC; otherwise one global model.
        const std::string dc = gaia_mode ? topo.host_dcs[g] : std::string("global");
        if (auto st = SaveModel(spec, models[g], dc, (base / dc).string()); !st.ok()) {
          return fail(st);
        }
      }
      result.model_dir = base.string();
    }
  }

  // 5. Orderly stop: relays first (they write final stats on SIGTERM), then shards.
  if (!children.relays.empty()) {
    for (auto& relay : children.relays) {
      auto exit = relay->Terminate(kTerminateGrace);
      if (exit.exit_code != 0 && exit.exit_code != 128 + SIGTERM) {
        log->warn("{} {} at shutdown", relay->label(), exit.description);
      }
    }
    RelayStats stats = ReadRelayStats(relay_plans);
    result.wan_bytes = stats.total_bytes;
    for (const auto& [name, bytes] : stats.links) result.wan_links.push_back({name, bytes});
  } else if (result.mirror) {
    // No relay: the mirrors' own count of what crossed between DCs.
    result.wan_bytes = result.mirror->bytes();
    for (const auto& [key, link] : result.mirror->links) {
      result.wan_links.push_back(
          {absl::StrCat(topo.host_dcs[key.first], "->", topo.host_dcs[key.second]), link.bytes});
    }
  }
  for (auto& shard : children.shards) result.shard_peak_rss_bytes.push_back(PeakRssBytes(shard->pid()));
  for (auto& shard : children.shards) {
    auto exit = shard->Terminate(kTerminateGrace);
    if (exit.exit_code != 0) log->warn("{} {} at shutdown", shard->label(), exit.description);
  }
  result.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  metrics.Poll();
  result.series = metrics.objective_series();
  result.rows_pushed = metrics.total_rows_pushed();
  result.convergence = FindConvergence(result.series, static_cast<int>(spec.convergence_window),
                                       spec.convergence_tolerance);
  return result;
}

}  // namespace gaia::cli
