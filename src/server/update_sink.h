// The narrow seam through which the ASP mirror (DESIGN.md §4.2) observes
// updates as they become visible in a shard's table. The shard knows mirrors
// only through this interface and ReadGate (DESIGN.md §6); the mirror acts on
// the shard through MirrorTarget (src/server/mirror_target.h).
#ifndef GAIA_SRC_SERVER_UPDATE_SINK_H_
#define GAIA_SRC_SERVER_UPDATE_SINK_H_

#include <cstdint>
#include <span>

#include "src/server/store_view.h"

namespace gaia::server {

// Every call except Attach is made with the shard's state lock held, so an
// implementation may read the attached store's values in it, must not block
// for long and must never call back into the shard.
class UpdateSink {
 public:
  virtual ~UpdateSink() = default;

  // Once, before any other call: the store whose values the shard changes.
  // Its layout is constant; its values may be read only inside the calls
  // below (the shard's lock is held then) or MirrorTarget::RunWithStoreLocked.
  // It lives as long as the shard.
  virtual void Attach(const StoreView& /*store*/) {}

  // `rows` of `table_id` were just increased by `deltas` (rows.size() * width
  // floats, row-major). `shard_clock` is the shard clock at which they become
  // visible. Buffered pushes are reported at that clock's advance, coalesced
  // per row; a push the BSP fast path applies at once (ShardCore::Push) is
  // reported on arrival, as its worker sent it (one entry per row).
  virtual void OnRowsApplied(uint32_t table_id, std::span<const uint64_t> rows,
                             std::span<const float> deltas, int64_t shard_clock) = 0;

  // The shard clock advanced to `clock`; every update of clocks < `clock` has
  // been reported through OnRowsApplied before this call. `all_done`: every
  // worker said Goodbye, no local update will follow.
  virtual void OnClockAdvanced(int64_t clock, bool all_done) = 0;

  // A worker reported its learning rate (> 0) with its clock tick.
  virtual void OnLearningRate(double /*learning_rate*/) {}
};

}  // namespace gaia::server

#endif  // GAIA_SRC_SERVER_UPDATE_SINK_H_
