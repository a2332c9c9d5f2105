// Fakes of everything the mirror's two sides talk to, so their logic runs in
// one thread without a network or a real shard (tests/mirror/
// mirror_sender_test.cc, mirror_receiver_test.cc):
//   FakeShard    the narrow shard interface: server::StoreView +
//                server::MirrorTarget over a plain table;
//   FakeLinks    a mirror::LinkConnector whose links record what the sender
//                writes and let the test deliver welcome/ack/done events;
//   FakeInbound  a mirror::InboundLink that records replies;
//   FakeForward  a mirror::ForwardQueue that records forwarded batches.
#ifndef GAIA_TESTS_MIRROR_FAKE_SHARD_H_
#define GAIA_TESTS_MIRROR_FAKE_SHARD_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "proto/gaia.pb.h"
#include "src/common/job_spec.h"
#include "src/common/packing.h"
#include "src/mirror/delta_encoding.h"
#include "src/mirror/link_call.h"
#include "src/mirror/mirror_sender.h"
#include "src/mirror/mirror_service.h"
#include "src/server/mirror_target.h"
#include "src/server/store_view.h"

namespace gaia::testing {

// The one small table the sender and receiver tests use: "w", 8 rows x 2.
inline constexpr uint32_t kFakeTableWidth = 2;
inline constexpr uint64_t kFakeTableRows = 8;
inline common::TableSpec FakeTable() {
  common::TableSpec t;
  t.name = "w";
  t.rows = kFakeTableRows;
  t.width = kFakeTableWidth;
  return t;
}

// Every row of every table, slot = row id, all values `initial`.
class FakeShard final : public server::StoreView, public server::MirrorTarget {
 public:
  explicit FakeShard(std::vector<common::TableSpec> tables, float initial = 1.0f)
      : tables_(std::move(tables)) {
    for (const common::TableSpec& t : tables_) values_.emplace_back(t.rows * t.width, initial);
  }

  // StoreView.
  uint32_t num_tables() const override { return static_cast<uint32_t>(tables_.size()); }
  uint32_t width(uint32_t table) const override { return tables_[table].width; }
  uint64_t owned_rows(uint32_t table) const override { return tables_[table].rows; }
  bool Owns(uint32_t table, uint64_t row) const override { return row < tables_[table].rows; }
  uint64_t SlotOf(uint32_t table, uint64_t row) const override {
    return Owns(table, row) ? row : kNoSlot;
  }
  uint64_t RowAt(uint32_t /*table*/, uint64_t slot) const override { return slot; }
  std::span<const float> Values(uint32_t table, uint64_t slot) const override {
    return {values_[table].data() + slot * width(table), width(table)};
  }

  // MirrorTarget.
  absl::Status ApplyMirrored(
      const google::protobuf::RepeatedPtrField<rpc::TableDelta>& deltas) override {
    absl::MutexLock lock(&mu_);
    for (const rpc::TableDelta& delta : deltas) {
      if (absl::Status s = ValidateLocked(delta); !s.ok()) return s;
    }
    for (const rpc::TableDelta& delta : deltas) {
      const uint32_t w = width(delta.table_id());
      std::vector<float>& v = values_[delta.table_id()];
      const size_t dense = delta.dense_row_ids().size() / sizeof(uint64_t);
      for (size_t r = 0; r < dense; ++r) {
        const uint64_t row = common::PackedAt<uint64_t>(delta.dense_row_ids(), r);
        for (uint32_t c = 0; c < w; ++c) {
          v[row * w + c] += common::PackedAt<float>(delta.dense_values(), r * w + c);
        }
      }
      common::ForEachSparseRow(
          delta.sparse_row_ids(), delta.sparse_row_nnz(), delta.sparse_entries(),
          [&](uint64_t row, const char* entries, uint32_t count) {
            for (uint32_t k = 0; k < count; ++k) {
              const common::SparseEntry e = common::SparseEntryAt(entries, k);
              v[row * w + e.col] += e.value;
            }
          });
      ++applied_;
    }
    return absl::OkStatus();
  }
  void ReopenHeldReads() override {
    absl::MutexLock lock(&mu_);
    ++reopened_;
  }
  bool RunWithStoreLocked(absl::FunctionRef<void()> fn) override {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return false;
    fn();
    return true;
  }

  // A local update as the shard makes it before telling its UpdateSink.
  void AddLocal(uint32_t table, uint64_t row, std::span<const float> delta) {
    absl::MutexLock lock(&mu_);
    for (size_t c = 0; c < delta.size(); ++c) values_[table][row * width(table) + c] += delta[c];
  }
  float value(uint32_t table, uint64_t row, uint32_t col) const {
    absl::MutexLock lock(&mu_);
    return values_[table][row * width(table) + col];
  }
  int reopened() const {
    absl::MutexLock lock(&mu_);
    return reopened_;
  }
  void ShutDown() {
    absl::MutexLock lock(&mu_);
    shut_down_ = true;
  }

