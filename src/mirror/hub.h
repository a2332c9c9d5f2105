// Hub forwarding (DESIGN.md §4.2.7, thesis §5.3.5): a DC that is its group's
// hub towards another group passes on what its group's members send it (to
// the other group's hub), and a hub that receives from another group passes
// it around its own group, marked relayed. Who forwards what to whom is the
// Overlay's (src/mirror/overlay.h); this walks a received batch and hands
// each of its rows and mirror clocks to every forward target, where the
// sender queues them in the same outbox as its own updates (that sum is the
// hub's aggregation).
//
//   ForwardThroughHub(overlay.ForwardTargets(self, from, batch.relayed()), batch, widths,
//                     [&](const Overlay::Forward& to, uint32_t table, uint64_t row,
//                         std::span<const uint32_t> cols, std::span<const float> vals) {...},
//                     [&](const Overlay::Forward& to, uint32_t origin, int64_t clock) {...});
//
// Stateless; thread-safe.
#ifndef GAIA_SRC_MIRROR_HUB_H_
#define GAIA_SRC_MIRROR_HUB_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/functional/function_ref.h"
#include "proto/gaia.pb.h"
#include "src/mirror/overlay.h"

namespace gaia::mirror {

using ForwardRowFn =
    absl::FunctionRef<void(const Overlay::Forward& to, uint32_t table, uint64_t row,
                           std::span<const uint32_t> cols, std::span<const float> vals)>;
using ForwardClockFn =
    absl::FunctionRef<void(const Overlay::Forward& to, uint32_t origin, int64_t clock)>;

// Calls `row` for every (target, row) of `batch` — dense rows with every
// column, sparse rows with theirs — and `clock` for every (target, clock)
// whose origin is not the target itself. REQUIRES: `batch` holds plain
// deltas only (no compact encodings: ExpandDelta) of tables < widths.size(),
// already validated (the shard applied them).
void ForwardThroughHub(const std::vector<Overlay::Forward>& targets, const rpc::MirrorBatch& batch,
                       std::span<const uint32_t> widths, ForwardRowFn row, ForwardClockFn clock);

}  // namespace gaia::mirror

#endif  // GAIA_SRC_MIRROR_HUB_H_
