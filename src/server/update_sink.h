// The narrow seam through which the ASP mirror (DESIGN.md §4.2) will observe
// updates as they become visible in a shard's table. The shard knows mirrors
// only through this interface (DESIGN.md §6).
#ifndef GAIA_SRC_SERVER_UPDATE_SINK_H_
#define GAIA_SRC_SERVER_UPDATE_SINK_H_

#include <cstdint>
#include <span>

namespace gaia::server {

// Implementations must be thread-safe with respect to their own state. Every
// call is made with the shard's state lock held, so an implementation must
// not block for long and must never call back into the shard.
class UpdateSink {
 public:
  virtual ~UpdateSink() = default;

  // `rows` of `table_id` were just increased by `deltas` (rows.size() * width
  // floats, row-major, coalesced per row). `shard_clock` is the shard clock at
  // which they became visible.
  virtual void OnRowsApplied(uint32_t table_id, std::span<const uint64_t> rows,
                             std::span<const float> deltas, int64_t shard_clock) = 0;

  // The shard clock advanced to `clock`; every update of clocks < `clock` has
  // been reported through OnRowsApplied before this call.
  virtual void OnClockAdvanced(int64_t clock) = 0;
};

}  // namespace gaia::server

#endif  // GAIA_SRC_SERVER_UPDATE_SINK_H_
