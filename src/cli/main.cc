// The `gaia` command: launch and validate jobs, run a shard.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "src/cli/commands.h"
#include "src/common/logging.h"

namespace {

// The folder this binary lives in: the launcher finds shards, relays and apps
// beside it.
std::string BinDir(const char* argv0) {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) self = std::filesystem::absolute(argv0, ec);
  return self.parent_path().string();
}

// Every subcommand's flags, filled by parsing.
struct Flags {
  gaia::cli::LaunchFlags launch;
  std::string validate_path;
  gaia::cli::ServerFlags server;
  gaia::cli::FlushFlags flush;
  gaia::cli::WanFlags wan;
  gaia::cli::CostFlags cost;
  gaia::cli::BenchFlags bench;
  gaia::cli::CertsFlags certs;
};

// The subcommands, to tell which one was given.
struct Commands {
  CLI::App* launch_cmd = nullptr;
  CLI::App* validate_cmd = nullptr;
  CLI::App* server_cmd = nullptr;
  CLI::App* flush_cmd = nullptr;
  CLI::App* wan_up = nullptr;
  CLI::App* wan_down = nullptr;
  CLI::App* wan_status = nullptr;
  CLI::App* wan_check = nullptr;
  CLI::App* cost_cmd = nullptr;
  CLI::App* bench_cmd = nullptr;
  CLI::App* certs_cmd = nullptr;
};

void AddLaunchCommands(CLI::App& app, Flags* flags, Commands* commands) {
  gaia::cli::LaunchFlags& launch = flags->launch;
  CLI::App* launch_cmd = commands->launch_cmd = app.add_subcommand(
      "launch", "Run a job: every mode it names, one after the other, on this host");
  launch_cmd->add_option("spec", launch.spec_path, "Job spec (YAML), see docs/JOB_SPEC.md")
      ->required();
  launch_cmd->add_option("--results", launch.results_dir,
                         "Results folder (default: the spec's results_dir)");
  launch_cmd->add_option("--mode", launch.modes,
                         "Run these modes instead of the spec's (lan, baseline, gaia, gaia_async)");
  launch_cmd->add_flag("--quiet", launch.quiet, "No progress lines");

  std::string& validate_path = flags->validate_path;
  CLI::App* validate_cmd = commands->validate_cmd =
      app.add_subcommand("validate", "Check a job spec and show its plan");
  validate_cmd->add_option("spec", validate_path, "Job spec (YAML)")->required();
}

void AddServerCommand(CLI::App& app, Flags* flags, Commands* commands) {
  gaia::cli::ServerFlags& server = flags->server;
  CLI::App* server_cmd = commands->server_cmd = app.add_subcommand(
      "server", "Run one parameter-server shard (the launcher starts these)");
  server_cmd->add_option("--job", server.spec_path, "Job spec (YAML)")->required();
  server_cmd->add_option("--mode", server.mode, "lan|baseline|gaia|gaia_async")->required();
  server_cmd->add_option("--shard", server.shard, "Index of this shard in the mode's plan")
      ->required();
  server_cmd->add_option("--job-id", server.job_id,
                         "Job id workers must present (default: the spec's name)");
  server_cmd->add_option("--listen", server.listen,
                         "host:port; port 0 picks a free one. In gaia modes the mirror "
                         "listens on the same host")
      ->capture_default_str();
  server_cmd->add_option("--local-address", server.local_address,
                         "Also serve workers on this host over a Unix-domain socket: "
                         "unix:<path> or unix-abstract:<name> (the launcher sets it)");
  server_cmd->add_option("--port-file", server.port_file,
                         "Write {\"ports\":[shard port, mirror port]} here once listening");
  server_cmd->add_option("--peers-file", server.peers_file,
                         "gaia modes: peers' mirror addresses, written by the launcher");
  server_cmd->add_option("--tls-cert", server.tls_cert, "Mutual TLS: this host's PEM certificate");
  server_cmd->add_option("--tls-key", server.tls_key, "Mutual TLS: its PEM key (mode 0600)");
  server_cmd->add_option("--tls-ca", server.tls_ca, "Mutual TLS: the job CA's PEM certificate");
  server_cmd->add_option("--tls-token-file", server.tls_token_file,
                         "A file (mode 0600) holding the job token every call must carry");
}

