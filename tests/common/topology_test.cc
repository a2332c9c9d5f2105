#include "src/common/topology.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/common/job_spec.h"

namespace gaia::common {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// DC "east": 2 shards, 2 workers; DC "west": 2 shards, 3 workers.
JobSpec TwoDcSpec() {
  JobSpec spec;
  spec.name = "t";
  spec.app.program = "mf";
  spec.tables.push_back(TableSpec{.name = "w", .rows = 10, .width = 2});
  spec.dcs.push_back(DcSpec{.name = "east", .shards = 2, .workers = 2, .data = "", .hosts = {}});
  spec.dcs.push_back(DcSpec{.name = "west", .shards = 2, .workers = 3, .data = "", .hosts = {}});
  return spec;
}

std::vector<uint32_t> HostDcsOfShards(const Topology& t) {
  std::vector<uint32_t> out;
  for (const ShardRole& s : t.shards) out.push_back(s.host_dc);
  return out;
}

TEST(Topology, LanPutsEverythingInOneDc) {
  absl::StatusOr<Topology> t = PlanTopology(TwoDcSpec(), Mode::kLan);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->mode, Mode::kLan);
  EXPECT_THAT(t->host_dcs, ElementsAre(kLanDcName));
  ASSERT_EQ(t->groups.size(), 1u);
  ASSERT_EQ(t->shards.size(), 4u);  // same total shard count as the WAN modes
  for (uint32_t i = 0; i < 4; ++i) {
    EXPECT_EQ(t->shards[i].host_dc, 0u);
    EXPECT_EQ(t->shards[i].group, 0u);
    EXPECT_EQ(t->shards[i].partition_index, i);
    EXPECT_EQ(t->shards[i].partition_size, 4u);
  }
  EXPECT_THAT(t->groups[0].shards, ElementsAre(0, 1, 2, 3));
  ASSERT_EQ(t->workers.size(), 5u);
  EXPECT_EQ(t->WorkersIn(0), 5u);
  const std::vector<uint32_t> data_dc = {0, 0, 1, 1, 1};
  const std::vector<uint32_t> part = {0, 1, 0, 1, 2};
  const std::vector<uint32_t> parts = {2, 2, 3, 3, 3};
  for (uint32_t i = 0; i < 5; ++i) {
    const WorkerRole& w = t->workers[i];
    EXPECT_EQ(w.host_dc, 0u);
    EXPECT_EQ(w.group, 0u);
    EXPECT_EQ(w.worker_id, i);
    EXPECT_EQ(w.data_dc, data_dc[i]) << i;  // still reads its own DC's data
    EXPECT_EQ(w.data_part, part[i]) << i;
    EXPECT_EQ(w.data_parts, parts[i]) << i;
  }
}

TEST(Topology, BaselineIsOneGlobalPsSpreadOverDcs) {
  absl::StatusOr<Topology> t = PlanTopology(TwoDcSpec(), Mode::kBaseline);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(t->host_dcs, ElementsAre("east", "west"));
  ASSERT_EQ(t->groups.size(), 1u);
  EXPECT_THAT(HostDcsOfShards(*t), ElementsAre(0, 0, 1, 1));
  for (uint32_t i = 0; i < 4; ++i) {
    EXPECT_EQ(t->shards[i].group, 0u);
    EXPECT_EQ(t->shards[i].partition_index, i);
    EXPECT_EQ(t->shards[i].partition_size, 4u);
  }
  ASSERT_EQ(t->workers.size(), 5u);
  EXPECT_THAT(t->groups[0].workers, ElementsAre(0, 1, 2, 3, 4));
  const std::vector<uint32_t> host = {0, 0, 1, 1, 1};
  for (uint32_t i = 0; i < 5; ++i) {
    EXPECT_EQ(t->workers[i].host_dc, host[i]);
    EXPECT_EQ(t->workers[i].data_dc, host[i]);
    EXPECT_EQ(t->workers[i].group, 0u);
    EXPECT_EQ(t->workers[i].worker_id, i);  // one clock over all workers
  }
}

