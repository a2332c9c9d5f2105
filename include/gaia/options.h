// Options for connecting a worker to a Gaia job.
//
// A program started by `gaia launch` gets its options from the launcher:
//
//   absl::StatusOr<gaia::WorkerOptions> options =
//       gaia::WorkerOptions::FromCommandLine(argc, argv);
//
// which reads the `--gaia-config=<file>` flag the launcher passes (a JSON file
// the launcher writes; see docs/WORKER_API.md). Tests and embedders fill the
// struct directly.
#ifndef GAIA_INCLUDE_GAIA_OPTIONS_H_
#define GAIA_INCLUDE_GAIA_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace gaia {

struct WorkerOptions {
  // Job id; every shard rejects a worker whose job id differs.
  std::string job_id;

  // This worker's index in [0, num_workers) of its shards' clock group.
  uint32_t worker_id = 0;

  // Every shard the worker talks to, in partition order: row r of table t
  // lives on shard_addresses[ShardOf(t, r, size)]. "host:port" (TCP), or
  // "unix-abstract:<name>" / "unix:<path>" for a shard on this host that
  // serves a Unix-domain socket (faster for bulk transfers).
  std::vector<std::string> shard_addresses;

  // Name of this worker's DC (for logs and metrics only).
  std::string dc;

  // This worker's part of its DC's data: part `data_part` of `data_parts`,
  // and the DC's data source ("" = app default). Apps read only this part.
  uint32_t data_part = 0;
  uint32_t data_parts = 1;
  std::string data;

  // This worker's index among every worker of the job, over all DCs and in
  // every mode: for work to be done exactly once per job whichever DC does
  // it (e.g. apps/lda scores each word's term of the log-likelihood on the
  // worker with index word % job_workers).
  uint32_t job_worker = 0;
  uint32_t job_workers = 1;

  // A directory private to this run and to this worker's data DC, which the
  // launcher creates empty and every worker with the same DC data shares
  // (they are ranked by data_part of data_parts): for apps whose workers of
  // one DC coordinate among themselves (apps/cnn sums their updates before
  // pushing). Empty when none was given.
  std::string dc_dir;

  // If not empty, Clock() appends one JSON line of metrics per clock here
  // (the launcher tails it for progress and metrics.jsonl).
  std::string metrics_path;

  // Deadline for connecting to every shard at start-up.
  int64_t connect_timeout_ms = 30000;

  // How long one read may wait (SSP/BSP blocking included) before it fails
  // with DEADLINE_EXCEEDED. Long enough for the slowest expected straggler.
  int64_t read_timeout_ms = 600000;

  // Pushes, and the reads of one GetMany, are split into messages of at most
  // this many value bytes. Larger messages amortize per-message cost; smaller
  // ones pipeline: the shard applies one while the next is on the wire
  // (1 MiB pushed 1000 x 1024-float rows ~20-30% faster than 4 or 8 MiB,
  // docs/PERFORMANCE.md).
  int64_t max_batch_bytes = 1 << 20;

  // Serve reads from the SSP-consistent row cache when a cached copy is fresh
  // enough (DESIGN.md §4.1). Off = every read goes to the shard.
  bool enable_cache = true;

  // Mutual TLS and the job token (docs/SECURITY.md): PEM files of this
  // host's certificate and key and of the job's CA, and a file holding the
  // job token (a file, never the token itself: configs and command lines are
  // readable by others). All empty = plaintext; otherwise all four are
  // required, and the key and token files must be private (mode 0600).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_ca_file;
  std::string tls_token_file;

  // Reads the launcher's --gaia-config=<file> flag. Other flags are ignored
  // (they belong to the app).
  static absl::StatusOr<WorkerOptions> FromCommandLine(int argc,
                                                       const char* const* argv);
  // Reads the JSON file the launcher writes.
  static absl::StatusOr<WorkerOptions> FromFile(const std::string& path);
};

}  // namespace gaia

#endif  // GAIA_INCLUDE_GAIA_OPTIONS_H_
