// The `--gaia-config` file (docs/WORKER_API.md): the JSON object `gaia launch`
// writes for each worker process and WorkerOptions::FromFile reads. The
// writer lives beside the reader so the two cannot drift apart: every key
// the writer emits is one the reader accepts, and a written file reads back
// as the options it was written from.
//
//   std::string text = WorkerConfigJson(options);              // launcher
//   absl::StatusOr<WorkerOptions> back = ParseWorkerConfig(text, path);
//
// The file is WorkerOptions itself, not a struct of its own: a worker's
// options are what the launcher decides for it.
#ifndef GAIA_SRC_WORKER_WORKER_CONFIG_H_
#define GAIA_SRC_WORKER_WORKER_CONFIG_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "gaia/options.h"

namespace gaia::internal {

// The JSON text of `options`. The keys the launcher always sets (job_id,
// worker_id, dc, data_part, data_parts, data, metrics_path, shard_addresses)
// are always written; the tuning keys only where they differ from
// WorkerOptions' defaults, so a file says what was chosen for this worker.
std::string WorkerConfigJson(const WorkerOptions& options);

// Parses a config file's text. `path` only names the file in errors:
// INVALID_ARGUMENT naming the file and the key.
absl::StatusOr<WorkerOptions> ParseWorkerConfig(std::string_view text, const std::string& path);

}  // namespace gaia::internal

#endif  // GAIA_SRC_WORKER_WORKER_CONFIG_H_
