// Checks that a parameter table an app needs has the shape it needs, with an
// error that names the table, both widths and what fixed the app's width.
//
//   gaia::apps::TableNeeds needs{.name = "R", .width = rank,
//                                .width_source = "--rank=16",
//                                .min_rows = max_item + 1,
//                                .rows_source = "the data has item id 999"};
//   absl::Status s = gaia::apps::CheckTableShape(
//       {table.name(), table.width(), table.num_rows()}, needs);
//
// apps/common/worker_table.h opens and checks a table of a running job in one
// call. Pure functions; thread-safe.
#ifndef GAIA_APPS_COMMON_TABLE_SHAPE_H_
#define GAIA_APPS_COMMON_TABLE_SHAPE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace gaia::apps {

// What a table of the job is.
struct TableShape {
  std::string name;
  uint32_t width = 0;  // floats per row
  uint64_t rows = 0;
};

// What the app needs of a table.
struct TableNeeds {
  std::string name;
  // Required row width; 0 = any.
  uint32_t width = 0;
  // What fixes `width`, for the message (e.g. "--rank=16"); "" = "the app".
  std::string width_source;
  // The table must have at least this many rows; 0 = any.
  uint64_t min_rows = 0;
  // Why `min_rows` (e.g. "the data has item id 999"); "" = nothing said.
  std::string rows_source;
};

// INVALID_ARGUMENT when `table` is narrower/wider than `needs.width` or has
// fewer than `needs.min_rows` rows, e.g.
//   table 'R' has width 4 but --rank=8 needs width 8 (make the job spec's
//   table width and the app's flag agree)
//   table 'R' has only 120 rows but the data has item id 499 (needs >= 500)
absl::Status CheckTableShape(const TableShape& table, const TableNeeds& needs);

}  // namespace gaia::apps

#endif  // GAIA_APPS_COMMON_TABLE_SHAPE_H_
