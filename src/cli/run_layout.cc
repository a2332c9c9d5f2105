#include "src/cli/run_layout.h"

#include "absl/strings/str_cat.h"

namespace gaia::cli {
namespace fs = std::filesystem;

namespace {

// "relay" for the proxy relay, "relay-<dc>" for a DC's own.
std::string RelayStem(std::string_view relay) {
  return relay.empty() ? std::string("relay") : absl::StrCat("relay-", std::string(relay));
}

}  // namespace

RunLayout RunLayout::ForNewRun(const std::string& results_dir, const std::string& job,
                               const std::string& timestamp) {
  const fs::path base = JobDir(results_dir, job);
  fs::path dir = base / timestamp;
  for (int i = 2; fs::exists(dir) && i < 1000; ++i) dir = base / absl::StrCat(timestamp, "-", i);
  return RunLayout(dir);
}

fs::path RunLayout::JobDir(const std::string& results_dir, const std::string& job) {
  return fs::path(results_dir) / job;
}

std::string RunLayout::job_yaml() const { return (dir_ / "job.yaml").string(); }
std::string RunLayout::summary_json() const { return (dir_ / "summary.json").string(); }
std::string RunLayout::metrics_jsonl() const { return (dir_ / "metrics.jsonl").string(); }
std::string RunLayout::logs_dir() const { return (dir_ / "logs").string(); }
std::string RunLayout::work_dir() const { return (dir_ / "work").string(); }

std::string RunLayout::logs_dir(std::string_view mode) const {
  return (dir_ / "logs" / mode).string();
}
std::string RunLayout::work_dir(std::string_view mode) const {
  return (dir_ / "work" / mode).string();
}
std::string RunLayout::model_dir(std::string_view mode) const {
  return (dir_ / "model" / mode).string();
}

std::string RunLayout::shard_log(std::string_view mode, size_t shard) const {
  return (fs::path(logs_dir(mode)) / absl::StrCat("shard-", shard, ".log")).string();
}
std::string RunLayout::worker_log(std::string_view mode, size_t worker) const {
  return (fs::path(logs_dir(mode)) / absl::StrCat("worker-", worker, ".log")).string();
}
std::string RunLayout::relay_log(std::string_view mode, std::string_view relay) const {
  return (fs::path(logs_dir(mode)) / absl::StrCat(RelayStem(relay), ".log")).string();
}

std::string RunLayout::InWork(std::string_view mode, const std::string& name) const {
  return (dir_ / "work" / mode / name).string();
}

std::string RunLayout::shard_port_file(std::string_view mode, size_t shard) const {
  return InWork(mode, absl::StrCat("shard-", shard, ".port"));
}
std::string RunLayout::shard_peers_file(std::string_view mode, size_t shard) const {
  return InWork(mode, absl::StrCat("shard-", shard, ".peers.json"));
}
std::string RunLayout::relay_config(std::string_view mode, std::string_view relay) const {
  return InWork(mode, absl::StrCat(RelayStem(relay), ".json"));
}
std::string RunLayout::relay_port_file(std::string_view mode, std::string_view relay) const {
  return InWork(mode, absl::StrCat(RelayStem(relay), ".port"));
}
std::string RunLayout::relay_stats_file(std::string_view mode, std::string_view relay) const {
  return InWork(mode, absl::StrCat(RelayStem(relay), "-stats.json"));
}
std::string RunLayout::mirrors_json(std::string_view mode) const {
  return InWork(mode, "mirrors.json");
}
std::string RunLayout::worker_config(std::string_view mode, size_t worker) const {
  return InWork(mode, absl::StrCat("worker-", worker, ".json"));
}
std::string RunLayout::dc_dir(std::string_view mode, std::string_view dc) const {
  return InWork(mode, absl::StrCat("dc-", absl::string_view(dc.data(), dc.size())));
}
std::string RunLayout::worker_metrics(std::string_view mode, size_t worker) const {
  return InWork(mode, absl::StrCat("worker-", worker, ".metrics.jsonl"));
}

}  // namespace gaia::cli
