// The multi-host parts of a job spec: dcs[].hosts, the inventory file and
// the ssh section (docs/JOB_SPEC.md, docs/MULTI_HOST.md). Internal to
// gaia_jobspec; callers use ParseJobSpec / ParseJobSpecFile (job_spec.h).
#ifndef GAIA_SRC_COMMON_JOB_SPEC_HOSTS_H_
#define GAIA_SRC_COMMON_JOB_SPEC_HOSTS_H_

#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/common/job_spec.h"
#include "src/common/yaml_reader.h"

namespace gaia::common::internal {

// Limits, documented in docs/JOB_SPEC.md.
inline constexpr size_t kMaxHostsPerDc = 1024;
inline constexpr size_t kMaxAddressLen = 253;  // a DNS name at most

// dcs[i].hosts (`path`) into `out`.
void ParseHosts(YamlReader* r, const YAML::Node& node, const std::string& path,
                std::vector<HostSpec>* out);
void ParseSsh(YamlReader* r, const YAML::Node& node, SshSpec* out);

// Checks the per-host role counts of `dc`, whose hosts `node` (at `path`)
// listed: every host gives a count or none does, and given counts sum to
// the DC's.
void CheckHostCounts(YamlReader* r, const DcSpec& dc, const YAML::Node& node,
                     const std::string& path);

// Reads the inventory file at `path` (errors name its own lines) and merges
// its hosts into `dcs`. A DC that lists hosts in the spec too
// (`spec_hosts_lines[d]`, the line of dcs[d].hosts, is not 0) is an error
// naming both places; so is an inventory DC the spec does not have.
absl::Status MergeInventory(const std::string& path, const std::string& spec_source,
                            const std::vector<int>& spec_hosts_lines, std::vector<DcSpec>* dcs);

}  // namespace gaia::common::internal

#endif  // GAIA_SRC_COMMON_JOB_SPEC_HOSTS_H_
