#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "gaia/options.h"

namespace gaia {
namespace {

class OptionsFileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& text) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = (std::filesystem::temp_directory_path() /
             (std::string("gaia_options_") + info->name() + "_" +
              std::to_string(::getpid()) + ".json"))
                .string();
    std::ofstream(path_) << text;
    return path_;
  }
  void TearDown() override {
    if (!path_.empty()) std::filesystem::remove(path_);
  }
  std::string path_;
};

TEST_F(OptionsFileTest, ParsesEveryKey) {
  const std::string path = Write(R"({
    "job_id": "job-7", "worker_id": 3,
    "shard_addresses": ["127.0.0.1:5000", "127.0.0.1:5001"],
    "dc": "virginia", "data_part": 1, "data_parts": 4, "data": "/data/x.csv",
    "job_worker": 5, "job_workers": 8, "dc_dir": "/tmp/run/dc-virginia",
    "metrics_path": "/tmp/m.jsonl", "connect_timeout_ms": 1500,
    "read_timeout_ms": 2500, "max_batch_bytes": 65536, "enable_cache": false
  })");
  absl::StatusOr<WorkerOptions> o = WorkerOptions::FromFile(path);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->job_id, "job-7");
  EXPECT_EQ(o->worker_id, 3u);
  EXPECT_EQ(o->shard_addresses,
            (std::vector<std::string>{"127.0.0.1:5000", "127.0.0.1:5001"}));
  EXPECT_EQ(o->dc, "virginia");
  EXPECT_EQ(o->data_part, 1u);
  EXPECT_EQ(o->data_parts, 4u);
  EXPECT_EQ(o->data, "/data/x.csv");
  EXPECT_EQ(o->job_worker, 5u);
  EXPECT_EQ(o->job_workers, 8u);
  EXPECT_EQ(o->dc_dir, "/tmp/run/dc-virginia");
  EXPECT_EQ(o->metrics_path, "/tmp/m.jsonl");
  EXPECT_EQ(o->connect_timeout_ms, 1500);
  EXPECT_EQ(o->read_timeout_ms, 2500);
  EXPECT_EQ(o->max_batch_bytes, 65536);
  EXPECT_FALSE(o->enable_cache);
}

TEST_F(OptionsFileTest, MissingOptionalKeysKeepDefaults) {
  const std::string path = Write(R"({"job_id": "j", "shard_addresses": ["h:1"]})");
  absl::StatusOr<WorkerOptions> o = WorkerOptions::FromFile(path);
  ASSERT_TRUE(o.ok()) << o.status();
  const WorkerOptions defaults;
  EXPECT_EQ(o->worker_id, defaults.worker_id);
  EXPECT_EQ(o->data_parts, defaults.data_parts);
  EXPECT_EQ(o->read_timeout_ms, defaults.read_timeout_ms);
  EXPECT_EQ(o->max_batch_bytes, defaults.max_batch_bytes);
  EXPECT_TRUE(o->enable_cache);
}

TEST_F(OptionsFileTest, UnknownKeyNamesKeyAndFile) {
  const std::string path =
      Write(R"({"job_id": "j", "shard_addresses": ["h:1"], "stalenes": 3})");
  absl::StatusOr<WorkerOptions> o = WorkerOptions::FromFile(path);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(o.status().message().find("stalenes"), std::string::npos) << o.status();
  EXPECT_NE(o.status().message().find(path), std::string::npos) << o.status();
}

TEST_F(OptionsFileTest, RequiredKeysAreRequired) {
  {
    absl::StatusOr<WorkerOptions> o =
        WorkerOptions::FromFile(Write(R"({"shard_addresses": ["h:1"]})"));
    ASSERT_FALSE(o.ok());
    EXPECT_NE(o.status().message().find("job_id"), std::string::npos) << o.status();
  }
  {
    absl::StatusOr<WorkerOptions> o = WorkerOptions::FromFile(Write(R"({"job_id": "j"})"));
    ASSERT_FALSE(o.ok());
    EXPECT_NE(o.status().message().find("shard_addresses"), std::string::npos)
        << o.status();
  }
}

