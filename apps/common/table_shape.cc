#include "apps/common/table_shape.h"

#include "absl/strings/str_cat.h"

namespace gaia::apps {

absl::Status CheckTableShape(const TableShape& table, const TableNeeds& needs) {
  if (needs.width != 0 && table.width != needs.width) {
    return absl::InvalidArgumentError(absl::StrCat(
        "table '", table.name, "' has width ", table.width, " but ",
        needs.width_source.empty() ? std::string("the app") : needs.width_source,
        " needs width ", needs.width,
        " (make the job spec's table width and the app's flag agree)"));
  }
  if (table.rows < needs.min_rows) {
    return absl::InvalidArgumentError(absl::StrCat(
        "table '", table.name, "' has only ", table.rows, " rows but ",
        needs.rows_source.empty() ? std::string("the app") : needs.rows_source,
        " (needs >= ", needs.min_rows, ")"));
  }
  return absl::OkStatus();
}

}  // namespace gaia::apps
