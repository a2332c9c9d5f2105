// The narrow interface through which the ASP mirror (DESIGN.md §4.2) acts on
// its shard: the third seam beside UpdateSink (the shard tells the mirror
// about local updates) and ReadGate (the mirror holds back local reads). The
// mirror knows the shard only through these three and a StoreView; ShardCore
// implements this one, and tests implement it with a plain table.
//
// Locking: the mirror calls these methods holding none of its own locks;
// each takes the shard's lock itself.
//
// Thread-safe.
#ifndef GAIA_SRC_SERVER_MIRROR_TARGET_H_
#define GAIA_SRC_SERVER_MIRROR_TARGET_H_

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "proto/gaia.pb.h"

namespace gaia::server {

class MirrorTarget {
 public:
  virtual ~MirrorTarget() = default;

  // Adds updates received from another DC to the visible values at once
  // (`value` only: they never reach the UpdateSink, so never the mirror's
  // accumulators). Every delta is validated first; on error nothing
  // changes. ABORTED once the shard is shutting down.
  virtual absl::Status ApplyMirrored(
      const google::protobuf::RepeatedPtrField<rpc::TableDelta>& deltas) = 0;

  // The read gate may admit more reads now (a barrier was released or a
  // mirror clock advanced): re-checks every read it holds.
  virtual void ReopenHeldReads() = 0;

  // Calls `fn` with the shard's lock held, so that `fn` may read the store's
  // values (StoreView::Values) and sees none change meanwhile. This is how
  // the mirror sweeps its significance filter outside an UpdateSink call
  // (an on-demand flush, or a sweep deferred until the links drain): the
  // filter scores rows by their current values, which only the shard's lock
  // keeps still. `fn` runs as an UpdateSink call would: it must not block or
  // call back into the shard. Returns false, without calling `fn`, once the
  // shard is shutting down.
  virtual bool RunWithStoreLocked(absl::FunctionRef<void()> fn) = 0;
};

}  // namespace gaia::server

#endif  // GAIA_SRC_SERVER_MIRROR_TARGET_H_
