// Deterministic table initialization. The value of element (row, col) depends
// only on (seed, table id, row, col), so every shard of every DC computes the
// same initial model without communicating, whatever the partitioning.
#ifndef GAIA_SRC_COMMON_INITIALIZER_H_
#define GAIA_SRC_COMMON_INITIALIZER_H_

#include <cstdint>
#include <span>

#include "src/common/job_spec.h"

namespace gaia::common {

// Fills `out` (the row's width floats) with the initial values of `row`.
void InitializeRow(const TableSpec& table, uint32_t table_id, uint64_t row,
                   std::span<float> out);

}  // namespace gaia::common

#endif  // GAIA_SRC_COMMON_INITIALIZER_H_