TEST_F(OptionsFileTest, RejectsBadTypesAndRanges) {
  const char* cases[][2] = {
      {R"({"job_id": 5, "shard_addresses": ["h:1"]})", "job_id"},
      {R"({"job_id": "j", "shard_addresses": "h:1"})", "shard_addresses"},
      {R"({"job_id": "j", "shard_addresses": [1]})", "shard_addresses"},
      {R"({"job_id": "j", "shard_addresses": ["h:1"], "worker_id": -1})", "worker_id"},
      {R"({"job_id": "j", "shard_addresses": ["h:1"], "worker_id": 1.5})", "worker_id"},
      {R"({"job_id": "j", "shard_addresses": ["h:1"], "data_parts": 0})", "data_parts"},
      {R"({"job_id": "j", "shard_addresses": ["h:1"], "data_part": 2, "data_parts": 2})",
       "data_part"},
      {R"({"job_id": "j", "shard_addresses": ["h:1"], "job_workers": 0})", "job_workers"},
      {R"({"job_id": "j", "shard_addresses": ["h:1"], "job_worker": 3, "job_workers": 3})",
       "job_worker"},
      {R"({"job_id": "j", "shard_addresses": ["h:1"], "max_batch_bytes": 0})",
       "max_batch_bytes"},
      {R"({"job_id": "j", "shard_addresses": ["h:1"], "enable_cache": 1})", "enable_cache"},
      {R"({"job_id": "j", "shard_addresses": ["h:1"], "worker_id": 4294967296})",
       "worker_id"},
  };
  for (const auto& [json, key] : cases) {
    absl::StatusOr<WorkerOptions> o = WorkerOptions::FromFile(Write(json));
    ASSERT_FALSE(o.ok()) << json;
    EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument) << json;
    EXPECT_NE(o.status().message().find(key), std::string::npos)
        << json << " -> " << o.status();
  }
}

TEST_F(OptionsFileTest, RejectsMalformedJsonAndNonObjects) {
  EXPECT_EQ(WorkerOptions::FromFile(Write("{\"job_id\": ")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WorkerOptions::FromFile(Write("[1, 2]")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WorkerOptions::FromFile(Write("")).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(OptionsFileTest, MissingFileIsNotFound) {
  absl::StatusOr<WorkerOptions> o = WorkerOptions::FromFile("/nonexistent/gaia/w.json");
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(o.status().message().find("/nonexistent/gaia/w.json"), std::string::npos);
}

TEST_F(OptionsFileTest, CommandLineFindsFlagInBothForms) {
  const std::string path = Write(R"({"job_id": "cli", "shard_addresses": ["h:1"]})");
  const std::string joined = "--gaia-config=" + path;
  const char* argv1[] = {"prog", "--clocks=5", joined.c_str(), "--lr", "0.1"};
  absl::StatusOr<WorkerOptions> o = WorkerOptions::FromCommandLine(5, argv1);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->job_id, "cli");

  const char* argv2[] = {"prog", "--gaia-config", path.c_str(), "--other=x"};
  o = WorkerOptions::FromCommandLine(4, argv2);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->job_id, "cli");
}

TEST(OptionsCommandLine, MissingFlagExplainsLaunch) {
  const char* argv[] = {"prog", "--clocks=5", "--gaia-configs=x"};
  absl::StatusOr<WorkerOptions> o = WorkerOptions::FromCommandLine(3, argv);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(o.status().message().find("gaia launch"), std::string::npos) << o.status();
  EXPECT_NE(o.status().message().find("--gaia-config"), std::string::npos);

  const char* dangling[] = {"prog", "--gaia-config"};
  EXPECT_EQ(WorkerOptions::FromCommandLine(2, dangling).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gaia
