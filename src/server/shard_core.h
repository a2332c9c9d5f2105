// The state of one shard behind its RPC services: the parameter store, the
// updates waiting for their clock, the clock tracker with its parked reads and
// the live worker sessions. The gRPC layer (shard_service, control_service)
// translates messages into calls on this class; everything here is plain
// C++ and testable without a network.
//
// Thread-safe. Methods never call into a session while holding the lock:
// replies for released reads are built under the lock and delivered after it
// is dropped.
#ifndef GAIA_SRC_SERVER_SHARD_CORE_H_
#define GAIA_SRC_SERVER_SHARD_CORE_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/common/mutex.h"
#include "proto/gaia.pb.h"
#include "absl/functional/function_ref.h"
#include "src/server/clock_tracker.h"
#include "src/server/packed_values.h"
#include "src/server/parameter_store.h"
#include "src/server/pending_updates.h"
#include "src/server/mirror_target.h"
#include "src/server/read_gate.h"
#include "src/server/shard_server.h"
#include "src/server/update_sink.h"

namespace gaia::server {

// One worker stream as ShardCore sees it. Implementations are thread-safe and
// silently drop messages once their stream has finished.
class SessionLink {
 public:
  virtual ~SessionLink() = default;
  // Queues `message` for the worker.
  virtual void Deliver(rpc::ShardMessage message) = 0;
  // Ends the stream with `status` once the queued messages are written.
  virtual void Close(const absl::Status& status) = 0;
};

class ShardCore final : public MirrorTarget {
 public:
  struct Options {
    std::string job_id;
    uint32_t num_workers = 1;
    int32_t staleness = 0;
    // Observes updates as they become visible; nullable (DESIGN.md §4.2).
    std::shared_ptr<UpdateSink> update_sink;
    // May hold back reads (ASP barriers, DS bound); nullable.
    std::shared_ptr<ReadGate> read_gate;
  };

  // REQUIRES: options.num_workers > 0, store != nullptr.
  ShardCore(Options options, std::unique_ptr<ParameterStore> store);
  ~ShardCore() override;

  ShardCore(const ShardCore&) = delete;
  ShardCore& operator=(const ShardCore&) = delete;

  // A stream opened / ended. Attached links are closed by Shutdown().
  // Attach fails with ABORTED once shutting down.
  absl::Status Attach(std::shared_ptr<SessionLink> link);
  // `worker` is the worker id if the session said Hello, else nullopt.
  void Detach(const std::shared_ptr<SessionLink>& link, std::optional<uint32_t> worker,
              bool said_goodbye);

  // FAILED_PRECONDITION if the job id differs or worker_id is out of range;
  // ABORTED while shutting down.
  absl::StatusOr<rpc::HelloReply> Hello(const rpc::Hello& hello);

  // Validates the whole batch, then buffers it for its clock (or applies it
  // at once if its clock is already behind the shard clock: a late push,
  // which a correct worker never sends). On error nothing changes.
  //
  // Fast path (BSP only): a push for clock c is added to the table at once
  // instead of being buffered when every other worker still at clock c has
  // pushed for c too (with an update sink: when it comes from the only
  // worker still at c); the first such push also adds what is buffered for c.
  // See "Early-applied clock" in shard_core.cc for why no read can observe
  // it before the shard clock passes c.
  //
  // `values`, when given, holds batch.tables(i)'s dense values in values[i]
  // (a push decoded in place, DecodedWorkerMessage); else they are in the
  // deltas' own dense_values fields.
  absl::Status Push(uint32_t worker, const rpc::PushBatch& batch,
                    std::span<const PackedValues> values = {});

  // The worker moved to `clock`; if the shard clock advances, updates of the
  // passed clocks become visible and released reads are delivered.
  // `learning_rate` > 0 is passed on to the update sink.
  absl::Status Tick(uint32_t worker, int64_t clock, double learning_rate = 0);
  absl::Status Goodbye(uint32_t worker, int64_t final_clock);

  // Returns the reply if the read can be answered now, or nullopt if it was
  // parked (the reply, or an ABORTED Error at shutdown, is later delivered to
  // `link`). Errors for invalid requests; nothing is parked then.
  absl::StatusOr<std::optional<rpc::ReadReply>> Read(rpc::ReadRequest request,
                                                     std::shared_ptr<SessionLink> link);

