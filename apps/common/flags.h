// Command-line flags every Gaia app shares (only `main`s include this: flags
// stay at the edge, options structs go inward).
//
//   CLI::App app{"my_app: what it does"};
//   gaia::apps::WorkerFlags common;                  // --gaia-config, --clocks
//   gaia::apps::AddWorkerFlags(app, &common);
//   app.add_option("--rank", rank, "...");           // the app's own flags
//   if (int rc = gaia::apps::ParseFlags(app, argc, argv); rc >= 0) return rc;
//
// Exit codes follow the apps' convention: 0 after --help, 2 for bad flags.
#ifndef GAIA_APPS_COMMON_FLAGS_H_
#define GAIA_APPS_COMMON_FLAGS_H_

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

namespace gaia::apps {

// Exit codes of every app: 0 ok, 1 a runtime error (connection, read,
// update, clock), 2 bad arguments, config, data or table shape.
inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntimeError = 1;
inline constexpr int kExitBadInput = 2;

// The flags of a program started by `gaia launch`.
struct WorkerFlags {
  // The worker config the launcher writes (read by the worker library with
  // gaia::WorkerOptions::FromCommandLine); required.
  std::string gaia_config;
  // Iterations (Clock() calls); the launcher passes the job's app.clocks.
  int64_t clocks = 60;
};

// Adds --gaia-config (required) and --clocks (>= 1; the current value of
// flags->clocks is the default shown) bound to `flags`.
void AddWorkerFlags(CLI::App& app, WorkerFlags* flags);

// Parses argv. On --help prints usage and returns kExitOk; on a bad or
// unknown flag prints the error and returns kExitBadInput; returns -1 when
// the program should go on. Exceptions from CLI11 never escape.
int ParseFlags(CLI::App& app, int argc, char** argv);

}  // namespace gaia::apps

#endif  // GAIA_APPS_COMMON_FLAGS_H_
