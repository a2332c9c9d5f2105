// The ASP mirror of one shard (DESIGN.md §4.2, thesis §5.3, Figure 5.6): a
// thin façade over its two sides, each with its own lock and thread —
//   MirrorSender   (mirror_sender.h): the significance filter's sweep rounds
//                  over local updates, outboxes, selective barriers, mirror
//                  clocks, and the mirror client thread that keeps the
//                  outgoing links;
//   MirrorReceiver (mirror_receiver.h): the mirror server thread that applies
//                  what other DCs send, in order and at most once, acks it,
//                  feeds the read gate and hands hub forwarding to the sender
// — plus the read gate (AspGate) and the gRPC server of the Mirror service.
// Use DcShard (src/mirror/dc_shard.h) to build a shard with its mirror.
//
//   absl::StatusOr<std::shared_ptr<Mirror>> mirror = Mirror::Create(options);
//   shard_options.update_sink = *mirror;                // before the shard starts
//   shard_options.read_gate = (*mirror)->gate();
//   auto shard = server::ShardServer::Start(shard_options);
//   (*mirror)->Start((*shard)->core());                 // serves on (*mirror)->port()
//   (*mirror)->SetPeers({{1, "127.0.0.1:7001"}});       // whenever known
//   ...
//   (*mirror)->Stop();                                  // before the shard shuts down
//
// Threads: the shard's threads call the UpdateSink methods (shard lock
// held); gRPC threads call the InboundHandler methods; the sender's client
// thread and the receiver's server thread do the rest.
//
// Lock order (docs/ASP.md "Threads and locks"): shard lock -> sender lock.
// The receiver's lock is never held with the sender's or the shard's. The
// gate's, the InboundStreams' and the LinkCalls' locks are leaves. Neither
// side holds its lock while calling the shard, the other side, gRPC or a
// link's events.
//
// Thread-safe.
#ifndef GAIA_SRC_MIRROR_MIRROR_H_
#define GAIA_SRC_MIRROR_MIRROR_H_

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/gaia.pb.h"
#include "src/common/mutex.h"
#include "src/mirror/asp_gate.h"
#include "src/mirror/mirror_options.h"
#include "src/mirror/mirror_receiver.h"
#include "src/mirror/mirror_sender.h"
#include "src/mirror/mirror_service.h"
#include "src/server/mirror_target.h"
#include "src/server/store_view.h"
#include "src/server/update_sink.h"

namespace gaia::mirror {

class Mirror final : public server::UpdateSink, public InboundHandler {
 public:
  // INVALID_ARGUMENT for inconsistent options.
  static absl::StatusOr<std::shared_ptr<Mirror>> Create(MirrorOptions options);
  ~Mirror() override;

  std::shared_ptr<AspGate> gate() const { return gate_; }

  // Serves the Mirror service and starts the client and server threads.
  // REQUIRES: the shard was started with this mirror as its update sink.
  absl::Status Start(std::shared_ptr<server::MirrorTarget> target);
  int port() const { return port_; }

  // Mirror addresses ("host:port") of peer DCs; may be called any time,
  // again with new addresses (the next reconnect uses them).
  void SetPeers(const std::map<uint32_t, std::string>& peers) { sender_.SetPeers(peers); }

  // Queues every accumulated update now (Mirror.Flush). Returns elements.
  uint64_t Flush() { return sender_.Flush(); }
  // Each side's part is read under that side's lock, one after the other:
  // not one atomic snapshot (poll twice for quiescence, as the launcher does).
  rpc::MirrorStatusReply GetStatus() const;

  // Stops threads and links; unsent updates are dropped. Idempotent.
  void Stop();

  // server::UpdateSink (shard lock held): the sender's.
  void Attach(const server::StoreView& store) override;
  void OnRowsApplied(uint32_t table_id, std::span<const uint64_t> rows,
                     std::span<const float> deltas, int64_t /*shard_clock*/) override {
    sender_.OnRowsApplied(table_id, rows, deltas);
  }
  void OnClockAdvanced(int64_t clock, bool all_done) override {
    sender_.OnClockAdvanced(clock, all_done);
  }
  void OnLearningRate(double learning_rate) override { sender_.OnLearningRate(learning_rate); }

  // InboundHandler (gRPC threads).
  void OnInbound(std::shared_ptr<InboundLink> stream, rpc::MirrorMessage message) override {
    receiver_.Enqueue(std::move(stream), std::move(message));
  }
  uint64_t FlushNow() override { return Flush(); }
  rpc::MirrorStatusReply StatusNow() const override { return GetStatus(); }

  explicit Mirror(MirrorOptions options);  // use Create()

 private:
  // Constant after construction (server_, service_ and port_ after Start,
  // which runs once, before any other thread uses them).
  const uint32_t dc_;
  const uint32_t partition_index_;
  const std::string listen_address_;
  const std::shared_ptr<const common::LinkSecurity> security_;  // null: plaintext
  // Calls refused by the TLS token check; GetStatus reports the count.
  const std::shared_ptr<common::RefusalLog> refusals_ =
      std::make_shared<common::RefusalLog>("mirror");
  const std::shared_ptr<AspGate> gate_;
  MirrorSender sender_;
  MirrorReceiver receiver_;  // forwards into sender_: declared after it
  std::unique_ptr<MirrorService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;

  // Guards the lifecycle only; never held while calling anything.
  mutable common::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace gaia::mirror

#endif  // GAIA_SRC_MIRROR_MIRROR_H_
