// The job spec: what `gaia launch job.yaml` runs (DESIGN.md §7).
//
// Every field has an in-class default that is also its documented default in
// docs/JOB_SPEC.md. ParseJobSpec() rejects unknown and malformed fields with
// "file:line: field: reason"; on error nothing is returned.
//
// Example:
//   absl::StatusOr<JobSpec> spec = ParseJobSpecFile("examples/mf-2dc.yaml");
//   if (!spec.ok()) { std::cerr << spec.status().message(); return 2; }
#ifndef GAIA_SRC_COMMON_JOB_SPEC_H_
#define GAIA_SRC_COMMON_JOB_SPEC_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace gaia::common {

// DESIGN.md §4.3.
enum class Mode { kLan, kBaseline, kGaia, kGaiaAsync };
// DESIGN.md §4.1: BSP is SSP with staleness 0.
enum class ConsistencyModel { kBsp, kSsp };
enum class InitKind { kZeros, kUniform, kNormal };
enum class WanEmulation { kNone, kProxy, kNetns };
// `tls.enabled`: auto = on exactly when the job spans hosts (JobSpansHosts).
enum class TlsMode { kAuto, kOn, kOff };
// How the significance filter sends a significant value over the WAN
// (src/significance/emission.h).
enum class AspValues { kFloat32, kBinary16, kTernary };

enum class AspGoal { kSpeed, kCost };
enum class ThresholdDecay { kNone, kInverseSqrt, kLearningRate, kAuto };

const char* ModeName(Mode mode);                     // "lan", "baseline", ...
const char* TlsModeName(TlsMode mode);               // "auto", "true", "false"
absl::StatusOr<Mode> ParseMode(const std::string& name);

struct TableSpec {
  std::string name;        // required, unique, [A-Za-z0-9_-]+
  uint64_t rows = 0;       // required, > 0; valid row ids are [0, rows)
  uint32_t width = 0;      // required, > 0; floats per row
  InitKind init = InitKind::kZeros;
  double init_low = -0.1;  // uniform: [low, high)
  double init_high = 0.1;
  double init_mean = 0.0;  // normal
  double init_stddev = 0.1;
  uint64_t init_seed = 1;  // same seed => same initial table in every DC
  // A table of whole-number counts (LDA): shards refuse pushes whose values
  // are not whole or that would take an element beyond +-kMaxCount
  // (docs/ARCHITECTURE.md "Integer counts"). Needs init zeros; refuses
  // asp.values ternary.
  bool counts = false;
};

// The largest magnitude of an element of a counts table: float32 holds every
// whole number up to 2^24 exactly.
inline constexpr float kMaxCount = 16777216.0f;

// One machine of a DC (docs/JOB_SPEC.md "hosts"; docs/MULTI_HOST.md).
struct HostSpec {
  std::string address;    // required: how the launcher and the other hosts reach it
  std::string ssh_user;   // "" = the launcher's user
  uint32_t ssh_port = 22;
  // Per-host role counts. Either every host of a DC gives one (and they sum
  // to the DC's count) or none does: the DC's processes are then dealt out
  // round-robin over its hosts.
  std::optional<uint32_t> shards;
  std::optional<uint32_t> workers;
};

struct DcSpec {
  std::string name;        // required, unique, [A-Za-z0-9_-]+
  uint32_t shards = 1;     // parameter-server shards in this DC, >= 1
  uint32_t workers = 1;    // worker processes in this DC, >= 1
  std::string data;        // this DC's data shard, handed to its workers as
                           // --data=<value>; "" = the app's own default
                           // (e.g. synthetic data for apps/mf)
  // The DC's machines, from dcs[].hosts or the inventory; empty = every
  // process on the launcher's host.
  std::vector<HostSpec> hosts;
};

struct ConsistencySpec {
  ConsistencyModel model = ConsistencyModel::kBsp;
  int32_t staleness = 0;   // ssp only; bsp forces 0. 0 <= staleness <= 1000
};

