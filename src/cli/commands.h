// The `gaia` subcommands. Each returns the process exit code:
// 0 success, 1 runtime failure, 2 bad input (spec, flags), 130 interrupted.
#ifndef GAIA_SRC_CLI_COMMANDS_H_
#define GAIA_SRC_CLI_COMMANDS_H_

#include <string>
#include <vector>

namespace gaia::cli {

struct LaunchFlags {
  std::string spec_path;
  std::string results_dir;           // overrides the spec's results_dir if set
  std::vector<std::string> modes;    // overrides the spec's mode list if set
  bool quiet = false;
};
int LaunchCommand(const LaunchFlags& flags, const std::string& bin_dir);

int ValidateCommand(const std::string& spec_path);

struct ServerFlags {
  std::string spec_path;
  std::string mode;
  uint32_t shard = 0;       // index into the mode's topology shards
  std::string job_id;
  std::string listen = "127.0.0.1:0";
  std::string port_file;    // written (atomically) once listening
  // gaia modes: where the launcher writes the peers' mirror addresses
  // ({"peers": {"<dc>": "host:port"}}); read once it appears.
  std::string peers_file;
};
int ServerCommand(const ServerFlags& flags);

struct FlushFlags {
  std::string run_dir;                 // results/<job>/<timestamp> of a running job
  std::vector<std::string> addresses;  // or mirror addresses directly
};
int FlushCommand(const FlushFlags& flags);

}  // namespace gaia::cli

#endif  // GAIA_SRC_CLI_COMMANDS_H_