void AddCertsCommand(CLI::App& app, Flags* flags, Commands* commands) {
  gaia::cli::CertsFlags& certs = flags->certs;
  CLI::App* certs_cmd = commands->certs_cmd = app.add_subcommand(
      "certs", "Make a job CA, per-host certificates and a job token (docs/SECURITY.md)");
  certs_cmd->add_option("--out", certs.out_dir, "Folder to create (give it as tls.dir)")
      ->required();
  certs_cmd->add_option("--hosts", certs.hosts, "The job's hosts: IP addresses or DNS names")
      ->required()
      ->delimiter(',');
  certs_cmd->add_option("--days", certs.days, "Validity of every certificate")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

void AddFlushCommand(CLI::App& app, Flags* flags, Commands* commands) {
  gaia::cli::FlushFlags& flush = flags->flush;
  CLI::App* flush_cmd = commands->flush_cmd = app.add_subcommand(
      "flush", "Make a running gaia-mode job send every accumulated update now");
  flush_cmd->add_option("run", flush.run_dir, "The run's results folder (results/<job>/<time>)");
  flush_cmd->add_option("--mirror", flush.addresses, "A mirror address host:port (repeatable)");
  flush_cmd->add_option("--tls-dir", flush.tls_dir,
                        "With --mirror and TLS: a gaia certs folder (a run folder names its own)");
  flush_cmd->add_option("--tls-host", flush.tls_host, "Whose certificate in --tls-dir to use")
      ->capture_default_str();
}

void AddWanCommands(CLI::App& app, Flags* flags, Commands* commands) {
  gaia::cli::WanFlags& wan = flags->wan;
  CLI::App* wan_cmd = app.add_subcommand(
      "wan", "Kernel WAN emulator: one network namespace per DC, shaped by tc (root)");
  wan_cmd->require_subcommand(1);
  CLI::App* wan_up = commands->wan_up = wan_cmd->add_subcommand("up", "Create (or confirm) an emulator");
  CLI::Option* wan_preset =
      wan_up->add_option("--preset", wan.preset, "A shipped link matrix by name");
  wan_up->add_option("--matrix", wan.matrix_path, "A link matrix CSV file")->excludes(wan_preset);
  wan_up->add_option("--dcs", wan.dcs, "DCs to emulate, a,b,... (default: all regions)")
      ->delimiter(',');
  wan_up->add_flag("--symmetric", wan.symmetric, "Use a pair given one way for both ways");
  wan_up->add_option("--subnet", wan.subnet, "IPv4 CIDR (default: a free 10.213.X.0/24, X chosen by the name)");
  CLI::App* wan_down = commands->wan_down = wan_cmd->add_subcommand("down", "Remove an emulator and all it made");
  CLI::Option* wan_all = wan_down->add_flag("--all", wan.all, "Every emulator");
  commands->wan_status = wan_cmd->add_subcommand("status", "List emulators and their DCs");
  CLI::App* wan_check = commands->wan_check =
      wan_cmd->add_subcommand("check", "Measure bandwidth and delay of every emulated link");
  wan_check->add_option("--seconds", wan.seconds, "Measuring time per link")
      ->capture_default_str();
  for (CLI::App* sub : {wan_up, wan_down, wan_check}) {
    CLI::Option* name =
        sub->add_option("--name", wan.name, "Emulator name, [a-z0-9]{1,8}")->capture_default_str();
    if (sub == wan_down) name->excludes(wan_all);
  }
}

void AddCostCommand(CLI::App& app, Flags* flags, Commands* commands) {
  gaia::cli::CostFlags& cost = flags->cost;
  CLI::App* cost_cmd = commands->cost_cmd = app.add_subcommand(
      "cost", "Price a finished run on EC2 (thesis Tables 5.1, 5.2), see docs/COST.md");
  cost_cmd->add_option("run", cost.run_dir, "The run's results folder (results/<job>/<time>)")
      ->required();
  cost_cmd->add_option("--prices", cost.prices_path,
                       "Price table CSV (default: the shipped ec2-2017.csv)");
  cost_cmd->add_option("--region", cost.regions, "Price DC as region: dc=region (repeatable)");
  cost_cmd->add_flag("--json", cost.json, "Print JSON instead of a table");
}

void AddBenchCommand(CLI::App& app, Flags* flags, Commands* commands) {
  gaia::cli::BenchFlags& bench = flags->bench;
  CLI::App* bench_cmd = commands->bench_cmd = app.add_subcommand(
      "bench", "Run a job in every mode, setting and model; one table and plots (docs/BENCH.md)");
  bench_cmd->add_option("spec", bench.spec_path, "Job spec (YAML) with 2 DCs, or 11 for ec2-11")
      ->required();
  bench_cmd->add_option("--modes", bench.modes, "a,b,... (default: lan,baseline,gaia,gaia_async)")
      ->delimiter(',');
  bench_cmd->add_option("--models", bench.models, "bsp,ssp (default: both)")->delimiter(',');
  bench_cmd->add_option("--settings", bench.settings, "vc,ss,ec2-11 (default: vc,ss)")
      ->delimiter(',');
  bench_cmd->add_option("--repeat", bench.repeat, "Runs of each setting and model (median)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  bench_cmd->add_option("--out", bench.out_dir,
                        "Results folder, new or empty (default: results/bench/<job>/<time>)");
  bench_cmd->add_option("--emulate", bench.emulate, "WAN emulator: proxy|netns")
      ->check(CLI::IsMember({"proxy", "netns"}))
      ->capture_default_str();
  bench_cmd->add_option("--bandwidth-scale", bench.bandwidth_scale,
                        "Multiplies the presets' real-world Mbit/s")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  bench_cmd->add_option("--staleness", bench.staleness,
                        "SSP staleness (default: the spec's if ssp, else 2)")
      ->check(CLI::Range(0, 1000));
  bench_cmd->add_option("--clocks", bench.clocks, "Clocks per worker (default: the spec's)")
      ->check(CLI::PositiveNumber);
}

int Run(const Flags& flags, const Commands& c, const char* argv0) {
  if (*c.launch_cmd) return gaia::cli::LaunchCommand(flags.launch, BinDir(argv0));
  if (*c.validate_cmd) return gaia::cli::ValidateCommand(flags.validate_path);
  if (*c.server_cmd) return gaia::cli::ServerCommand(flags.server);
  if (*c.flush_cmd) return gaia::cli::FlushCommand(flags.flush);
  if (*c.wan_up) return gaia::cli::WanUpCommand(flags.wan);
  if (*c.wan_down) return gaia::cli::WanDownCommand(flags.wan);
  if (*c.wan_status) return gaia::cli::WanStatusCommand();
  if (*c.wan_check) return gaia::cli::WanCheckCommand(flags.wan);
  if (*c.cost_cmd) return gaia::cli::CostCommand(flags.cost);
  if (*c.bench_cmd) return gaia::cli::BenchCommand(flags.bench, BinDir(argv0));
  if (*c.certs_cmd) return gaia::cli::CertsCommand(flags.certs);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gaia: geo-distributed parameter server", "gaia"};
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off")
      ->capture_default_str();
  Flags flags;
  Commands commands;
  AddLaunchCommands(app, &flags, &commands);
  AddServerCommand(app, &flags, &commands);
  AddFlushCommand(app, &flags, &commands);
  AddWanCommands(app, &flags, &commands);
  AddCostCommand(app, &flags, &commands);
  AddBenchCommand(app, &flags, &commands);
  AddCertsCommand(app, &flags, &commands);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every flag error exits 2 (README).
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  gaia::common::SetUpLogging(log_level);
  return Run(flags, commands, argv[0]);
}
