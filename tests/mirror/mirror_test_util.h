// Helpers shared by the multi-DC mirror tests: a workload that records the
// sum of every update, the convergence check, a raw Mirror.Link client that
// poses as another DC, and a stand-in mirror server that captures the hello
// a real mirror sends (so a test can reuse its layout fingerprint).
#ifndef GAIA_TESTS_MIRROR_MIRROR_TEST_UTIL_H_
#define GAIA_TESTS_MIRROR_MIRROR_TEST_UTIL_H_

#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gaia/worker.h"
#include "proto/gaia.grpc.pb.h"
#include "proto/gaia.pb.h"
#include "src/common/packing.h"
#include "tests/mirror/geo_cluster.h"

namespace gaia::testing {

inline common::TableSpec Table(std::string name, uint64_t rows, uint32_t width) {
  common::TableSpec spec;
  spec.name = std::move(name);
  spec.rows = rows;
  spec.width = width;
  spec.init = common::InitKind::kNormal;
  spec.init_stddev = 1.0;
  return spec;
}

// Four DCs in groups {0, 1} and {2, 3}; dc 1 is the hub towards {2, 3}, dc 2
// towards {0, 1} (a GeoCluster::Config overlay).
inline mirror::Overlay TwoGroups(uint32_t /*num_dcs*/) {
  return mirror::Overlay({0, 0, 1, 1}, {{0, 1}, {2, 2}});
}

// Polls `condition` every 10 ms until it holds or `timeout` passes.
inline bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (condition()) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
}

struct Workload {
  int clocks = 10;
  uint64_t seed = 1;
  int updates_per_clock = 20;
  // Called after each Clock() of worker w of dc with its new clock.
  std::function<void(uint32_t dc, uint32_t w, int64_t clock)> on_clock;
  // If set, reported before each Clock() (clock = iteration, from 0).
  std::function<double(int64_t clock)> learning_rate;
  // If set, only this DC's workers run.
  std::optional<uint32_t> only_dc;
};

// Per table (table id = index), its elements row-major: every DC's copy
// of a table (GeoCluster::TableValues), or the sum of the updates to it.
using ModelValues = std::vector<std::vector<float>>;
using ModelSums = std::vector<std::vector<double>>;

// Every table of one DC's copy.
inline ModelValues AllTableValues(const GeoCluster& cluster, uint32_t dc) {
  ModelValues values;
  for (uint32_t t = 0; t < cluster.config().tables.size(); ++t) {
    values.push_back(cluster.TableValues(dc, t));
  }
  return values;
}

// Runs the workload on every worker of every DC (random rows, a Get and an
// Inc per update, the updates of a clock spread over the tables in turn)
// and returns the sum of all deltas per element of every table.
inline ModelSums RunWorkers(const GeoCluster& cluster, const Workload& work) {
  const std::vector<common::TableSpec>& specs = cluster.config().tables;
  const uint32_t dcs = cluster.config().num_dcs;
  const uint32_t per_dc = cluster.config().workers_per_dc;
  ModelSums zero;
  for (const common::TableSpec& spec : specs) zero.emplace_back(spec.rows * spec.width, 0.0);
  std::vector<ModelSums> sums(dcs * per_dc, zero);
  std::vector<std::thread> threads;
  for (uint32_t dc = 0; dc < dcs; ++dc) {
    if (work.only_dc.has_value() && dc != *work.only_dc) continue;
    for (uint32_t w = 0; w < per_dc; ++w) {
      threads.emplace_back([&, dc, w] {
        auto worker = Worker::Connect(cluster.Options(dc, w));
        ASSERT_TRUE(worker.ok()) << worker.status();
        std::vector<gaia::Table> tables;
        for (const common::TableSpec& spec : specs) {
          auto table = (*worker)->GetTable(spec.name);
          ASSERT_TRUE(table.ok()) << table.status();
          tables.push_back(*table);
        }
        std::mt19937_64 rng(work.seed * 1000 + dc * 10 + w);
        std::normal_distribution<float> noise(0.0f, 0.05f);
        ModelSums& sum = sums[dc * per_dc + w];
        std::vector<float> row, delta;
        for (int c = 0; c < work.clocks; ++c) {
          for (int u = 0; u < work.updates_per_clock; ++u) {
            const size_t t = static_cast<size_t>(u) % specs.size();
            const common::TableSpec& spec = specs[t];
            const uint64_t r = std::uniform_int_distribution<uint64_t>(0, spec.rows - 1)(rng);
            row.resize(spec.width);
            delta.resize(spec.width);
            ASSERT_TRUE(tables[t].Get(r, row).ok()) << "dc " << dc << " clock " << c;
            for (uint32_t i = 0; i < spec.width; ++i) {
              delta[i] = noise(rng);
              sum[t][r * spec.width + i] += delta[i];
            }
            ASSERT_TRUE(tables[t].Inc(r, delta).ok());
          }
          if (work.learning_rate) (*worker)->ReportLearningRate(work.learning_rate(c));
          ASSERT_TRUE((*worker)->Clock().ok());
          if (work.on_clock) work.on_clock(dc, w, (*worker)->clock());
        }
        ASSERT_TRUE((*worker)->Finish().ok());
      });
    }
  }
  for (auto& t : threads) t.join();
  ModelSums total = zero;
  for (const ModelSums& s : sums) {
    for (size_t t = 0; t < s.size(); ++t) {
      for (size_t i = 0; i < s[t].size(); ++i) total[t][i] += s[t][i];
    }
  }
  return total;
}

