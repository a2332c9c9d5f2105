// The emulated WAN between a run's DCs as one link matrix: wan.preset or
// wan.matrix (bandwidths times wan.bandwidth_scale), or wan.bandwidth_mbps and
// wan.delay_ms on every directed link. Both WAN backends (the proxy relay and
// the kernel namespaces) shape from it.
#ifndef GAIA_SRC_CLI_WAN_LINKS_H_
#define GAIA_SRC_CLI_WAN_LINKS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/common/job_spec.h"
#include "src/wan/link_matrix.h"

namespace gaia::cli {

// Every directed pair of `dcs` is in the result (regions = `dcs`, in order).
// Errors name the spec field: an unknown preset, an unreadable or malformed
// matrix file (with its line), a DC the matrix lacks.
absl::StatusOr<wan::LinkMatrix> ResolveWanLinks(const common::JobSpec& spec,
                                                const std::vector<std::string>& dcs);

// The spec's DC names, in spec order.
std::vector<std::string> DcNames(const common::JobSpec& spec);

}  // namespace gaia::cli

#endif  // GAIA_SRC_CLI_WAN_LINKS_H_
