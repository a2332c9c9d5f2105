// Helpers for tests that talk to a real ShardServer over gRPC on 127.0.0.1:
// a synchronous Session client and a Control client.
#ifndef GAIA_TESTS_SERVER_SHARD_TEST_UTIL_H_
#define GAIA_TESTS_SERVER_SHARD_TEST_UTIL_H_

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proto/gaia.grpc.pb.h"
#include "src/common/packing.h"
#include "src/common/rpc_options.h"
#include "src/server/shard_server.h"

namespace gaia::server::testing {

// Every stream and call of a test gives up after this long, so a bug shows
// up as a failure instead of a hang.
inline constexpr std::chrono::seconds kRpcDeadline{20};

inline std::shared_ptr<grpc::Channel> Connect(int port) {
  return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port),
                                   grpc::InsecureChannelCredentials(),
                                   common::ClientChannelArguments(common::ServerKind::kShard));
}

// A one-table (16 rows x 2 floats, zeros) shard of job `job`.
inline ShardOptions SmallTableOptions(const std::string& job, uint32_t num_workers,
                                      int32_t staleness, uint32_t partition_size = 1) {
  ShardOptions options;
  options.job_id = job;
  common::TableSpec spec;
  spec.name = "w";
  spec.rows = 16;
  spec.width = 2;
  spec.init = common::InitKind::kZeros;
  options.tables = {spec};
  options.num_workers = num_workers;
  options.staleness = staleness;
  options.partition_size = partition_size;
  options.partition_index = 0;
  return options;
}

// Starts a shard; a failure is a test failure and returns nullptr.
inline std::unique_ptr<ShardServer> StartOrFail(const ShardOptions& options) {
  absl::StatusOr<std::unique_ptr<ShardServer>> server = ShardServer::Start(options);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(*server) : nullptr;
}

// The values of a ReadReply (a test failure if `message` is not one).
inline std::vector<float> ReadValues(const rpc::ShardMessage& message) {
  EXPECT_TRUE(message.has_read()) << message.DebugString();
  return common::Unpack<float>(message.read().values());
}

inline std::string PackRows(const std::vector<uint64_t>& rows) {
  std::string out;
  common::AppendPacked<uint64_t>(&out, std::span<const uint64_t>(rows));
  return out;
}

inline std::string PackFloats(const std::vector<float>& values) {
  std::string out;
  common::AppendPacked<float>(&out, std::span<const float>(values));
  return out;
}

inline rpc::TableDelta DenseDelta(uint32_t table_id, const std::vector<uint64_t>& rows,
                                  const std::vector<float>& values) {
  rpc::TableDelta delta;
  delta.set_table_id(table_id);
  delta.set_dense_row_ids(PackRows(rows));
  delta.set_dense_values(PackFloats(values));
  return delta;
}

// One worker's Session stream, driven synchronously.
class TestSession {
 public:
  explicit TestSession(int port) : channel_(Connect(port)), stub_(rpc::Shard::NewStub(channel_)) {
    context_.set_deadline(std::chrono::system_clock::now() + kRpcDeadline);
    stream_ = stub_->Session(&context_);
  }

  // A session the test did not close is cancelled, like a worker that died.
  ~TestSession() {
    if (!finished_) {
      context_.TryCancel();
      stream_->Finish();
    }
  }

  bool Send(const rpc::WorkerMessage& message) { return stream_->Write(message); }

  // Next message from the shard, or nullopt when the stream has ended.
  std::optional<rpc::ShardMessage> Next() {
    rpc::ShardMessage message;
    if (!stream_->Read(&message)) return std::nullopt;
    return message;
  }

  // Sends Hello and returns the shard's answer (HelloReply or Error).
  std::optional<rpc::ShardMessage> Hello(const std::string& job_id, uint32_t worker_id) {
    rpc::WorkerMessage message;
    message.mutable_hello()->set_job_id(job_id);
    message.mutable_hello()->set_worker_id(worker_id);
    message.mutable_hello()->set_session_nonce(0x5eed);
    if (!Send(message)) return std::nullopt;
    return Next();
  }

