// In-process shards on 127.0.0.1:0 for worker tests: a whole clock group's
// partition, plus WorkerOptions pointing at it (over TCP, or over the shards'
// same-host Unix sockets with Config::unix_socket).
#ifndef GAIA_TESTS_WORKER_TEST_CLUSTER_H_
#define GAIA_TESTS_WORKER_TEST_CLUSTER_H_

#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gaia/options.h"
#include "gaia/worker.h"
#include "src/common/job_spec.h"
#include "src/server/shard_server.h"

namespace gaia::testing {

inline common::TableSpec ZeroTable(std::string name, uint64_t rows, uint32_t width) {
  common::TableSpec spec;
  spec.name = std::move(name);
  spec.rows = rows;
  spec.width = width;
  return spec;
}

class TestCluster {
 public:
  struct Config {
    std::string job_id = "worker-test";
    std::vector<common::TableSpec> tables;
    uint32_t num_shards = 2;
    uint32_t num_workers = 1;
    int32_t staleness = 0;
    bool unix_socket = false;  // workers connect to ShardOptions::local_address
  };

  explicit TestCluster(Config config) : config_(std::move(config)) {
    for (uint32_t i = 0; i < config_.num_shards; ++i) {
      server::ShardOptions options;
      options.job_id = config_.job_id;
      options.tables = config_.tables;
      options.partition_index = i;
      options.partition_size = config_.num_shards;
      options.num_workers = config_.num_workers;
      options.staleness = config_.staleness;
      options.listen_address = "127.0.0.1:0";
      if (config_.unix_socket) options.local_address = LocalAddress(i);
      auto shard = server::ShardServer::Start(options);
      EXPECT_TRUE(shard.ok()) << shard.status();
      if (!shard.ok()) return;
      addresses_.push_back(config_.unix_socket ? options.local_address
                                               : "127.0.0.1:" + std::to_string((*shard)->port()));
      shards_.push_back(std::move(*shard));
    }
  }

  bool ok() const { return shards_.size() == config_.num_shards; }

  WorkerOptions Options(uint32_t worker_id) const {
    WorkerOptions options;
    options.job_id = config_.job_id;
    options.worker_id = worker_id;
    options.shard_addresses = addresses_;
    options.dc = "test-dc";
    // Short enough that a bug fails the test instead of hanging it.
    options.connect_timeout_ms = 10000;
    options.read_timeout_ms = 20000;
    return options;
  }

  server::ShardServer& shard(size_t i) { return *shards_[i]; }
  // Destroys shard i (its port stops answering).
  void Kill(size_t i) { shards_[i].reset(); }
  const std::vector<std::string>& addresses() const { return addresses_; }

  // A Unix socket address unique to this process, cluster and shard.
  static std::string LocalAddress(uint32_t shard) {
    static std::atomic<int> clusters{0};
    return "unix-abstract:gaia-test-" + std::to_string(getpid()) + "-" +
           std::to_string(clusters++) + "-" + std::to_string(shard);
  }

 private:
  Config config_;
  std::vector<std::unique_ptr<server::ShardServer>> shards_;
  std::vector<std::string> addresses_;
};

// A worker connected with `options`, or null after a test failure.
inline std::unique_ptr<Worker> MustConnect(const WorkerOptions& options) {
  absl::StatusOr<std::unique_ptr<Worker>> worker = Worker::Connect(options);
  EXPECT_TRUE(worker.ok()) << worker.status();
  return worker.ok() ? std::move(*worker) : nullptr;
}

// The worker's table `name`, or an empty handle after a test failure.
inline Table MustTable(const Worker& worker, const std::string& name) {
  absl::StatusOr<Table> table = worker.GetTable(name);
  EXPECT_TRUE(table.ok()) << table.status();
  return table.ok() ? *table : Table();
}

}  // namespace gaia::testing

#endif  // GAIA_TESTS_WORKER_TEST_CLUSTER_H_