  // MirrorTarget (src/server/mirror_target.h): how the ASP mirror in the
  // same process acts on this shard. Mirrored updates bypass the clock
  // buffers and the update sink.
  absl::Status ApplyMirrored(
      const google::protobuf::RepeatedPtrField<rpc::TableDelta>& deltas) override;
  void ReopenHeldReads() override;
  bool RunWithStoreLocked(absl::FunctionRef<void()> fn) override;

  // Visible values of the owned rows of a table, rows ascending: from the
  // first-th owned row on, at most max_rows of them (0: all).
  absl::StatusOr<rpc::DumpReply> Dump(uint32_t table_id, uint64_t first = 0,
                                      uint64_t max_rows = 0) const;

  ShardStats Stats() const;

  // Fails parked reads with ABORTED, closes every attached stream and
  // refuses new work. Idempotent.
  void Shutdown();

 private:
  struct ParkedRead {
    rpc::ReadRequest request;
    std::shared_ptr<SessionLink> link;
  };
  // A read whose clock is ready but which the read gate holds back.
  struct GatedRead {
    ParkedRead read;
    ReadGate::Hold hold;
    absl::Time since;
  };
  struct Delivery {
    std::shared_ptr<SessionLink> link;
    rpc::ShardMessage message;
  };

  // The min_clock a read must wait for: its own, raised past a clock whose
  // updates were applied early (see Push()) unless it reads no rows.
  int64_t EffectiveMinClockLocked(const rpc::ReadRequest& request) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    if (early_clock_ < 0 || request.row_ids().empty()) return request.min_clock();
    return std::max(request.min_clock(), early_clock_ + 1);
  }

  rpc::ReadReply BuildReplyLocked(const rpc::ReadRequest& request) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  ReadGate::Hold GateCheckLocked(const rpc::ReadRequest& request) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    if (options_.read_gate == nullptr) return {};
    return options_.read_gate->Check(request.table_id(), request.row_ids(),
                                     clocks_.reported_clock());
  }
  // A read whose clock is ready: answered into `deliveries`, or held by the gate.
  void ReleaseOrGateLocked(ParkedRead read, std::vector<Delivery>* deliveries)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // After a clock advance: makes updates visible, builds released replies.
  void OnAdvancedLocked(std::vector<Delivery>* deliveries) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // True when no delta of the batch has a sparse part.
  static bool DenseOnly(const rpc::PushBatch& batch);
  // Whether `worker`'s push `batch` for the shard clock may be added to the
  // table at once (the fast path of Push()). REQUIRES: staleness 0.
  bool EarlyApplyAllowedLocked(uint32_t worker, const rpc::PushBatch& batch) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Tells the update sink about an early-applied delta's dense rows.
  void ReportDenseLocked(const rpc::TableDelta& delta, const PackedValues& values,
                         int64_t visible_clock)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static void Deliver(std::vector<Delivery> deliveries);

  // The StoreView the update sink is given (shard_core.cc).
  class SinkView;

  // Constant after construction. The store's layout is constant too (its
  // Validate* methods run without the lock); its values are guarded by mu_.
  const Options options_;
  const std::unique_ptr<ParameterStore> store_;
  const std::unique_ptr<SinkView> sink_view_;

  // Guards the store's values and everything below. Pushes, ticks and parking
  // take it exclusively; ready reads, Dump and Stats share it.
  mutable common::Mutex mu_;
  PendingUpdates pending_ ABSL_GUARDED_BY(mu_);
  ClockTracker clocks_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, ParkedRead> parked_ ABSL_GUARDED_BY(mu_);  // by ticket
  std::vector<GatedRead> gated_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::shared_ptr<SessionLink>> links_ ABSL_GUARDED_BY(mu_);
  uint32_t connected_workers_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t updates_applied_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t updates_mirrored_ ABSL_GUARDED_BY(mu_) = 0;  // row deltas from other DCs
  uint64_t bytes_received_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  // The clock whose updates the fast path already added to the table while
  // the shard clock is still at it; -1 when none.
  int64_t early_clock_ ABSL_GUARDED_BY(mu_) = -1;
  uint64_t early_pushes_ ABSL_GUARDED_BY(mu_) = 0;  // pushes taken by the fast path
  // Per worker, the latest clock it pushed for (-1: none yet).
  std::vector<int64_t> pushed_clock_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gaia::server

#endif  // GAIA_SRC_SERVER_SHARD_CORE_H_
