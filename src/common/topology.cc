#include "src/common/topology.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace gaia::common {

absl::StatusOr<Topology> PlanTopology(const JobSpec& spec, Mode mode) {
  if (spec.dcs.empty()) return absl::InvalidArgumentError("job has no DCs");
  Topology topo;
  topo.mode = mode;
  const uint32_t num_dcs = static_cast<uint32_t>(spec.dcs.size());

  if (mode == Mode::kLan) {
    topo.host_dcs = {kLanDcName};
  } else {
    for (const DcSpec& dc : spec.dcs) topo.host_dcs.push_back(dc.name);
  }
  const bool per_dc_groups = mode == Mode::kGaia || mode == Mode::kGaiaAsync;
  topo.groups.resize(per_dc_groups ? num_dcs : 1);

  // Shards: in lan mode the same total number, all in the one DC.
  for (uint32_t d = 0; d < num_dcs; ++d) {
    for (uint32_t k = 0; k < spec.dcs[d].shards; ++k) {
      ShardRole role;
      role.host_dc = mode == Mode::kLan ? 0 : d;
      role.group = per_dc_groups ? d : 0;
      role.partition_index = static_cast<uint32_t>(topo.groups[role.group].shards.size());
      topo.groups[role.group].shards.push_back(static_cast<uint32_t>(topo.shards.size()));
      topo.shards.push_back(role);
    }
  }
  if (per_dc_groups) {
    // Every DC holds a full copy partitioned the same way (DESIGN.md §2).
    const uint32_t k0 = spec.dcs[0].shards;
    for (uint32_t d = 1; d < num_dcs; ++d) {
      if (spec.dcs[d].shards != k0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "mode ", ModeName(mode), " needs the same shard count in every DC: ",
            spec.dcs[0].name, " has ", k0, ", ", spec.dcs[d].name, " has ",
            spec.dcs[d].shards));
      }
    }
  }
  for (ShardRole& role : topo.shards) {
    role.partition_size = static_cast<uint32_t>(topo.groups[role.group].shards.size());
  }

  // Workers keep their data DC in every mode, so every mode trains on the
  // same data partition and runs are comparable.
  for (uint32_t d = 0; d < num_dcs; ++d) {
    for (uint32_t i = 0; i < spec.dcs[d].workers; ++i) {
      WorkerRole role;
      role.host_dc = mode == Mode::kLan ? 0 : d;
      role.data_dc = d;
      role.group = per_dc_groups ? d : 0;
      role.worker_id = static_cast<uint32_t>(topo.groups[role.group].workers.size());
      role.data_part = i;
      role.data_parts = spec.dcs[d].workers;
      topo.groups[role.group].workers.push_back(static_cast<uint32_t>(topo.workers.size()));
      topo.workers.push_back(role);
    }
  }
  return topo;
}

}  // namespace gaia::common
