// gaia-wan-relay: runs a WAN-shaping TCP relay from a JSON config.
//
//   gaia-wan-relay --config relay.json [--log_level info] [--log_file path]
//
// Writes port_file once all routes are bound, rewrites stats_file every
// stats_interval_ms, and exits 0 on SIGTERM/SIGINT after a final stats
// write. SIGHUP re-reads the config and applies each link's bandwidth and
// delay (routes cannot change at runtime). Exit 2: bad config; 1: runtime
// failure (e.g. a listen address that cannot be bound).
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <string>

#include <CLI/CLI.hpp>

#include "src/common/logging.h"
#include "src/wan/relay.h"
#include "src/common/data_files.h"
#include "src/wan/relay_config.h"

namespace {

using gaia::wan::RelayConfig;

void WriteStats(const RelayConfig& config, const gaia::wan::Relay& relay,
                std::chrono::steady_clock::time_point start) {
  if (config.stats_file.empty()) return;
  const double time_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double unix_s =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  if (absl::Status s = gaia::common::WriteFileAtomically(
          config.stats_file, gaia::wan::StatsToJson(time_s, unix_s, relay.Stats()));
      !s.ok()) {
    gaia::common::Logger("wan")->warn("stats_file: {}", std::string(s.message()));
  }
}

void Reload(const std::string& path, gaia::wan::Relay& relay) {
  auto log = gaia::common::Logger("wan");
  auto config = gaia::wan::LoadRelayConfig(path);
  if (!config.ok()) {
    log->error("SIGHUP: config not reloaded: {}", std::string(config.status().message()));
    return;
  }
  for (const auto& link : config->relay.links) {
    if (absl::Status s = relay.SetLink(link.name, link.bandwidth_mbps, link.delay_ms);
        !s.ok()) {
      log->error("SIGHUP: {}", std::string(s.message()));
    }
  }
}

int Run(const std::string& config_path) {
  auto log = gaia::common::Logger("wan");
  auto config = gaia::wan::LoadRelayConfig(config_path);
  if (!config.ok()) {
    log->error("bad config: {}", std::string(config.status().message()));
    return 2;
  }
  // Block the signals before any thread starts, then wait for them here.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  gaia::wan::Relay relay(config->relay);
  if (absl::Status s = relay.Start(); !s.ok()) {
    log->error("cannot start relay: {}", std::string(s.message()));
    return absl::IsInvalidArgument(s) ? 2 : 1;
  }
  const auto start = std::chrono::steady_clock::now();
  if (!config->port_file.empty()) {
    if (absl::Status s = gaia::common::WriteFileAtomically(
            config->port_file, gaia::wan::PortsToJson(relay.ports()));
        !s.ok()) {
      log->error("port_file: {}", std::string(s.message()));
      return 1;
    }
  }
  WriteStats(*config, relay, start);

  const int interval_ms = config->stats_interval_ms;
  const timespec wait{.tv_sec = interval_ms / 1000,
                      .tv_nsec = static_cast<long>(interval_ms % 1000) * 1000000L};
  auto next_stats = std::chrono::steady_clock::now() + std::chrono::milliseconds(interval_ms);
  while (true) {
    const int sig = sigtimedwait(&signals, nullptr, &wait);
    if (sig == SIGTERM || sig == SIGINT) {
      log->info("signal {}: stopping", sig);
      break;
    }
    if (sig == SIGHUP) {
      log->info("SIGHUP: reloading link settings from {}", config_path);
      Reload(config_path, relay);
    }
    if (std::chrono::steady_clock::now() >= next_stats) {
      WriteStats(*config, relay, start);
      next_stats += std::chrono::milliseconds(interval_ms);
      // After a long stall, do not try to catch up with missed writes.
      if (next_stats < std::chrono::steady_clock::now()) {
        next_stats = std::chrono::steady_clock::now() + std::chrono::milliseconds(interval_ms);
      }
    }
  }
  relay.Stop();
  WriteStats(*config, relay, start);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gaia-wan-relay: TCP relay that emulates WAN links (bandwidth, delay)"};
  std::string config_path;
  std::string log_level = "info";
  std::string log_file;
  app.add_option("--config", config_path, "relay JSON config (see docs/WAN_EMULATOR.md)")
      ->required();
  app.add_option("--log_level", log_level, "trace|debug|info|warn|error|off");
  app.add_option("--log_file", log_file, "also log to this file");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  gaia::common::SetUpLogging(log_level, log_file);
  return Run(config_path);
}
