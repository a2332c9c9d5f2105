// Mirror clocks (DESIGN.md §4.2.4, thesis §5.3.2): when a shard's clock
// advances to c, its mirror sends MIRROR CLOCK c to the same shard in the
// other DCs, ordered after the data of clocks < c (the Outbox keeps that
// order). A shard whose clock leads the slowest other DC's mirror clock by
// DS holds local reads until it catches up (AspGate, the receiving half).
//
// The sending half is a sweep round's clock: a round that the queue bound
// stops is reopened by later clocks and then covers them too; its clock goes
// out once all of its data is queued. After the final flush a DC sends
// kDoneClock, so it never holds others back. gaia_async (ds < 0) sends only
// its first clock: the start line, which holds every DC's reads past clock 0
// until each DC's clock-0 updates (an app's initial state) are in
// (AspGate).
//
//   MirrorClock clock(ds >= 0 ? MirrorClock::kEvery : MirrorClock::kFirstOnly);
//   clock.Cover(7);                                  // the round covers clock 7
//   if (std::optional<int64_t> c = clock.TakeDue()) outbox.AddClock(false, self, *c);
//
// Not thread-safe.
#ifndef GAIA_SRC_MIRROR_MIRROR_CLOCK_H_
#define GAIA_SRC_MIRROR_MIRROR_CLOCK_H_

#include <cstdint>
#include <limits>
#include <optional>

#include "proto/gaia.pb.h"
#include "src/mirror/asp_gate.h"

namespace gaia::mirror {

// The "infinite" clock a DC sends after its final flush.
inline constexpr int64_t kDoneClock = std::numeric_limits<int64_t>::max();

class MirrorClock {
 public:
  enum Sends {
    kEvery,      // every round's clock (the DS bound)
    kFirstOnly,  // the first round's clock, then none (the gaia_async start line)
  };
  explicit MirrorClock(Sends sends) : sends_(sends) {}

  // The open round covers `clock` as well (the largest covered clock is due).
  void Cover(int64_t clock);
  // The round is done: the clock to queue behind its data, if any; forgets it.
  std::optional<int64_t> TakeDue();
  // What the open round covers so far.
  std::optional<int64_t> covered() const { return covered_; }

 private:
  const Sends sends_;
  std::optional<int64_t> covered_;
  bool sent_any_ = false;
};

// The receiving half: raises the gate's mirror clock of every origin DC
// (< num_dcs) that `batch` carries a clock of. Returns how many it applied.
int ApplyMirrorClocks(const rpc::MirrorBatch& batch, uint32_t num_dcs, AspGate& gate);

}  // namespace gaia::mirror

#endif  // GAIA_SRC_MIRROR_MIRROR_CLOCK_H_
