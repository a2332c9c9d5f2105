// ModeRun: driving the phases, setting up, and the orderly stop.
#include "src/cli/mode_run.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <system_error>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "proto/gaia.grpc.pb.h"
#include "src/cli/convergence.h"
#include "src/cli/wan_links.h"
#include "src/common/logging.h"
#include "src/common/process_memory.h"
#include "src/common/rpc_options.h"
#include "src/wan/system_tools.h"

namespace gaia::cli {
namespace {

// A shard's peak resident memory: a local child's VmHWM; on another host,
// where the local PID is its ssh's, what the shard reports in Control.Status
// (0 if it does not answer in time).
uint64_t ShardPeakRss(const ChildProcess& shard, const std::string& address,
                      const common::LinkSecurity& security) {
  if (shard.host().empty()) return common::PeakResidentSetBytes(shard.pid());
  auto stub = rpc::Control::NewStub(
      security.Channel(address, common::ClientChannelArguments(common::ServerKind::kShard)));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  rpc::StatusReply reply;
  if (!stub->Status(&context, rpc::StatusRequest(), &reply).ok()) return 0;
  return reply.peak_rss_bytes();
}

}  // namespace

namespace fs = std::filesystem;
using common::Mode;

namespace {

constexpr auto kTerminateGrace = std::chrono::milliseconds(3000);

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

void ModeRun::Children::TerminateAll() {
  for (auto& w : workers) w->Terminate(kTerminateGrace);
  for (auto& r : relays) r->Terminate(kTerminateGrace);
  for (auto& s : shards) s->Terminate(kTerminateGrace);
}

ModeRun::ModeRun(const RunOptions& options)
    : options_(options),
      spec_(options.spec),
      mode_name_(common::ModeName(options.mode)),
      layout_(options.run_dir) {}

absl::StatusOr<RunResult> ModeRun::Run() {
  using Phase = absl::Status (ModeRun::*)();
  static constexpr Phase kPhases[] = {
      &ModeRun::Prepare,
      &ModeRun::StartKernelWan,
      &ModeRun::Place,
      &ModeRun::PrepareHosts,
      &ModeRun::StartShards,
      &ModeRun::StartRelays,
      &ModeRun::ConnectMirrors,
      &ModeRun::StartWorkers,
      &ModeRun::Supervise,
      &ModeRun::AwaitMirrorsSettled,
      &ModeRun::FetchAndCompareModels,
      &ModeRun::Stop,
  };
  for (Phase phase : kPhases) {
    if (absl::Status status = (this->*phase)(); !status.ok()) {
      children_.TerminateAll();
      absl::Status left = CheckNothingLeft();
      CloseHostConnections();
      if (!left.ok()) {
        return absl::Status(status.code(), absl::StrCat(status.message(), "\n", left.message()));
      }
      return status;
    }
  }
  absl::Status left = CheckNothingLeft();
  CloseHostConnections();
  if (!left.ok()) return left;
  return std::move(result_);
}

bool ModeRun::gaia_mode() const {
  return options_.mode == Mode::kGaia || options_.mode == Mode::kGaiaAsync;
}

double ModeRun::SecondsSinceStart() const {
  return std::chrono::duration<double>(Clock::now() - t0_).count();
}

absl::Status ModeRun::Prepare() {
  if (absl::Status supported = CheckSupported(spec_, options_.mode); !supported.ok()) {
    return supported;
  }
  absl::StatusOr<common::Topology> topo = common::PlanTopology(spec_, options_.mode);
  if (!topo.ok()) return topo.status();
  topo_ = std::move(*topo);
  absl::StatusOr<std::string> program = ResolveProgram(spec_.app.program, options_.bin_dir);
  if (!program.ok()) return program.status();
  program_ = std::move(*program);
  if (common::TlsOn(spec_) && options_.tls.empty()) {
    return absl::FailedPreconditionError("tls: on, but the launcher prepared no material");
  }
  absl::StatusOr<std::shared_ptr<const common::LinkSecurity>> security =
      common::LinkSecurity::Load(options_.tls);
  if (!security.ok()) return security.status();
  security_ = std::move(*security);

  std::error_code ec;
  fs::create_directories(layout_.logs_dir(mode_name_), ec);
  fs::create_directories(layout_.work_dir(mode_name_), ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot create ", layout_.work_dir(mode_name_), ": ", ec.message()));
  }
  t0_ = Clock::now();
  start_unix_s_ = UnixNow();
  result_.mode = options_.mode;
  return absl::OkStatus();
}

absl::Status ModeRun::StartKernelWan() {
  const bool emulate_wan = spec_.wan.emulate != common::WanEmulation::kNone &&
                           options_.mode != Mode::kLan && topo_.host_dcs.size() > 1;
  if (!emulate_wan) return absl::OkStatus();
  absl::StatusOr<wan::LinkMatrix> links = ResolveWanLinks(spec_, topo_.host_dcs);
  if (!links.ok()) return links.status();
  links_ = std::move(*links);
  if (spec_.wan.emulate != common::WanEmulation::kNetns) return absl::OkStatus();
  if (absl::Status st = kernel_wan_.Start(links_, topo_.host_dcs); !st.ok()) return st;
  const wan::NetnsPlan& plan = kernel_wan_.plan();
  common::Logger("launcher")
      ->info("{}: kernel WAN emulator {} up ({} DCs, subnet {}, delay {})", mode_name_, plan.name,
             topo_.host_dcs.size(), plan.subnet,
             plan.kernel_delay ? "netem" : "in per-DC relays (no netem)");
  return absl::OkStatus();
}

absl::Status ModeRun::Place() {
  PlacementOptions options;
  options.socket_prefix = absl::StrCat("gaia-", getpid());
  options.job_id = options_.job_id;
  if (security_->tls()) {
    absl::StatusOr<std::unique_ptr<PrivateDir>> dir = PrivateDir::Create("gaia-sockets");
    if (!dir.ok()) return dir.status();
    socket_dir_ = std::move(*dir);
    options.socket_dir = socket_dir_->path();
  }
  placement_ = PlaceProcesses(spec_, topo_, kernel_wan_.plan_or_null(), options);
  return absl::OkStatus();
}

absl::Status ModeRun::Spawn(const std::string& label, const Location& where,
                            std::vector<std::string> argv, const std::string& log,
                            std::vector<std::unique_ptr<ChildProcess>>* into) {
  if (!where.host.empty()) {
    const HostSession& host = hosts_.at(where.host);
    auto binary = host.binaries.find(argv[0]);
    if (binary == host.binaries.end()) {
      return absl::InternalError(absl::StrCat(argv[0], " was not installed on ", where.host));
    }
    argv[0] = binary->second;
    absl::StatusOr<std::unique_ptr<ChildProcess>> child = RemoteProcess::Spawn(
        absl::StrCat(label, " on host ", where.host), remote_paths_.ArgvToRemote(std::move(argv)),
        log, host.access, remote_paths_);
    if (!child.ok()) return child.status();
    into->push_back(std::move(*child));
    return absl::OkStatus();
  }
  const std::string ip_tool = where.netns.empty() ? std::string() : wan::FindTool("ip");
  absl::StatusOr<std::vector<std::string>> command = CommandAt(where, std::move(argv), ip_tool);
  if (!command.ok()) return command.status();
  absl::StatusOr<std::unique_ptr<ChildProcess>> child = ChildProcess::Spawn(label, *command, log);
  if (!child.ok()) return child.status();
  into->push_back(std::move(*child));
  return absl::OkStatus();
}

// Relays first: they write their final stats on SIGTERM. Then shards.
absl::Status ModeRun::Stop() {
  auto log = common::Logger("launcher");
  if (!children_.relays.empty()) {
    for (auto& relay : children_.relays) {
      auto exit = relay->Terminate(kTerminateGrace);
      if (exit.exit_code != 0 && exit.exit_code != 128 + SIGTERM) {
        log->warn("{} {} at shutdown", relay->label(), exit.description);
      }
    }
    RelayStats stats = ReadRelayStats(relay_plans_);
    result_.wan_bytes = stats.total_bytes;
    for (const auto& [name, bytes] : stats.links) result_.wan_links.push_back({name, bytes});
  } else if (result_.mirror) {
    // No relay: the mirrors' own count of what crossed between DCs.
    result_.wan_bytes = result_.mirror->bytes();
    for (const auto& [key, link] : result_.mirror->links) {
      result_.wan_links.push_back(
          {absl::StrCat(topo_.host_dcs[key.first], "->", topo_.host_dcs[key.second]), link.bytes});
    }
  }
  for (uint32_t s = 0; s < children_.shards.size(); ++s) {
    result_.shard_peak_rss_bytes.push_back(
        ShardPeakRss(*children_.shards[s], LauncherAddress(placement_, s, shard_ports_[s]),
                     *security_));
  }
  for (auto& shard : children_.shards) {
    auto exit = shard->Terminate(kTerminateGrace);
    if (exit.exit_code != 0) log->warn("{} {} at shutdown", shard->label(), exit.description);
  }
  result_.elapsed_s = SecondsSinceStart();
  metrics_->Poll();
  result_.series = metrics_->objective_series();
  result_.held_out_name = metrics_->held_out_name();
  result_.held_out_series = metrics_->held_out_series();
  result_.rows_pushed = metrics_->total_rows_pushed();
  result_.convergence = FindConvergence(result_.series, static_cast<int>(spec_.convergence_window),
                                        spec_.convergence_tolerance);
  return absl::OkStatus();
}

}  // namespace gaia::cli