inline ModelSums RunWorkers(const GeoCluster& cluster, int clocks, uint64_t seed) {
  Workload work;
  work.clocks = clocks;
  work.seed = seed;
  return RunWorkers(cluster, work);
}

// DESIGN.md §5 "Nothing lost, nothing doubled", for every table of `dc`:
// each element is initial + sum (to float tolerance). A NaN, a missing
// table or a table of another size is a mismatch too. The failure names the
// first few mismatches.
inline ::testing::AssertionResult DcHas(const GeoCluster& cluster, uint32_t dc,
                                        const ModelValues& initial, const ModelSums& sum) {
  const size_t num_tables = cluster.config().tables.size();
  if (initial.size() != num_tables || sum.size() != num_tables) {
    return ::testing::AssertionFailure() << num_tables << " tables, but " << initial.size()
                                         << " initial and " << sum.size() << " sums";
  }
  ::testing::AssertionResult result = ::testing::AssertionFailure();
  size_t bad = 0;
  for (uint32_t t = 0; t < num_tables; ++t) {
    const std::vector<float> values = cluster.TableValues(dc, t);
    if (values.size() != initial[t].size() || values.size() != sum[t].size()) {
      return ::testing::AssertionFailure()
             << "dc " << dc << " table " << t << " has " << values.size() << " elements, "
             << initial[t].size() << " initial and " << sum[t].size() << " sums";
    }
    for (size_t i = 0; i < values.size(); ++i) {
      const double want = initial[t][i] + sum[t][i];
      // Negated so that a NaN is a mismatch.
      if (!(std::abs(values[i] - want) <= 1e-3 * (1 + std::abs(want))) && ++bad <= 5) {
        result << "\ndc " << dc << " table " << t << " element " << i << ": " << values[i]
               << " != " << want;
      }
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return result << "\n" << bad << " elements differ";
}

// DcHas for every DC.
inline ::testing::AssertionResult EveryDcHas(const GeoCluster& cluster, const ModelValues& initial,
                                             const ModelSums& sum) {
  for (uint32_t dc = 0; dc < cluster.config().num_dcs; ++dc) {
    ::testing::AssertionResult result = DcHas(cluster, dc, initial, sum);
    if (!result) return result;
  }
  return ::testing::AssertionSuccess();
}

inline void ExpectEveryDcHas(const GeoCluster& cluster, const ModelValues& initial,
                             const ModelSums& sum) {
  EXPECT_TRUE(EveryDcHas(cluster, initial, sum));
}

// The end-to-end check most mirror tests make: the default workload (`clocks`
// clocks, `seed`) on every worker, every mirror quiescent within `timeout`,
// then "nothing lost, nothing doubled" in every DC. Call it through
// ASSERT_NO_FATAL_FAILURE.
inline void RunAndExpectExact(const GeoCluster& cluster, int clocks, uint64_t seed,
                              absl::Duration timeout) {
  const ModelValues initial = AllTableValues(cluster, 0);
  const ModelSums sum = RunWorkers(cluster, clocks, seed);
  ASSERT_TRUE(cluster.AwaitQuiescent(timeout));
  ExpectEveryDcHas(cluster, initial, sum);
}

// Stats of the link between `mirror` and `peer` in one direction.
inline rpc::MirrorLinkStats LinkStats(const rpc::MirrorStatusReply& status, uint32_t peer,
                                      bool outgoing) {
  for (const rpc::MirrorLinkStats& link : status.links()) {
    if (link.peer_dc() == peer && link.outgoing() == outgoing) return link;
  }
  return rpc::MirrorLinkStats();
}

// A client end of one Mirror.Link stream, written by hand (synchronous API;
// every call is bounded by the stream's deadline).
class RawLink {
 public:
  explicit RawLink(int port, absl::Duration deadline = absl::Seconds(10))
      : stub_(rpc::Mirror::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                       grpc::InsecureChannelCredentials()))) {
    context_.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    stream_ = stub_->Link(&context_);
  }
  ~RawLink() {
    if (!finished_) {
      context_.TryCancel();
      stream_->Finish();
    }
  }
  RawLink(const RawLink&) = delete;
  RawLink& operator=(const RawLink&) = delete;

  bool Send(const rpc::MirrorMessage& message) { return stream_->Write(message); }
  bool Send(const rpc::MirrorHello& hello) {
    rpc::MirrorMessage m;
    *m.mutable_hello() = hello;
    return Send(m);
  }
  bool Send(const rpc::MirrorBatch& batch) {
    rpc::MirrorMessage m;
    *m.mutable_batch() = batch;
    return Send(m);
  }
  bool Send(const rpc::AspBarrier& barrier) {
    rpc::MirrorMessage m;
    *m.mutable_barrier() = barrier;
    return Send(m);
  }

  // The next reply; nullopt once the server ended the stream.
  std::optional<rpc::MirrorReply> Receive() {
    rpc::MirrorReply reply;
    if (!stream_->Read(&reply)) return std::nullopt;
    return reply;
  }

  // Sends the hello; returns the welcome's next_seq, or nullopt (and the
  // error reply in *error) if refused.
  std::optional<uint64_t> Open(const rpc::MirrorHello& hello, rpc::Error* error = nullptr) {
    if (!Send(hello)) return std::nullopt;
    std::optional<rpc::MirrorReply> reply = Receive();
    if (!reply) return std::nullopt;
    if (reply->has_error() && error != nullptr) *error = reply->error();
    if (!reply->has_welcome()) return std::nullopt;
    return reply->welcome().next_seq();
  }

  // Sends a batch and returns the ack it gets (nullopt: the stream ended,
  // and the error reply, if any, is in *error).
  std::optional<uint64_t> SendAndAwaitAck(const rpc::MirrorBatch& batch,
                                          rpc::Error* error = nullptr) {
    if (!Send(batch)) return std::nullopt;
    std::optional<rpc::MirrorReply> reply = Receive();
    if (!reply) return std::nullopt;
    if (reply->has_error() && error != nullptr) *error = reply->error();
    if (!reply->has_ack()) return std::nullopt;
    return reply->ack().acked_through();
  }

  // After the server ended the stream (or to end it): its final status.
  grpc::Status Finish() {
    stream_->WritesDone();
    rpc::MirrorReply ignored;
    for (int i = 0; i < 1000 && stream_->Read(&ignored); ++i) {
    }
    finished_ = true;
    return stream_->Finish();
  }

 private:
  std::unique_ptr<rpc::Mirror::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<rpc::MirrorMessage, rpc::MirrorReply>> stream_;
  bool finished_ = false;
};

