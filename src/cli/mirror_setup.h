// Builds a shard's ASP mirror from the job spec (modes gaia, gaia_async).
#ifndef GAIA_SRC_CLI_MIRROR_SETUP_H_
#define GAIA_SRC_CLI_MIRROR_SETUP_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "src/common/job_spec.h"
#include "src/common/topology.h"
#include "src/mirror/mirror_options.h"
#include "src/significance/registry.h"

namespace gaia::cli {

// The significance functions a job may name: built-ins plus its
// asp.plugins (paths relative to the spec file's folder). NOT_FOUND naming
// the plugin or function on error.
absl::StatusOr<std::unique_ptr<significance::Registry>> LoadSignificance(
    const common::JobSpec& spec);

// Mirror options for shard `shard_index` of `topo` (a gaia or gaia_async
// plan). `registry` must outlive the mirror.
absl::StatusOr<mirror::MirrorOptions> MirrorOptionsFor(const common::JobSpec& spec,
                                                       const common::Topology& topo,
                                                       uint32_t shard_index,
                                                       const std::string& job_id,
                                                       const significance::Registry& registry);

// Reads a peers file: {"peers": {"<dc index>": "host:port", ...}}.
// UNAVAILABLE while it does not exist yet, INVALID_ARGUMENT if malformed.
absl::StatusOr<std::map<uint32_t, std::string>> ReadPeersFile(const std::string& path);

}  // namespace gaia::cli

#endif  // GAIA_SRC_CLI_MIRROR_SETUP_H_
