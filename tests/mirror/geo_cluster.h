// Several DCs in one test process: per DC a clock group of shards, each with
// its ASP mirror (one mirror::DcShard, as `gaia server` builds it), on
// 127.0.0.1:0 (STYLE.md §13). Workers connect with
// Options(dc, worker).
//
//   GeoCluster cluster({.num_dcs = 2, .tables = {...}});
//   auto worker = gaia::Worker::Connect(cluster.Options(0, 0));
//   ...
//   ASSERT_TRUE(cluster.AwaitQuiescent(absl::Seconds(20)));
//   std::vector<float> values = cluster.TableValues(dc, table);
#ifndef GAIA_TESTS_MIRROR_GEO_CLUSTER_H_
#define GAIA_TESTS_MIRROR_GEO_CLUSTER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gaia/options.h"
#include "src/common/job_spec.h"
#include "src/common/link_security.h"
#include "src/common/packing.h"
#include "src/mirror/dc_shard.h"
#include "src/mirror/mirror.h"
#include "src/server/shard_core.h"
#include "src/server/shard_server.h"
#include "src/significance/registry.h"

namespace gaia::testing {

class GeoCluster {
 public:
  struct Config {
    std::string job_id = "mirror-test";
    uint32_t num_dcs = 2;
    uint32_t shards_per_dc = 1;
    uint32_t workers_per_dc = 1;
    int32_t staleness = 0;
    std::vector<common::TableSpec> tables;
    // Groups and hubs; default: one group (full broadcast).
    std::function<mirror::Overlay(uint32_t num_dcs)> overlay;
    std::string significance = "relative";
    significance::ThresholdOptions threshold;
    int32_t ds = 2;
    significance::ValueEmission values = significance::ValueEmission::kHalf;
    double compress_below_mbps = 200;  // MirrorOptions
    bool barriers = true;
    double barrier_backlog_ms = 100;
    // Larger incoming mirror messages are refused (MirrorOptions).
    size_t max_message_bytes = 64 << 20;
    // Per-link queue bound of a sweep round (MirrorOptions).
    size_t max_queued_bytes = 8 << 20;
    // Rewrites the address dc `from` uses to reach a peer (e.g. through a
    // relay); default: direct. An empty address leaves the link idle until
    // the next ConnectPeers().
    std::function<std::string(uint32_t from, uint32_t to, uint32_t shard, int port)> route;
    // Mutual TLS and the job token on every shard, mirror and worker link
    // (all empty: plaintext).
    common::TlsFiles tls;
  };

  explicit GeoCluster(Config config)
      : config_(std::move(config)), registry_(std::make_shared<significance::Registry>(1e-3)) {
    absl::StatusOr<std::shared_ptr<const common::LinkSecurity>> security =
        common::LinkSecurity::Load(config_.tls);
    EXPECT_TRUE(security.ok()) << security.status();
    if (!security.ok()) return;
    security_ = *security;
    for (uint32_t dc = 0; dc < config_.num_dcs; ++dc) {
      for (uint32_t k = 0; k < config_.shards_per_dc; ++k) {
        std::unique_ptr<mirror::DcShard> started = StartShard(dc, k);
        if (started == nullptr) return;
        dcs_.push_back(std::move(started));
      }
    }
    ConnectPeers();
    ok_ = true;
  }

  ~GeoCluster() {
    // Every mirror first, so none sends to a DC already gone. (A slot is
    // null after a RestartShard that failed.)
    for (auto& dc : dcs_) {
      if (dc != nullptr && dc->mirror() != nullptr) dc->mirror()->Stop();
    }
    for (auto& dc : dcs_) {
      if (dc != nullptr) dc->Shutdown();
    }
  }

  bool ok() const { return ok_; }

  WorkerOptions Options(uint32_t dc, uint32_t worker) const {
    WorkerOptions options;
    options.job_id = config_.job_id;
    options.worker_id = worker;
    for (uint32_t k = 0; k < config_.shards_per_dc; ++k) {
      options.shard_addresses.push_back("127.0.0.1:" + std::to_string(shard(dc, k).port()));
    }
    options.dc = "dc" + std::to_string(dc);
    options.connect_timeout_ms = 10000;
    options.read_timeout_ms = 30000;
    options.tls_cert_file = config_.tls.cert;
    options.tls_key_file = config_.tls.key;
    options.tls_ca_file = config_.tls.ca;
    options.tls_token_file = config_.tls.token;
    return options;
  }

  server::ShardServer& shard(uint32_t dc, uint32_t k) const {
    return dcs_[dc * config_.shards_per_dc + k]->shard();
  }
  mirror::Mirror& mirror(uint32_t dc, uint32_t k) const {
    return *dcs_[dc * config_.shards_per_dc + k]->mirror();
  }
  int mirror_port(uint32_t dc, uint32_t k) const { return mirror(dc, k).port(); }