// ASP between DCs (modes gaia, gaia_async). Parsed and validated now; used by
// the mirror (DESIGN.md §4.2).
struct AspSpec {
  std::string significance = "relative";  // relative|absolute|row_relative|<registered name>
  double threshold = 0.01;                 // initial hard threshold v0, > 0
  ThresholdDecay decay = ThresholdDecay::kAuto;
  double value_floor = 1e-3;               // relative: |acc| / max(|value|, floor)
  AspGoal goal = AspGoal::kSpeed;
  int32_t ds = 2;                          // mirror-clock bound, 1..1000 (1: lockstep)
  bool barriers = true;
  double barrier_backlog_ms = 100;         // barrier when a link's backlog exceeds this
  AspValues values = AspValues::kBinary16; // how significant values are sent (+ error feedback)
  std::vector<std::string> plugins;        // shared libraries with significance functions;
                                           // relative paths are from the spec's folder
};

struct OverlayGroupSpec {
  std::string name;
  std::vector<std::string> dcs;            // DC names, each in exactly one group
  std::map<std::string, std::string> hubs; // destination group -> hub DC (in this group)
};

struct WanSpec {
  WanEmulation emulate = WanEmulation::kNone;
  std::string preset;        // a preset name (tools/wan_emulator/presets) or ""
  std::string matrix;        // a CSV path, or ""; preset and matrix are exclusive
  double bandwidth_mbps = 100.0;  // every directed link when neither is given
  double delay_ms = 0.0;          // one-way, every link when neither is given
  bool symmetric = false;         // matrix: a pair given one way also gets the reverse
  double bandwidth_scale = 1.0;   // multiplies every bandwidth of preset/matrix, > 0
};

struct TlsSpec {
  TlsMode enabled = TlsMode::kAuto;
  std::string dir;   // material from `gaia certs` (ca.crt, <host>.crt/.key, token)
  std::string cert;  // or the user's own PEM files: all three or none, not with dir
  std::string key;
  std::string ca;
};

// How the launcher reaches other hosts (docs/MULTI_HOST.md).
struct SshSpec {
  std::string identity_file;         // "" = ssh's own default
  std::string known_hosts;           // "" = ssh's own; StrictHostKeyChecking stays on
  std::vector<std::string> options;  // extra ssh/scp arguments, before the host
  std::string remote_dir = "/tmp/gaia";  // a run lands in <remote_dir>/<job>/<run>/
};

struct CheckpointSpec {
  uint32_t every_clocks = 0;  // 0 = never
  std::string dir;            // "" = <results run dir>/checkpoints
  bool save_final = false;    // save every table from every DC at the end
};

struct AppSpec {
  std::string program;        // required; a path, or a name looked up beside
                              // the gaia binary, then on PATH
  std::vector<std::pair<std::string, std::string>> args;  // passed as --key=value, in order
  uint32_t clocks = 100;      // iterations each worker runs (--clocks=N), >= 1
};

struct JobSpec {
  std::string source;              // file the spec came from ("" if a string)
  std::string name;                // required, [A-Za-z0-9_.-]+
  std::vector<Mode> modes = {Mode::kGaia};  // `mode:` a name or a list; run in order
  AppSpec app;
  std::vector<TableSpec> tables;   // required, >= 1; table id = index
  std::vector<DcSpec> dcs;         // required, >= 1
  ConsistencySpec consistency;
  AspSpec asp;
  std::vector<OverlayGroupSpec> overlay;  // empty = one group, full broadcast
  WanSpec wan;
  TlsSpec tls;
  std::string inventory;           // the inventory file read into dcs[].hosts, or ""
  SshSpec ssh;
  CheckpointSpec checkpoint;
  std::string results_dir = "results";  // runs go to <results_dir>/<name>/<timestamp>/
  double timeout_s = 3600;         // whole-job wall clock limit, > 0
  double convergence_window = 10;  // clocks; DESIGN.md §8
  double convergence_tolerance = 0.02;
};

// Whether the job's links use mutual TLS and the job token: tls.enabled,
// with auto resolved by JobSpansHosts.
bool TlsOn(const JobSpec& spec);

// Parses and validates. `source` names the text in error messages.
absl::StatusOr<JobSpec> ParseJobSpec(const std::string& yaml_text,
                                     const std::string& source);
absl::StatusOr<JobSpec> ParseJobSpecFile(const std::string& path);

// Whether an address names the launcher's own machine: loopback, "localhost",
// or an address of an interface in the calling thread's network namespace.
bool IsLocalAddress(const std::string& address);
// Whether any DC lists a host that is not the launcher's own
// (IsLocalAddress): the job then runs processes over SSH.
bool JobSpansHosts(const JobSpec& spec);

}  // namespace gaia::common

#endif  // GAIA_SRC_COMMON_JOB_SPEC_H_
