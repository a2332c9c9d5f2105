// Fetching a finished run's model from its shards (Control.Dump), comparing
// DC copies, and saving it: per DC and table, `<table>.f32` (rows x width
// little-endian float32, row-major) and `<table>.json` (table, dc, rows,
// width, fnv1a64 checksum of the .f32 bytes).
#ifndef GAIA_SRC_CLI_MODEL_IO_H_
#define GAIA_SRC_CLI_MODEL_IO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/common/job_spec.h"
#include "src/common/link_security.h"

namespace gaia::cli {

// values[t] = every row of table t (rows * width floats), gathered from the
// shards at `shard_addresses` (one partition: one DC's shards).
struct Model {
  std::vector<std::vector<float>> values;
};

// `security`: the launcher's TLS client material and the job token.
absl::StatusOr<Model> FetchModel(const common::JobSpec& spec,
                                 const std::vector<std::string>& shard_addresses,
                                 const common::LinkSecurity& security);

// The largest |a - b| over every element of every table, or why the two
// copies cannot be shown to agree: INVALID_ARGUMENT when they differ in
// shape (number of tables, or of values in a table), DATA_LOSS when either
// holds a NaN or an infinity (naming the table and element). A NaN compares
// false with everything, so a plain maximum would skip it and call two
// copies equal when one of them is garbage.
absl::StatusOr<double> MaxAbsDifference(const Model& a, const Model& b);

// FNV-1a 64 over the bytes.
uint64_t Fnv1a64(const void* data, size_t size);

absl::Status SaveModel(const common::JobSpec& spec, const Model& model, const std::string& dc,
                       const std::string& dir);

}  // namespace gaia::cli

#endif  // GAIA_SRC_CLI_MODEL_IO_H_