 private:
  absl::Status ValidateLocked(const rpc::TableDelta& delta) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (delta.table_id() >= tables_.size()) {
      return absl::NotFoundError(absl::StrCat("unknown table ", delta.table_id()));
    }
    const common::TableSpec& t = tables_[delta.table_id()];
    const size_t dense = delta.dense_row_ids().size() / sizeof(uint64_t);
    if (delta.dense_values().size() != dense * t.width * sizeof(float)) {
      return absl::InvalidArgumentError("dense_values size");
    }
    for (size_t r = 0; r < dense; ++r) {
      if (common::PackedAt<uint64_t>(delta.dense_row_ids(), r) >= t.rows) {
        return absl::OutOfRangeError("dense row");
      }
    }
    absl::Status status = absl::OkStatus();
    common::ForEachSparseRow(delta.sparse_row_ids(), delta.sparse_row_nnz(),
                             delta.sparse_entries(),
                             [&](uint64_t row, const char* entries, uint32_t count) {
                               if (row >= t.rows) status = absl::OutOfRangeError("sparse row");
                               for (uint32_t k = 0; k < count; ++k) {
                                 if (common::SparseEntryAt(entries, k).col >= t.width) {
                                   status = absl::OutOfRangeError("column");
                                 }
                               }
                             });
    return status;
  }

  const std::vector<common::TableSpec> tables_;
  mutable absl::Mutex mu_;  // "the shard's lock"
  std::vector<std::vector<float>> values_;  // guarded by mu_ for writers; Values() reads
  int applied_ ABSL_GUARDED_BY(mu_) = 0;
  int reopened_ ABSL_GUARDED_BY(mu_) = 0;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

// What one fake link attempt saw; outlives the link (the sender destroys it).
struct FakeLinkState {
  std::string address;
  rpc::MirrorHello hello;
  mirror::OutgoingLink::Events events;
  std::vector<rpc::MirrorMessage> written;
  std::vector<bool> compressed;
  bool writable = true;
  bool cancelled = false;
  bool destroyed = false;
};

class FakeLink final : public mirror::OutgoingLink {
 public:
  explicit FakeLink(std::shared_ptr<FakeLinkState> state) : state_(std::move(state)) {}
  ~FakeLink() override { state_->destroyed = true; }
  bool Write(rpc::MirrorMessage message, bool compress) override {
    if (!state_->writable) return false;
    state_->written.push_back(std::move(message));
    state_->compressed.push_back(compress);
    return true;
  }
  bool writable() const override { return state_->writable; }
  void Cancel() override { state_->cancelled = true; }

 private:
  std::shared_ptr<FakeLinkState> state_;
};

// The connector for MirrorOptions::connect; every attempt, oldest first.
class FakeLinks {
 public:
  mirror::LinkConnector connector() {
    return [this](const std::string& address, rpc::MirrorHello hello,
                  mirror::OutgoingLink::Events events) {
      auto state = std::make_shared<FakeLinkState>();
      state->address = address;
      state->hello = std::move(hello);
      state->events = std::move(events);
      attempts_.push_back(state);
      return std::make_unique<FakeLink>(std::move(state));
    };
  }
  size_t size() const { return attempts_.size(); }
  FakeLinkState& last() { return *attempts_.back(); }
  FakeLinkState& at(size_t i) { return *attempts_[i]; }

 private:
  std::vector<std::shared_ptr<FakeLinkState>> attempts_;
};

class FakeInbound final : public mirror::InboundLink {
 public:
  void ReadNext() override { ++reads; }
  void Reply(rpc::MirrorReply reply) override { replies.push_back(std::move(reply)); }
  void Fail(const absl::Status& status) override {
    failed = status;
    ended = true;
  }
  int64_t peer_dc() const override { return peer; }
  void set_peer_dc(uint32_t dc) override { peer = dc; }
  bool done() const override { return ended; }

  // The newest ack's acked_through; nullopt if the last reply is not an ack.
  std::optional<uint64_t> last_ack() const {
    if (replies.empty() || !replies.back().has_ack()) return std::nullopt;
    return replies.back().ack().acked_through();
  }

  int reads = 0;
  std::vector<rpc::MirrorReply> replies;
  std::optional<absl::Status> failed;
  bool ended = false;
  int64_t peer = -1;
};

class FakeForward final : public mirror::ForwardQueue {
 public:
  void Forward(uint32_t from, const rpc::MirrorBatch& batch) override {
    forwarded.emplace_back(from, batch);
  }
  std::vector<std::pair<uint32_t, rpc::MirrorBatch>> forwarded;
};

// The elements a batch carries, (table, row, column) -> value, whatever
// encoding the outbox chose.
inline std::map<std::tuple<uint32_t, uint64_t, uint32_t>, float> ElementsOf(
    const rpc::MirrorBatch& batch, const std::vector<uint32_t>& widths) {
  std::map<std::tuple<uint32_t, uint64_t, uint32_t>, float> out;
  for (rpc::TableDelta delta : batch.updates()) {
    const uint32_t w = widths[delta.table_id()];
    EXPECT_TRUE(mirror::ExpandDelta(&delta, w).ok());
    const size_t dense = delta.dense_row_ids().size() / sizeof(uint64_t);
    for (size_t r = 0; r < dense; ++r) {
      const uint64_t row = common::PackedAt<uint64_t>(delta.dense_row_ids(), r);
      for (uint32_t c = 0; c < w; ++c) {
        out[{delta.table_id(), row, c}] = common::PackedAt<float>(delta.dense_values(), r * w + c);
      }
    }
    common::ForEachSparseRow(delta.sparse_row_ids(), delta.sparse_row_nnz(),
                             delta.sparse_entries(),
                             [&](uint64_t row, const char* entries, uint32_t count) {
                               for (uint32_t k = 0; k < count; ++k) {
                                 const common::SparseEntry e = common::SparseEntryAt(entries, k);
                                 out[{delta.table_id(), row, e.col}] = e.value;
                               }
                             });
  }
  return out;
}

}  // namespace gaia::testing

#endif  // GAIA_TESTS_MIRROR_FAKE_SHARD_H_
