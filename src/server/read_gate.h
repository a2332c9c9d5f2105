// The second narrow seam of the ASP mirror (DESIGN.md §4.2.3, §4.2.4): it may
// hold back local reads — of the rows named by an ASP barrier, or of every
// row while a mirror is DS or more clocks behind. A read the gate refuses
// is parked until the gate's owner calls MirrorTarget::ReopenHeldReads()
// (src/server/mirror_target.h).
#ifndef GAIA_SRC_SERVER_READ_GATE_H_
#define GAIA_SRC_SERVER_READ_GATE_H_

#include <cstdint>
#include <string_view>

namespace gaia::server {

class ReadGate {
 public:
  // Why a read was held back, for accounting (ReadReleased).
  struct Hold {
    enum Kind { kNone, kBarrier, kClock } kind = kNone;
    uint32_t peer = 0;  // the DC whose barrier or clock holds the read
  };

  virtual ~ReadGate() = default;

  // Called with the shard's lock held (possibly shared, from several threads
  // at once); must not block or call into the shard. kNone admits the read
  // of `packed_row_ids` (packed uint64) of `table_id` at shard clock
  // `shard_clock`.
  virtual Hold Check(uint32_t table_id, std::string_view packed_row_ids,
                     int64_t shard_clock) const = 0;

  // A read first held by `hold` was admitted after `waited_s` seconds.
  virtual void ReadReleased(const Hold& /*hold*/, double /*waited_s*/) {}
};

}  // namespace gaia::server

#endif  // GAIA_SRC_SERVER_READ_GATE_H_
