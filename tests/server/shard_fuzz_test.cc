// Random and truncated PushBatch messages against a live shard: it must never
// crash, must reject exactly the malformed batches, and must change the table
// exactly by the valid ones. An independent decoder here is the oracle.
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "src/common/partition.h"
#include "src/server/shard_server.h"
#include "tests/server/shard_test_util.h"

namespace gaia::server {
namespace {

using testing::TableDump;
using testing::TestSession;

constexpr uint32_t kRows = 32;
constexpr uint32_t kWidth = 3;
constexpr uint32_t kShards = 2;

template <typename T>
T Load(const std::string& bytes, size_t i) {
  T v;
  std::memcpy(&v, bytes.data() + i * sizeof(T), sizeof(T));
  return v;
}

// Applies `batch` to `table` (row -> values) if it is valid; returns validity.
bool OracleApply(const rpc::PushBatch& batch, std::map<uint64_t, std::vector<float>>* table) {
  auto owned = [](uint64_t row) { return row < kRows && common::ShardOf(0, row, kShards) == 0; };
  if (batch.clock() < 0) return false;
  std::map<uint64_t, std::vector<float>> next = *table;
  for (const rpc::TableDelta& d : batch.tables()) {
    if (d.table_id() != 0) return false;
    if (d.dense_row_ids().size() % 8 != 0) return false;
    const size_t n = d.dense_row_ids().size() / 8;
    if (d.dense_values().size() != n * kWidth * 4) return false;
    for (size_t i = 0; i < n; ++i) {
      const uint64_t row = Load<uint64_t>(d.dense_row_ids(), i);
      if (!owned(row)) return false;
      for (uint32_t j = 0; j < kWidth; ++j) {
        next[row][j] += Load<float>(d.dense_values(), i * kWidth + j);
      }
    }
    if (d.sparse_row_ids().size() % 8 != 0) return false;
    const size_t m = d.sparse_row_ids().size() / 8;
    if (d.sparse_row_nnz().size() != m * 4) return false;
    uint64_t total = 0;
    for (size_t i = 0; i < m; ++i) total += Load<uint32_t>(d.sparse_row_nnz(), i);
    if (d.sparse_entries().size() != total * 8) return false;
    size_t e = 0;
    for (size_t i = 0; i < m; ++i) {
      const uint64_t row = Load<uint64_t>(d.sparse_row_ids(), i);
      if (!owned(row)) return false;
      for (uint32_t k = 0; k < Load<uint32_t>(d.sparse_row_nnz(), i); ++k, ++e) {
        const uint32_t col = Load<uint32_t>(d.sparse_entries(), 2 * e);
        if (col >= kWidth) return false;
        next[row][col] += Load<float>(d.sparse_entries(), 2 * e + 1);
      }
    }
  }
  *table = std::move(next);
  return true;
}

class Fuzzer {
 public:
  explicit Fuzzer(uint32_t seed) : rng_(seed) {}

  rpc::PushBatch Next(int64_t clock) {
    rpc::PushBatch batch;
    batch.set_clock(Chance(40) ? -1 : clock);
    const int tables = Uniform(0, 2);
    for (int t = 0; t < tables; ++t) {
      rpc::TableDelta* d = batch.add_tables();
      d->set_table_id(Chance(15) ? Uniform(1, 1000) : 0);
      const int n = Uniform(0, 4);
      for (int i = 0; i < n; ++i) {
        AppendU64(d->mutable_dense_row_ids(), Row());
        for (uint32_t j = 0; j < kWidth; ++j) AppendF(d->mutable_dense_values(), Value());
      }
      const int m = Uniform(0, 3);
      for (int i = 0; i < m; ++i) {
        AppendU64(d->mutable_sparse_row_ids(), Row());
        const uint32_t nnz = Uniform(0, 3);
        AppendU32(d->mutable_sparse_row_nnz(), nnz);
        for (uint32_t k = 0; k < nnz; ++k) {
          AppendU32(d->mutable_sparse_entries(),
                    Chance(10) ? kWidth + Uniform(0, 5) : Uniform(0, kWidth - 1));
          AppendF(d->mutable_sparse_entries(), Value());
        }
      }
      // Damage one field now and then: truncate, extend, or replace with noise.
      if (Chance(4)) Damage(d);
    }
    return batch;
  }

 private:
  bool Chance(int one_in) { return std::uniform_int_distribution<int>(1, one_in)(rng_) == 1; }
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  uint64_t Row() { return Chance(10) ? kRows + Uniform(0, 100) : Uniform(0, kRows - 1); }
  float Value() { return static_cast<float>(Uniform(-4, 4)); }  // exact in float
  static void AppendU64(std::string* s, uint64_t v) { s->append(reinterpret_cast<char*>(&v), 8); }
  static void AppendU32(std::string* s, uint32_t v) { s->append(reinterpret_cast<char*>(&v), 4); }
  static void AppendF(std::string* s, float v) { s->append(reinterpret_cast<char*>(&v), 4); }

  void Damage(rpc::TableDelta* d) {
    std::string* fields[] = {d->mutable_dense_row_ids(), d->mutable_dense_values(),
                             d->mutable_sparse_row_ids(), d->mutable_sparse_row_nnz(),
                             d->mutable_sparse_entries()};
    std::string* f = fields[Uniform(0, 4)];
    switch (Uniform(0, 2)) {
      case 0:
        if (!f->empty()) f->resize(Uniform(0, static_cast<int>(f->size()) - 1));
        break;
      case 1:
        f->append(Uniform(1, 9), '\x01');
        break;
      default:
        for (char& c : *f) c = static_cast<char>(rng_());
        break;
    }
  }