  // Shard k of `dc` comes back as a restarted `gaia server` process would:
  // the old shard and its mirror stop, and a new DcShard for the same
  // (dc, k) starts on new ports with a fresh store (the initial values), a
  // fresh receiver and a fresh MirrorSender (a new incarnation); then every
  // mirror learns the new address. A test seam: restarting the mirror alone
  // is not possible, since a shard holds its mirror as update sink and read
  // gate from its start. The shard's workers connect again through
  // Options(dc, w). Returns false if the new shard did not start.
  bool RestartShard(uint32_t dc, uint32_t k) {
    std::unique_ptr<mirror::DcShard>& slot = dcs_[dc * config_.shards_per_dc + k];
    slot->Shutdown();
    slot = StartShard(dc, k);
    if (slot == nullptr) return false;
    ConnectPeers();
    return true;
  }

  // (Re)sends every mirror its peers' addresses (after a route change).
  void ConnectPeers() {
    for (uint32_t dc = 0; dc < config_.num_dcs; ++dc) {
      for (uint32_t k = 0; k < config_.shards_per_dc; ++k) {
        std::map<uint32_t, std::string> peers;
        for (uint32_t to = 0; to < config_.num_dcs; ++to) {
          if (to == dc) continue;
          const int port = mirror_port(to, k);
          peers[to] = config_.route ? config_.route(dc, to, k, port)
                                    : "127.0.0.1:" + std::to_string(port);
        }
        mirror(dc, k).SetPeers(peers);
      }
    }
  }

  // Every mirror has flushed after its workers finished, and nothing is
  // queued, unacknowledged or being applied anywhere, twice in a row with
  // no message moving in between.
  bool AwaitQuiescent(absl::Duration timeout) const {
    const absl::Time deadline = absl::Now() + timeout;
    uint64_t last_total = ~uint64_t{0};
    while (absl::Now() < deadline) {
      bool quiet = true;
      uint64_t total = 0;
      for (const auto& dc : dcs_) {
        const rpc::MirrorStatusReply status = dc->mirror()->GetStatus();
        quiet = quiet && status.final_flush_done() && status.idle();
        for (const rpc::MirrorLinkStats& link : status.links()) total += link.messages();
      }
      if (quiet && total == last_total) return true;
      last_total = quiet ? total : ~uint64_t{0};
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }

  // Values of every row of a table in one DC (row-major, rows ascending).
  std::vector<float> TableValues(uint32_t dc, uint32_t table) const {
    const common::TableSpec& spec = config_.tables[table];
    std::vector<float> values(spec.rows * spec.width, 0.0f);
    for (uint32_t k = 0; k < config_.shards_per_dc; ++k) {
      auto dump = shard(dc, k).core()->Dump(table);
      EXPECT_TRUE(dump.ok()) << dump.status();
      if (!dump.ok()) continue;
      std::vector<uint64_t> rows = common::Unpack<uint64_t>(dump->row_ids());
      std::vector<float> vals = common::Unpack<float>(dump->values());
      for (size_t i = 0; i < rows.size(); ++i) {
        std::copy_n(vals.begin() + i * spec.width, spec.width,
                    values.begin() + rows[i] * spec.width);
      }
    }
    return values;
  }

  const Config& config() const { return config_; }

 private:
  // Null (and a test failure) if it does not start.
  std::unique_ptr<mirror::DcShard> StartShard(uint32_t dc, uint32_t k) {
    mirror::DcShardOptions options;
    mirror::MirrorOptions& m = options.mirror.emplace();
    m.job_id = config_.job_id;
    m.dc = dc;
    m.partition_index = k;
    m.partition_size = config_.shards_per_dc;
    m.tables = config_.tables;
    m.overlay = config_.overlay ? config_.overlay(config_.num_dcs)
                                : mirror::Overlay(std::vector<uint32_t>(config_.num_dcs, 0), {{0}});
    auto fn = registry_->Find(config_.significance);
    EXPECT_TRUE(fn.ok()) << fn.status();
    if (!fn.ok()) return nullptr;
    m.significance = *fn;
    m.threshold = config_.threshold;
    m.ds = config_.ds;
    m.values = config_.values;
    m.compress_below_mbps = config_.compress_below_mbps;
    m.barriers = config_.barriers;
    m.barrier_backlog_ms = config_.barrier_backlog_ms;
    m.max_message_bytes = config_.max_message_bytes;
    m.max_queued_bytes = config_.max_queued_bytes;
    m.reconnect_backoff_ms = 50;
    m.security = security_;
    options.registry = registry_;

    server::ShardOptions& shard = options.shard;
    shard.job_id = config_.job_id;
    shard.tables = config_.tables;
    shard.partition_index = k;
    shard.partition_size = config_.shards_per_dc;
    shard.num_workers = config_.workers_per_dc;
    shard.staleness = config_.staleness;
    shard.shutdown_grace_ms = 200;
    shard.security = security_;
    auto started = mirror::DcShard::Start(std::move(options));
    EXPECT_TRUE(started.ok()) << started.status();
    if (!started.ok()) return nullptr;
    return std::move(*started);
  }

  Config config_;
  // Shared with every DcShard, which keeps it alive as long as its mirror.
  std::shared_ptr<significance::Registry> registry_;
  std::shared_ptr<const common::LinkSecurity> security_;
  std::vector<std::unique_ptr<mirror::DcShard>> dcs_;  // dc-major: dc * shards_per_dc + k
  bool ok_ = false;
};

}  // namespace gaia::testing

#endif  // GAIA_TESTS_MIRROR_GEO_CLUSTER_H_
