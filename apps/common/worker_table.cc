#include "apps/common/worker_table.h"

namespace gaia::apps {

absl::StatusOr<Table> OpenTable(const Worker& worker, const TableNeeds& needs) {
  absl::StatusOr<Table> table = worker.GetTable(needs.name);
  if (!table.ok()) return table.status();
  if (absl::Status s =
          CheckTableShape({table->name(), table->width(), table->num_rows()}, needs);
      !s.ok()) {
    return s;
  }
  return table;
}

}  // namespace gaia::apps
