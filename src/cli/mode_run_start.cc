// ModeRun: starting a run's processes and telling them where the others are.
#include <filesystem>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "src/cli/mode_run.h"
#include "src/common/data_files.h"
#include "src/common/logging.h"
#include "src/worker/worker_config.h"

namespace gaia::cli {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// How long a starting shard or relay may take to report its ports.
constexpr auto kStartTimeout = std::chrono::seconds(60);

}  // namespace

absl::Status ModeRun::StartShards() {
  const std::string gaia_bin = (fs::path(options_.bin_dir) / "gaia").string();
  for (size_t i = 0; i < topo_.shards.size(); ++i) {
    const ShardPlacement& where = placement_.shards[i];
    // A remote shard reads the copy PrepareHosts put beside its run files.
    const std::string spec_path = where.where.host.empty() ? spec_.source : layout_.job_yaml();
    std::vector<std::string> argv = {
        gaia_bin,   "server",        "--job",       spec_path,
        "--mode",   mode_name_,      "--shard",     absl::StrCat(i),
        "--job-id", options_.job_id, "--port-file", layout_.shard_port_file(mode_name_, i)};
    if (gaia_mode()) {
      argv.push_back("--peers-file");
      argv.push_back(layout_.shard_peers_file(mode_name_, i));
    }
    if (!where.listen.empty()) {
      argv.push_back("--listen");
      argv.push_back(where.listen);
    }
    argv.push_back("--local-address");
    argv.push_back(where.local_address);
    if (const common::TlsFiles& tls = TlsFor(where.where); !tls.empty()) {
      // Paths only: the token stays in its file, off every command line.
      for (const auto& [flag, path] : {std::pair{"--tls-cert", tls.cert},
                                       {"--tls-key", tls.key},
                                       {"--tls-ca", tls.ca},
                                       {"--tls-token-file", tls.token}}) {
        argv.push_back(flag);
        argv.push_back(path);
      }
    }
    const std::string label = absl::StrCat("shard ", i, " (dc ", topo_.host_dcs[where.dc], ")");
    if (absl::Status st = Spawn(label, where.where, std::move(argv),
                                layout_.shard_log(mode_name_, i), &children_.shards);
        !st.ok()) {
      return st;
    }
  }
  // Started all at once, then awaited: shards come up in parallel.
  shard_ports_.assign(topo_.shards.size(), 0);
  mirror_ports_.assign(topo_.shards.size(), 0);
  for (size_t i = 0; i < topo_.shards.size(); ++i) {
    absl::StatusOr<std::vector<int>> ports =
        AwaitPorts(*children_.shards[i], layout_.shard_port_file(mode_name_, i), kStartTimeout,
                   options_.stop_requested);
    if (!ports.ok()) return ports.status();
    shard_ports_[i] = (*ports)[0];
    if (gaia_mode()) {
      if (ports->size() < 2) return absl::InternalError("shard reported no mirror port");
      mirror_ports_[i] = (*ports)[1];
    }
  }
  return absl::OkStatus();
}

// Relays carry cross-DC connections (baseline: worker -> remote shard; gaia
// modes: mirror -> remote mirror). proxy: one relay shapes every link;
// netns: tc shapes, a relay per DC (in its namespace) adds delay where the
// kernel cannot, and counts bytes.
absl::Status ModeRun::StartRelays() {
  if (!uses_relays()) return absl::OkStatus();
  RelayPlan plan = gaia_mode() ? PlanGaiaRelay(links_, topo_, mirror_ports_)
                               : PlanBaselineRelay(links_, topo_, shard_ports_);
  if (placement_.relay_per_dc) {
    std::vector<std::string> dc_ips;
    for (const DcPlacement& dc : placement_.dcs) dc_ips.push_back(dc.ip);
    relay_plans_ = SplitPerSourceDc(plan, topo_, dc_ips, !kernel_wan_.plan().kernel_delay);
  } else {
    relay_plans_.push_back(std::move(plan));
  }
  const std::string relay_bin = (fs::path(options_.bin_dir) / "gaia-wan-relay").string();
  for (size_t k = 0; k < relay_plans_.size(); ++k) {
    RelayPlan& relay = relay_plans_[k];
    if (relay.routes.empty()) continue;
    const RelayPlacement& where = placement_.relays[k];
    const std::string config_path = layout_.relay_config(mode_name_, where.name);
    relay.port_file = layout_.relay_port_file(mode_name_, where.name);
    relay.stats_file = layout_.relay_stats_file(mode_name_, where.name);
    if (auto st = common::WriteFileAtomically(config_path, RelayConfigJson(relay)); !st.ok()) {
      return st;
    }
    const std::string label =
        where.name.empty() ? std::string("wan relay") : absl::StrCat("wan relay-", where.name);
    if (absl::Status st = Spawn(label, where.where, {relay_bin, "--config", config_path},
                                layout_.relay_log(mode_name_, where.name), &children_.relays);
        !st.ok()) {
      return st;
    }
    absl::StatusOr<std::vector<int>> ports = AwaitPorts(*children_.relays.back(), relay.port_file,
                                                        kStartTimeout, options_.stop_requested);
    if (!ports.ok()) return ports.status();
    if (ports->size() != relay.routes.size()) {
      return absl::InternalError("relay reported the wrong number of ports");
    }
    for (size_t r = 0; r < ports->size(); ++r) relay.routes[r].listen_port = (*ports)[r];
  }
  return absl::OkStatus();
}

