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
  // Also serve same-host workers on this Unix socket (empty: TCP only).
  std::string local_address;
  std::string port_file;    // written (atomically) once listening
  // gaia modes: where the launcher writes the peers' mirror addresses
  // ({"peers": {"<dc>": "host:port"}}); read once it appears.
  std::string peers_file;
  // Mutual TLS and the job token (docs/SECURITY.md): PEM files and the file
  // holding the token (never the token: command lines are public). All
  // empty = plaintext.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  std::string tls_token_file;
};
int ServerCommand(const ServerFlags& flags);

// `gaia certs`: a job CA, per-host certificates and a job token.
struct CertsFlags {
  std::string out_dir;
  std::vector<std::string> hosts;  // addresses or DNS names
  int days = 365;
};
int CertsCommand(const CertsFlags& flags);

struct FlushFlags {
  std::string run_dir;                 // results/<job>/<timestamp> of a running job
  std::vector<std::string> addresses;  // or mirror addresses directly
  // With --mirror and TLS: this host's files (a run folder names its own).
  std::string tls_dir;                 // a `gaia certs` folder
  std::string tls_host = "127.0.0.1";  // whose certificate in it to use
};
int FlushCommand(const FlushFlags& flags);

// `gaia wan ...`: the kernel WAN emulator (docs/WAN_KERNEL.md).
struct WanFlags {
  std::string preset;                // up: a shipped link matrix ...
  std::string matrix_path;           // ... or a CSV file (exactly one)
  std::vector<std::string> dcs;      // up: the DCs to emulate (default: all regions)
  bool symmetric = false;            // up: a pair given one way is used both ways
  std::string name = "gaia";         // instance name, [a-z0-9]{1,8}
  std::string subnet;                // up: IPv4 CIDR; empty = first free 10.213.X.0/24
  bool all = false;                  // down: every instance
  double seconds = 2;                // check: measuring time per link
};
int WanUpCommand(const WanFlags& flags);
int WanDownCommand(const WanFlags& flags);
int WanStatusCommand();
int WanCheckCommand(const WanFlags& flags);

// `gaia cost <run dir>`: price a finished run on EC2 (docs/COST.md).
struct CostFlags {
  std::string run_dir;               // results/<job>/<time>
  std::string prices_path;           // a price table CSV; "" = the shipped ec2-2017.csv
  std::vector<std::string> regions;  // dc=region overrides
  bool json = false;                 // print JSON instead of a table
};
int CostCommand(const CostFlags& flags);

// `gaia bench <spec>`: the thesis comparison grid (docs/BENCH.md).
struct BenchFlags {
  std::string spec_path;
  std::vector<std::string> modes;     // empty = lan, baseline, gaia, gaia_async
  std::vector<std::string> models;    // empty = bsp, ssp
  std::vector<std::string> settings;  // empty = vc, ss
  uint32_t repeat = 1;                // runs per setting and model
  std::string out_dir;                // "" = results/bench/<job>/<timestamp>
  std::string emulate = "proxy";      // proxy | netns
  double bandwidth_scale = 0.13;      // times the presets' real-world Mbit/s
  int32_t staleness = -1;             // ssp; -1 = the spec's if ssp, else 2
  uint32_t clocks = 0;                // app.clocks; 0 = the spec's
};
int BenchCommand(const BenchFlags& flags, const std::string& bin_dir);

}  // namespace gaia::cli

#endif  // GAIA_SRC_CLI_COMMANDS_H_
