#include "apps/lda/table_counts.h"

#include <cmath>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"

namespace gaia::lda {
namespace {

template <typename T>
absl::Status ToCountsOf(std::span<const float> in, std::span<const uint64_t> rows,
                        uint32_t width, std::string_view table, std::span<T> out) {
  for (size_t i = 0; i < in.size(); ++i) {
    const float v = in[i];
    if (v == std::nearbyint(v) && std::abs(v) <= std::numeric_limits<int32_t>::max()) {
      out[i] = static_cast<T>(v);
      continue;
    }
    return absl::DataLossError(absl::StrCat(
        "table ", std::string(table), " row ", rows[i / width], " column ", i % width, " holds ",
        v, ", not a count (is the table declared `counts: true`, written only by this app?)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ToCounts(std::span<const float> in, std::span<const uint64_t> rows, uint32_t width,
                      std::string_view table, std::span<int32_t> out) {
  return ToCountsOf(in, rows, width, table, out);
}

absl::Status ToCounts(std::span<const float> in, std::span<const uint64_t> rows, uint32_t width,
                      std::string_view table, std::span<int64_t> out) {
  return ToCountsOf(in, rows, width, table, out);
}

RowDeltas SplitRowDeltas(std::span<const int32_t> delta, std::span<const uint64_t> rows,
                         uint32_t width) {
  RowDeltas out;
  for (size_t i = 0; i < rows.size(); ++i) {
    const std::span<const int32_t> row = delta.subspan(i * width, width);
    uint32_t nonzero = 0;
    for (int32_t d : row) nonzero += d != 0;
    if (nonzero == 0) continue;
    out.changes += nonzero;
    // Sparse costs 8 bytes per change (column + value), dense 4 per column.
    if (2 * nonzero < width) {
      RowDeltas::Sparse& s = out.sparse.emplace_back();
      s.row = rows[i];
      for (uint32_t c = 0; c < width; ++c) {
        if (row[c] == 0) continue;
        s.cols.push_back(c);
        s.values.push_back(static_cast<float>(row[c]));
      }
    } else {
      out.dense_rows.push_back(rows[i]);
      for (int32_t d : row) out.dense_values.push_back(static_cast<float>(d));
    }
  }
  return out;
}

}  // namespace gaia::lda
