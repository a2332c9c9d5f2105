// The launcher's writer and the worker's reader of the --gaia-config file
// (src/worker/worker_config.h) agree.
#include "src/worker/worker_config.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace gaia::internal {
namespace {

void ExpectSameOptions(const WorkerOptions& a, const WorkerOptions& b) {
  EXPECT_EQ(a.job_id, b.job_id);
  EXPECT_EQ(a.worker_id, b.worker_id);
  EXPECT_EQ(a.shard_addresses, b.shard_addresses);
  EXPECT_EQ(a.dc, b.dc);
  EXPECT_EQ(a.data_part, b.data_part);
  EXPECT_EQ(a.data_parts, b.data_parts);
  EXPECT_EQ(a.data, b.data);
  EXPECT_EQ(a.metrics_path, b.metrics_path);
  EXPECT_EQ(a.connect_timeout_ms, b.connect_timeout_ms);
  EXPECT_EQ(a.read_timeout_ms, b.read_timeout_ms);
  EXPECT_EQ(a.max_batch_bytes, b.max_batch_bytes);
  EXPECT_EQ(a.enable_cache, b.enable_cache);
  EXPECT_EQ(a.tls_cert_file, b.tls_cert_file);
  EXPECT_EQ(a.tls_key_file, b.tls_key_file);
  EXPECT_EQ(a.tls_ca_file, b.tls_ca_file);
  EXPECT_EQ(a.tls_token_file, b.tls_token_file);
}

WorkerOptions LauncherOptions() {
  WorkerOptions o;
  o.job_id = "mf-2dc-gaia-20261206-1";
  o.worker_id = 3;
  o.dc = "virginia";
  o.data_part = 1;
  o.data_parts = 4;
  o.data = "data/ratings.csv";
  o.metrics_path = "results/mf/t/work/gaia/worker-3.metrics.jsonl";
  o.shard_addresses = {"unix-abstract:gaia-1-gaia-0-j", "127.0.0.1:40001"};
  return o;
}

TEST(WorkerConfig, WhatTheLauncherWritesReadsBackUnchanged) {
  const WorkerOptions written = LauncherOptions();
  absl::StatusOr<WorkerOptions> read = ParseWorkerConfig(WorkerConfigJson(written), "w.json");
  ASSERT_TRUE(read.ok()) << read.status();
  ExpectSameOptions(*read, written);
}

// TLS material travels as paths; the token itself is never in the config.
TEST(WorkerConfig, TlsFilesReadBackAndOnlyTheirPathsAreWritten) {
  WorkerOptions o = LauncherOptions();
  EXPECT_EQ(WorkerConfigJson(o).find("tls_"), std::string::npos);
  o.tls_cert_file = "results/j/t/tls/127.0.0.1.crt";
  o.tls_key_file = "results/j/t/tls/127.0.0.1.key";
  o.tls_ca_file = "results/j/t/tls/ca.crt";
  o.tls_token_file = "results/j/t/tls/token";
  const std::string text = WorkerConfigJson(o);
  EXPECT_NE(text.find("\"tls_token_file\": \"results/j/t/tls/token\""), std::string::npos)
      << text;
  absl::StatusOr<WorkerOptions> read = ParseWorkerConfig(text, "w.json");
  ASSERT_TRUE(read.ok()) << read.status();
  ExpectSameOptions(*read, o);
}

TEST(WorkerConfig, TuningKeysAreWrittenOnlyWhenTheyDifferFromTheDefaults) {
  WorkerOptions o = LauncherOptions();
  const std::string plain = WorkerConfigJson(o);
  EXPECT_EQ(plain.find("read_timeout_ms"), std::string::npos) << plain;
  EXPECT_EQ(plain.find("enable_cache"), std::string::npos) << plain;

  o.connect_timeout_ms = 1500;
  o.read_timeout_ms = 2500;
  o.max_batch_bytes = 65536;
  o.enable_cache = false;
  const std::string tuned = WorkerConfigJson(o);
  EXPECT_NE(tuned.find("\"read_timeout_ms\": 2500"), std::string::npos) << tuned;
  absl::StatusOr<WorkerOptions> read = ParseWorkerConfig(tuned, "w.json");
  ASSERT_TRUE(read.ok()) << read.status();
  ExpectSameOptions(*read, o);
}

TEST(WorkerConfig, ReaderNamesTheFileAndKeyOfABadValue) {
  absl::StatusOr<WorkerOptions> read =
      ParseWorkerConfig(R"({"job_id": "j", "shard_addresses": ["h:1"], "dc": 7})", "cfg.json");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(read.status().message().find("cfg.json: dc"), std::string::npos) << read.status();
  EXPECT_FALSE(ParseWorkerConfig("{", "cfg.json").ok());
}

}  // namespace
}  // namespace gaia::internal