  std::mt19937 rng_;
};

TEST(ShardFuzz, RandomPushesNeverCrashOrCorrupt) {
  ShardOptions options;
  options.job_id = "fuzz";
  common::TableSpec spec;
  spec.name = "t";
  spec.rows = kRows;
  spec.width = kWidth;
  spec.init = common::InitKind::kZeros;
  options.tables = {spec};
  options.partition_size = kShards;
  absl::StatusOr<std::unique_ptr<ShardServer>> server = ShardServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();

  TableDump initial;
  ASSERT_TRUE(testing::DumpTable(port, 0, &initial).ok());
  std::map<uint64_t, std::vector<float>> expected;
  for (size_t i = 0; i < initial.rows.size(); ++i) {
    expected[initial.rows[i]] = std::vector<float>(kWidth, 0.0f);
  }

  TestSession session(port);
  std::optional<rpc::ShardMessage> hello = session.Hello("fuzz", 0);
  ASSERT_TRUE(hello && hello->has_hello());
  Fuzzer fuzzer(20240601);
  int valid = 0, invalid = 0;
  for (int64_t clock = 0; clock < 300; ++clock) {
    rpc::PushBatch batch = fuzzer.Next(clock);
    const bool ok = OracleApply(batch, &expected);
    rpc::WorkerMessage message;
    *message.mutable_push() = batch;
    ASSERT_TRUE(session.Send(message));
    ASSERT_TRUE(session.Tick(clock + 1));
    std::vector<rpc::ShardMessage> errors = session.Sync();
    if (ok) {
      ++valid;
      ASSERT_TRUE(errors.empty()) << errors[0].DebugString() << batch.DebugString();
    } else {
      ++invalid;
      ASSERT_EQ(errors.size(), 1u) << "accepted an invalid batch: " << batch.DebugString();
      ASSERT_TRUE(errors[0].has_error());
      EXPECT_NE(errors[0].error().code(), rpc::Error::UNKNOWN);
    }
    TableDump dump;
    ASSERT_TRUE(testing::DumpTable(port, 0, &dump).ok());
    ASSERT_EQ(dump.rows, initial.rows);
    for (size_t i = 0; i < dump.rows.size(); ++i) {
      for (uint32_t j = 0; j < kWidth; ++j) {
        ASSERT_EQ(dump.values[i * kWidth + j], expected[dump.rows[i]][j])
            << "clock " << clock << " row " << dump.rows[i] << " col " << j;
      }
    }
  }
  EXPECT_GT(valid, 20);
  EXPECT_GT(invalid, 20);
  EXPECT_TRUE(session.Close().ok());
}

// A raw client of the Session stream: sends `bytes` as one message, then
// collects what the shard sends back until the stream ends.
class RawSession final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  RawSession(int port, const std::string& bytes) : stub_(testing::Connect(port)) {
    context_.set_deadline(std::chrono::system_clock::now() + testing::kRpcDeadline);
    stub_.PrepareBidiStreamingCall(&context_, "/gaia.rpc.Shard/Session", grpc::StubOptions(),
                                   this);
    grpc::Slice slice(bytes);
    out_ = grpc::ByteBuffer(&slice, 1);
    StartWrite(&out_);
    StartRead(&in_);
    StartCall();
  }
  void OnWriteDone(bool /*ok*/) override { StartWritesDone(); }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    std::vector<grpc::Slice> slices;
    EXPECT_TRUE(in_.Dump(&slices).ok());
    std::string bytes;
    for (const grpc::Slice& s : slices) {
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    rpc::ShardMessage message;
    EXPECT_TRUE(message.ParseFromString(bytes));
    received_.push_back(message);
    StartRead(&in_);
  }
  void OnDone(const grpc::Status& status) override {
    status_ = status;
    done_.Notify();
  }
  // Waits for the end of the stream; its status.
  grpc::Status Await() {
    EXPECT_TRUE(done_.WaitForNotificationWithTimeout(absl::Seconds(30)));
    return status_;
  }
  const std::vector<rpc::ShardMessage>& received() const { return received_; }

 private:
  grpc::GenericStub stub_;
  grpc::ClientContext context_;
  grpc::ByteBuffer out_;
  grpc::ByteBuffer in_;
  std::vector<rpc::ShardMessage> received_;  // written before done_ only
  grpc::Status status_;
  absl::Notification done_;
};

TEST(ShardFuzz, UndecodableBytesEndOnlyTheirStream) {
  auto server = testing::StartOrFail(testing::SmallTableOptions("fuzz-bytes", 1, 0));
  ASSERT_NE(server, nullptr);
  const int port = server->port();
  // A read field whose length runs past the end, a truncated varint, and
  // a wire type protobuf does not know: each is not a WorkerMessage.
  for (const std::string& bytes :
       {std::string("\x22\x40\x08\x01", 4), std::string("\x08\xff", 2), std::string("\x0f", 1)}) {
    RawSession raw(port, bytes);
    const grpc::Status status = raw.Await();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    ASSERT_EQ(raw.received().size(), 1u);
    ASSERT_TRUE(raw.received()[0].has_error());
    EXPECT_EQ(raw.received()[0].error().code(), rpc::Error::INVALID_ARGUMENT);
  }
  // The shard serves a well-formed session as before, and its table is
  // untouched.
  TestSession session(port);
  std::optional<rpc::ShardMessage> hello = session.Hello("fuzz-bytes", 0);
  ASSERT_TRUE(hello.has_value() && hello->has_hello());
  TableDump dump;
  ASSERT_TRUE(testing::DumpTable(port, 0, &dump).ok());
  for (float v : dump.values) EXPECT_EQ(v, 0.0f);
  EXPECT_TRUE(session.Close().ok());
}

}  // namespace
}  // namespace gaia::server
