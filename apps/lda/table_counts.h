// Counts as the parameter server holds them (float32 rows of a table with
// `counts: true`, whole numbers within +-2^24) and as the sampler uses them
// (int32 word-topic rows, int64 topic totals), and back.
//
//   std::vector<float> read(rows.size() * K);  table.GetMany(rows, read);
//   absl::Status s = ToCounts(read, rows, K, "word_topic", counts);
//   ... Sweep ...
//   SplitRowDeltas(delta, K, &dense_rows, &dense_values, &sparse);  // push these
#ifndef GAIA_APPS_LDA_TABLE_COUNTS_H_
#define GAIA_APPS_LDA_TABLE_COUNTS_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace gaia::lda {

// out[i] = in[i] for whole numbers; DATA_LOSS naming the table, row
// (rows[i / width]) and column for anything else (a fraction, NaN, or beyond
// int32): the table was not holding counts. REQUIRES: equal sizes,
// in.size() == rows.size() * width.
absl::Status ToCounts(std::span<const float> in, std::span<const uint64_t> rows, uint32_t width,
                      std::string_view table, std::span<int32_t> out);
absl::Status ToCounts(std::span<const float> in, std::span<const uint64_t> rows, uint32_t width,
                      std::string_view table, std::span<int64_t> out);

// A clock's count changes, ready to push: rows whose change has few nonzero
// columns go sparse (8 bytes per change instead of 4 per column), the others
// dense; rows without a change are left out.
struct RowDeltas {
  std::vector<uint64_t> dense_rows;
  std::vector<float> dense_values;      // dense_rows.size() x width
  struct Sparse {
    uint64_t row;
    std::vector<uint32_t> cols;
    std::vector<float> values;
  };
  std::vector<Sparse> sparse;
  uint64_t changes = 0;                 // nonzero elements over all rows
};

// delta is rows.size() x width (row i is table row rows[i]).
RowDeltas SplitRowDeltas(std::span<const int32_t> delta, std::span<const uint64_t> rows,
                         uint32_t width);

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_TABLE_COUNTS_H_
