// The receiving side's read gate (DESIGN.md §4.2.3-4): rows named by ASP
// barriers that are not yet released, and the mirror clocks of the other DCs
// for the DS bound.
//
// Barriers are per incoming link: barrier ids increase per link, and a batch
// releases every barrier of its link with id <= barriers_through. A barrier
// arriving after its release (re-sent after a reconnect) is ignored. A
// restarted sender numbers its barriers from 1 again (ForgetBarriers).
//
//   AspGate gate(/*self=*/0, /*num_dcs=*/2, /*ds=*/2, /*barriers=*/true);
//   gate.AddBarrier(/*from=*/1, barrier);        // rows blocked
//   gate.ReleaseBarriers(/*from=*/1, through);   // rows readable again
//   gate.SetMirrorClock(/*origin=*/1, 7);
//   target->ReopenHeldReads();                   // the owner's job
//
// Thread-safe.
#ifndef GAIA_SRC_MIRROR_ASP_GATE_H_
#define GAIA_SRC_MIRROR_ASP_GATE_H_

#include <cstdint>
#include <map>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "proto/gaia.pb.h"
#include "src/common/mutex.h"
#include "src/server/read_gate.h"

namespace gaia::mirror {

class AspGate final : public server::ReadGate {
 public:
  // DS bound: a read at shard clock c is held while c - mirror_clock(dc) >=
  // ds for some other DC (so ds = 1 is lockstep). ds < 0 (gaia_async) keeps
  // only the start line: a read at c >= 1 is held while some other DC's
  // mirror clock is still 0, so that every DC's clock-0 updates (an app's
  // initial state) are in before anybody reads past clock 0; after that DCs
  // drift freely. barriers=false ignores barriers.
  // REQUIRES: ds != 0 (it would hold every read; ValidateMirrorOptions).
  AspGate(uint32_t self, uint32_t num_dcs, int32_t ds, bool barriers);

  Hold Check(uint32_t table_id, std::string_view packed_row_ids,
             int64_t shard_clock) const override;
  void ReadReleased(const Hold& hold, double waited_s) override;

  // Returns false (and blocks nothing) if the barrier was already released.
  bool AddBarrier(uint32_t from, const rpc::AspBarrier& barrier);
  // Releases `from`'s barriers with id <= through. Returns rows unblocked.
  uint64_t ReleaseBarriers(uint32_t from, uint64_t through);
  // `from`'s sender was replaced by a new incarnation, whose barrier ids
  // start at 1 again and which will never release the old one's: unblocks
  // every row the old barriers hold and forgets what was released. Returns
  // rows unblocked.
  uint64_t ForgetBarriers(uint32_t from);

  // Raises origin's mirror clock (never lowers it).
  void SetMirrorClock(uint32_t origin, int64_t clock);

  int64_t mirror_clock(uint32_t origin) const;
  uint64_t blocked_rows() const;
  // Read time held back, per DC: by its barriers, by its mirror clock.
  double barrier_blocked_s(uint32_t dc) const;
  double clock_stall_s(uint32_t dc) const;

 private:
  struct RowKey {
    uint32_t table;
    uint64_t row;
    bool operator==(const RowKey&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const RowKey& k) {
      return H::combine(std::move(h), k.table, k.row);
    }
  };
  struct Blocked {
    uint32_t count = 0;
    uint32_t peer = 0;
  };
  struct PeerBarriers {
    uint64_t released_through = 0;
    std::map<uint64_t, std::vector<RowKey>> pending;  // id -> rows
  };

  // Lifts one barrier from each of `rows`; returns the rows no barrier
  // holds any more.
  uint64_t UnblockLocked(const std::vector<RowKey>& rows) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const uint32_t self_;
  const int32_t ds_;
  const bool barriers_;

  mutable common::Mutex mu_;
  absl::flat_hash_map<RowKey, Blocked> blocked_ ABSL_GUARDED_BY(mu_);
  std::vector<PeerBarriers> peers_ ABSL_GUARDED_BY(mu_);
  std::vector<int64_t> mirror_clocks_ ABSL_GUARDED_BY(mu_);
  std::vector<double> barrier_blocked_s_ ABSL_GUARDED_BY(mu_);
  std::vector<double> clock_stall_s_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gaia::mirror

#endif  // GAIA_SRC_MIRROR_ASP_GATE_H_
