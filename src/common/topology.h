// Which processes a job runs in a given mode, and who talks to whom
// (DESIGN.md §2, §4.3). Pure function of the spec; the launcher uses it to
// start processes and `gaia server` to learn its own role.
#ifndef GAIA_SRC_COMMON_TOPOLOGY_H_
#define GAIA_SRC_COMMON_TOPOLOGY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/common/job_spec.h"

namespace gaia::common {

// A set of shards that partition the tables between them, and the workers
// that read and update them under one BSP/SSP clock.
//  lan:        one group: every shard and worker of the job, in one DC.
//  baseline:   one group: shards spread over the DCs, every worker talks to
//              every shard (cross-DC traffic goes over the WAN).
//  gaia(_async): one group per DC: a full model copy per DC, ASP between them.
struct ClockGroup {
  std::vector<uint32_t> shards;   // indices into Topology::shards, partition order
  std::vector<uint32_t> workers;  // indices into Topology::workers, by worker_id
};

struct ShardRole {
  uint32_t host_dc = 0;          // index into Topology::host_dcs: where it runs
  uint32_t group = 0;            // its clock group
  uint32_t partition_index = 0;  // position in its group's partition
  uint32_t partition_size = 1;   // shards in its group
};

struct WorkerRole {
  uint32_t host_dc = 0;   // where it runs
  uint32_t data_dc = 0;   // whose data it reads: index into JobSpec::dcs
  uint32_t group = 0;
  uint32_t worker_id = 0; // index in its clock group
  uint32_t data_part = 0; // its part of data_dc's data ...
  uint32_t data_parts = 1;// ... out of this many (= that DC's worker count)
};

struct Topology {
  Mode mode = Mode::kLan;
  std::vector<std::string> host_dcs;  // DC names processes run in
  std::vector<ShardRole> shards;
  std::vector<WorkerRole> workers;
  std::vector<ClockGroup> groups;

  // Total workers in `group`.
  uint32_t WorkersIn(uint32_t group) const {
    return static_cast<uint32_t>(groups[group].workers.size());
  }
};

// The lan mode's single DC is named this.
inline constexpr char kLanDcName[] = "lan";

absl::StatusOr<Topology> PlanTopology(const JobSpec& spec, Mode mode);

}  // namespace gaia::common

#endif  // GAIA_SRC_COMMON_TOPOLOGY_H_