TEST(Topology, GaiaGivesEachDcAFullCopy) {
  for (Mode mode : {Mode::kGaia, Mode::kGaiaAsync}) {
    SCOPED_TRACE(ModeName(mode));
    absl::StatusOr<Topology> t = PlanTopology(TwoDcSpec(), mode);
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_THAT(t->host_dcs, ElementsAre("east", "west"));
    ASSERT_EQ(t->groups.size(), 2u);
    EXPECT_THAT(HostDcsOfShards(*t), ElementsAre(0, 0, 1, 1));
    EXPECT_THAT(t->groups[0].shards, ElementsAre(0, 1));
    EXPECT_THAT(t->groups[1].shards, ElementsAre(2, 3));
    const std::vector<uint32_t> index = {0, 1, 0, 1};
    for (uint32_t i = 0; i < 4; ++i) {
      EXPECT_EQ(t->shards[i].group, t->shards[i].host_dc);
      // Shard k of one DC mirrors shard k of the other (DESIGN.md §2).
      EXPECT_EQ(t->shards[i].partition_index, index[i]);
      EXPECT_EQ(t->shards[i].partition_size, 2u);
    }
    EXPECT_EQ(t->WorkersIn(0), 2u);
    EXPECT_EQ(t->WorkersIn(1), 3u);
    const std::vector<uint32_t> id = {0, 1, 0, 1, 2};
    for (uint32_t i = 0; i < 5; ++i) {
      const WorkerRole& w = t->workers[i];
      EXPECT_EQ(w.group, w.host_dc);
      EXPECT_EQ(w.data_dc, w.host_dc);
      EXPECT_EQ(w.worker_id, id[i]);  // clocks are per DC
    }
  }
}

TEST(Topology, GaiaRejectsUnequalShardCounts) {
  JobSpec spec = TwoDcSpec();
  spec.dcs[1].shards = 3;
  for (Mode mode : {Mode::kGaia, Mode::kGaiaAsync}) {
    absl::StatusOr<Topology> t = PlanTopology(spec, mode);
    ASSERT_FALSE(t.ok());
    EXPECT_THAT(std::string(t.status().message()), HasSubstr("same shard count"));
    EXPECT_THAT(std::string(t.status().message()), HasSubstr("west has 3"));
  }
  // One global partition does not care.
  absl::StatusOr<Topology> lan = PlanTopology(spec, Mode::kLan);
  ASSERT_TRUE(lan.ok()) << lan.status();
  EXPECT_EQ(lan->shards.size(), 5u);
  absl::StatusOr<Topology> baseline = PlanTopology(spec, Mode::kBaseline);
  ASSERT_TRUE(baseline.ok()) << baseline.status();
  EXPECT_THAT(HostDcsOfShards(*baseline), ElementsAre(0, 0, 1, 1, 1));
}

TEST(Topology, NoDcsIsAnError) {
  JobSpec spec = TwoDcSpec();
  spec.dcs.clear();
  EXPECT_FALSE(PlanTopology(spec, Mode::kGaia).ok());
}

TEST(Topology, PlansAParsedSpec) {
  absl::StatusOr<JobSpec> spec = ParseJobSpec(R"(name: t
mode: [lan, baseline, gaia]
app: {program: mf}
tables: [{name: w, rows: 10, width: 4}]
dcs: [{name: a, shards: 3, workers: 1}, {name: b, shards: 3, workers: 4}]
)",
                                              "t.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  for (Mode mode : spec->modes) {
    absl::StatusOr<Topology> t = PlanTopology(*spec, mode);
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_EQ(t->shards.size(), 6u);
    EXPECT_EQ(t->workers.size(), 5u);
  }
}

}  // namespace
}  // namespace gaia::common
