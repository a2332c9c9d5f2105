// The small two-DC job spec the launcher's logic tests start from: one
// table "t" (10 rows x 2), DCs "a" and "b" with the given shards and workers.
#ifndef GAIA_TESTS_CLI_TWO_DC_SPEC_H_
#define GAIA_TESTS_CLI_TWO_DC_SPEC_H_

#include <cstdint>

#include "src/common/job_spec.h"

namespace gaia::cli {

inline common::JobSpec TwoDcTestSpec(uint32_t shards_a, uint32_t workers_a, uint32_t shards_b,
                                     uint32_t workers_b) {
  common::JobSpec spec;
  spec.name = "j";
  spec.app.program = "/bin/true";
  spec.tables.push_back({});
  spec.tables[0].name = "t";
  spec.tables[0].rows = 10;
  spec.tables[0].width = 2;
  spec.dcs = {{"a", shards_a, workers_a, "", {}}, {"b", shards_b, workers_b, "", {}}};
  return spec;
}

}  // namespace gaia::cli

#endif  // GAIA_TESTS_CLI_TWO_DC_SPEC_H_
