// Opens a table of a running job and checks its shape (table_shape.h), so
// every app reports a missing or misshapen table the same way.
//
//   absl::StatusOr<gaia::Table> r = gaia::apps::OpenTable(*worker, needs);
//   if (!r.ok()) { (void)worker->Finish(); return gaia::apps::kExitBadInput; }
//
// Thread-safe as gaia::Worker::GetTable is.
#ifndef GAIA_APPS_COMMON_WORKER_TABLE_H_
#define GAIA_APPS_COMMON_WORKER_TABLE_H_

#include "absl/status/statusor.h"
#include "apps/common/table_shape.h"
#include "gaia/worker.h"

namespace gaia::apps {

// The table `needs.name`: NOT_FOUND (listing the job's tables) if the job has
// none, INVALID_ARGUMENT if its shape does not meet `needs`.
absl::StatusOr<Table> OpenTable(const Worker& worker, const TableNeeds& needs);

}  // namespace gaia::apps

#endif  // GAIA_APPS_COMMON_WORKER_TABLE_H_