// A stand-in for a DC's mirror server: records the hello of every link that
// reaches it and refuses the link.
class HelloCatcher final : public rpc::Mirror::Service {
 public:
  HelloCatcher() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(this);
    server_ = builder.BuildAndStart();
  }
  ~HelloCatcher() override {
    if (server_) server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Milliseconds(200)));
  }

  bool ok() const { return server_ != nullptr && port_ != 0; }
  int port() const { return port_; }

  // The first hello seen from shard `shard`, waiting up to `timeout`.
  std::optional<rpc::MirrorHello> Await(uint32_t shard, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto seen = [this, shard]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return hellos_.count(shard) > 0;
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&seen), timeout)) return std::nullopt;
    return hellos_.at(shard);
  }

  grpc::Status Link(grpc::ServerContext* /*context*/,
                    grpc::ServerReaderWriter<rpc::MirrorReply, rpc::MirrorMessage>* stream)
      override {
    rpc::MirrorMessage message;
    if (stream->Read(&message) && message.has_hello()) {
      absl::MutexLock lock(&mu_);
      hellos_.emplace(message.hello().shard(), message.hello());
    }
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "hello catcher");
  }

 private:
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  absl::Mutex mu_;
  std::map<uint32_t, rpc::MirrorHello> hellos_ ABSL_GUARDED_BY(mu_);
};

// A sparse TableDelta: vals[i] added to column cols[i] of each row in `rows`.
inline rpc::TableDelta SparseDelta(uint32_t table, const std::vector<uint64_t>& rows,
                                   const std::vector<uint32_t>& cols,
                                   const std::vector<float>& vals) {
  rpc::TableDelta delta;
  delta.set_table_id(table);
  for (uint64_t row : rows) {
    common::AppendPacked<uint64_t>(delta.mutable_sparse_row_ids(), row);
    common::AppendPacked<uint32_t>(delta.mutable_sparse_row_nnz(),
                                   static_cast<uint32_t>(cols.size()));
    for (size_t i = 0; i < cols.size(); ++i) {
      common::AppendPacked<uint32_t>(delta.mutable_sparse_entries(), cols[i]);
      common::AppendPacked<float>(delta.mutable_sparse_entries(), vals[i]);
    }
  }
  return delta;
}

}  // namespace gaia::testing

#endif  // GAIA_TESTS_MIRROR_MIRROR_TEST_UTIL_H_