// Gaia modes: tells every mirror where its peers are (through the relay when
// emulating the WAN), and `gaia flush` where the mirrors are.
absl::Status ModeRun::ConnectMirrors() {
  if (!gaia_mode()) return absl::OkStatus();
  std::vector<std::string> mirror_addresses;
  for (uint32_t i = 0; i < topo_.shards.size(); ++i) {
    mirror_addresses.push_back(
        LauncherAddress(placement_, i, mirror_ports_[i]));
    json peers = json::object();
    for (const auto& [dc, address] :
         MirrorPeers(placement_, topo_, i, mirror_ports_, relay_plans_)) {
      peers[absl::StrCat(dc)] = address;
    }
    if (auto st = common::WriteFileAtomically(layout_.shard_peers_file(mode_name_, i),
                                              json{{"peers", peers}}.dump(2));
        !st.ok()) {
      return st;
    }
    if (auto st = PutRunFile(placement_.shards[i].where, layout_.shard_peers_file(mode_name_, i));
        !st.ok()) {
      return st;
    }
  }
  json mirrors = {{"mode", mode_name_}, {"mirrors", mirror_addresses}};
  if (auto st = common::WriteFileAtomically(layout_.mirrors_json(mode_name_), mirrors.dump(2));
      !st.ok()) {
    return st;
  }
  monitor_ = std::make_unique<MirrorMonitor>(mirror_addresses, security_);
  return absl::OkStatus();
}

absl::Status ModeRun::StartWorkers() {
  for (uint32_t w = 0; w < topo_.workers.size(); ++w) {
    const common::WorkerRole& role = topo_.workers[w];
    WorkerOptions config;
    config.job_id = options_.job_id;
    config.worker_id = role.worker_id;
    config.dc = topo_.host_dcs[role.host_dc];
    config.data_part = role.data_part;
    config.data_parts = role.data_parts;
    config.job_worker = w;
    config.job_workers = static_cast<uint32_t>(topo_.workers.size());
    const Location& where = placement_.workers[w].where;
    config.data = DataFor(where, role.data_dc);
    const std::string metrics_path = layout_.worker_metrics(mode_name_, w);
    const std::string dc_dir = layout_.dc_dir(mode_name_, spec_.dcs[role.data_dc].name);
    if (std::error_code ec; !std::filesystem::create_directories(dc_dir, ec) && ec) {
      return absl::InternalError(absl::StrCat("cannot create '", dc_dir, "': ", ec.message()));
    }
    // On another host the worker writes into the run's folder there.
    config.metrics_path = remote_paths_.ToRemote(metrics_path);
    config.dc_dir = remote_paths_.ToRemote(dc_dir);
    if (where.host.empty()) {
      config.metrics_path = metrics_path;
      config.dc_dir = dc_dir;
    }  // else PrepareHost made the folder there
    config.shard_addresses = WorkerShardAddresses(placement_, topo_, w, shard_ports_, relay_plans_);
    const common::TlsFiles& tls = TlsFor(where);
    config.tls_cert_file = tls.cert;
    config.tls_key_file = tls.key;
    config.tls_ca_file = tls.ca;
    config.tls_token_file = tls.token;
    const std::string config_path = layout_.worker_config(mode_name_, w);
    if (auto st = common::WriteFileAtomically(config_path, internal::WorkerConfigJson(config));
        !st.ok()) {
      return st;
    }
    if (auto st = PutRunFile(where, config_path); !st.ok()) return st;
    std::vector<std::string> argv = {program_, absl::StrCat("--gaia-config=", config_path),
                                     absl::StrCat("--clocks=", spec_.app.clocks)};
    for (const auto& [key, value] : spec_.app.args) {
      argv.push_back(absl::StrCat("--", key, "=", value));
    }
    const std::string label =
        absl::StrCat("worker ", w, " (dc ", config.dc, ", data ", spec_.dcs[role.data_dc].name,
                     " part ", role.data_part, ")");
    if (absl::Status st = Spawn(label, where, std::move(argv), layout_.worker_log(mode_name_, w),
                                &children_.workers);
        !st.ok()) {
      return st;
    }
    children_.worker_done.push_back(false);
    worker_sources_.push_back({metrics_path, role.host_dc});
  }
  common::Logger("launcher")
      ->info("{}: started {} shards, {} workers, {} WAN relay(s)", mode_name_, topo_.shards.size(),
             topo_.workers.size(), children_.relays.size());
  return absl::OkStatus();
}

}  // namespace gaia::cli