  bool Push(int64_t clock, std::vector<rpc::TableDelta> deltas) {
    rpc::WorkerMessage message;
    message.mutable_push()->set_clock(clock);
    for (rpc::TableDelta& delta : deltas) *message.mutable_push()->add_tables() = std::move(delta);
    return Send(message);
  }

  bool Tick(int64_t clock) {
    rpc::WorkerMessage message;
    message.mutable_clock()->set_clock(clock);
    return Send(message);
  }

  bool Goodbye(int64_t final_clock) {
    rpc::WorkerMessage message;
    message.mutable_goodbye()->set_final_clock(final_clock);
    return Send(message);
  }

  bool SendRead(uint64_t request_id, uint32_t table_id, const std::vector<uint64_t>& rows,
                int64_t min_clock) {
    rpc::WorkerMessage message;
    rpc::ReadRequest* read = message.mutable_read();
    read->set_request_id(request_id);
    read->set_table_id(table_id);
    read->set_row_ids(PackRows(rows));
    read->set_min_clock(min_clock);
    return Send(message);
  }

  // Sends a read and waits for its answer (any message with this request id
  // is returned; messages for other requests are appended to `others`).
  std::optional<rpc::ShardMessage> Read(uint64_t request_id, uint32_t table_id,
                                        const std::vector<uint64_t>& rows, int64_t min_clock,
                                        std::vector<rpc::ShardMessage>* others = nullptr) {
    if (!SendRead(request_id, table_id, rows, min_clock)) return std::nullopt;
    return WaitFor(request_id, others);
  }

  std::optional<rpc::ShardMessage> WaitFor(uint64_t request_id,
                                           std::vector<rpc::ShardMessage>* others = nullptr) {
    for (int i = 0; i < 100000; ++i) {
      std::optional<rpc::ShardMessage> message = Next();
      if (!message) return std::nullopt;
      const bool match = (message->has_read() && message->read().request_id() == request_id) ||
                         (message->has_error() && message->error().request_id() == request_id);
      if (match) return message;
      if (others != nullptr) others->push_back(*message);
    }
    return std::nullopt;
  }

  // Round trip: every message sent before has been processed by the shard
  // when this returns. Returns the messages that arrived meanwhile (errors).
  std::vector<rpc::ShardMessage> Sync() {
    std::vector<rpc::ShardMessage> others;
    const uint64_t id = kSyncBase + next_sync_++;
    EXPECT_TRUE(Read(id, 0, {}, std::numeric_limits<int64_t>::min(), &others).has_value());
    return others;
  }

  // Half-closes and returns the final status.
  grpc::Status Close() {
    stream_->WritesDone();
    for (int i = 0; i < 100000 && Next().has_value(); ++i) {
    }
    return Finish();
  }

  // The final status, once the shard has ended the stream.
  grpc::Status Finish() {
    finished_ = true;
    return stream_->Finish();
  }

 private:
  static constexpr uint64_t kSyncBase = uint64_t{1} << 62;

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<rpc::Shard::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<rpc::WorkerMessage, rpc::ShardMessage>> stream_;
  uint64_t next_sync_ = 0;
  bool finished_ = false;
};

// Values of a table (from Control.Dump) by row id.
struct TableDump {
  std::vector<uint64_t> rows;
  std::vector<float> values;
  bool operator==(const TableDump&) const = default;
};

inline grpc::Status DumpTable(int port, uint32_t table_id, TableDump* out) {
  auto stub = rpc::Control::NewStub(Connect(port));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kRpcDeadline);
  rpc::DumpRequest request;
  request.set_table_id(table_id);
  rpc::DumpReply reply;
  grpc::Status status = stub->Dump(&context, request, &reply);
  out->rows = common::Unpack<uint64_t>(reply.row_ids());
  out->values = common::Unpack<float>(reply.values());
  return status;
}

inline grpc::Status ShardStatus(int port, rpc::StatusReply* reply) {
  auto stub = rpc::Control::NewStub(Connect(port));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kRpcDeadline);
  return stub->Status(&context, rpc::StatusRequest(), reply);
}

}  // namespace gaia::server::testing

#endif  // GAIA_TESTS_SERVER_SHARD_TEST_UTIL_H_
