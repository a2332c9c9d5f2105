#include "src/cli/mirror_setup.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace gaia::cli {
namespace fs = std::filesystem;

absl::StatusOr<std::unique_ptr<significance::Registry>> LoadSignificance(
    const common::JobSpec& spec) {
  auto registry = std::make_unique<significance::Registry>(spec.asp.value_floor);
  const fs::path base = spec.source.empty() ? fs::current_path() : fs::path(spec.source).parent_path();
  for (const std::string& plugin : spec.asp.plugins) {
    const fs::path path = fs::path(plugin).is_absolute() ? fs::path(plugin) : base / plugin;
    if (absl::Status s = registry->LoadPlugin(path.string()); !s.ok()) return s;
  }
  if (absl::StatusOr<gaia::SignificanceFn> fn = registry->Find(spec.asp.significance); !fn.ok()) {
    return fn.status();
  }
  return registry;
}

absl::StatusOr<mirror::MirrorOptions> MirrorOptionsFor(const common::JobSpec& spec,
                                                       const common::Topology& topo,
                                                       uint32_t shard_index,
                                                       const std::string& job_id,
                                                       const significance::Registry& registry) {
  const common::ShardRole& role = topo.shards[shard_index];
  mirror::MirrorOptions options;
  options.job_id = job_id;
  options.dc = role.host_dc;  // in gaia modes host DCs are the spec's DCs, in order
  options.partition_index = role.partition_index;
  options.partition_size = role.partition_size;
  options.tables = spec.tables;
  options.overlay = mirror::Overlay::FromSpec(spec);
  absl::StatusOr<gaia::SignificanceFn> fn = registry.Find(spec.asp.significance);
  if (!fn.ok()) return fn.status();
  options.significance = *fn;
  options.threshold.initial = spec.asp.threshold;
  switch (spec.asp.decay) {
    case common::ThresholdDecay::kNone: options.threshold.decay = significance::Decay::kNone; break;
    case common::ThresholdDecay::kInverseSqrt:
      options.threshold.decay = significance::Decay::kInverseSqrt;
      break;
    case common::ThresholdDecay::kLearningRate:
      options.threshold.decay = significance::Decay::kLearningRate;
      break;
    case common::ThresholdDecay::kAuto:
      options.threshold.decay = significance::Decay::kAuto;
      break;
  }
  options.threshold.soft_enabled = spec.asp.goal == common::AspGoal::kSpeed;
  const bool async = topo.mode == common::Mode::kGaiaAsync;
  options.ds = async ? -1 : spec.asp.ds;
  options.barriers = !async && spec.asp.barriers;
  options.barrier_backlog_ms = spec.asp.barrier_backlog_ms;
  switch (spec.asp.values) {
    case common::AspValues::kFloat32:
      options.values = significance::ValueEmission::kExact;
      break;
    case common::AspValues::kBinary16:
      options.values = significance::ValueEmission::kHalf;
      break;
    case common::AspValues::kTernary:
      options.values = significance::ValueEmission::kTernary;
      break;
  }
  return options;
}

absl::StatusOr<std::map<uint32_t, std::string>> ReadPeersFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::UnavailableError(absl::StrCat(path, " does not exist yet"));
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, false);
  if (!j.is_object() || !j.contains("peers") || !j["peers"].is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": expected {\"peers\": {...}}"));
  }
  std::map<uint32_t, std::string> peers;
  for (const auto& [key, value] : j["peers"].items()) {
    if (!value.is_string() || key.empty() || key.find_first_not_of("0123456789") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": peers.", key, ": expected \"<dc index>\": \"host:port\""));
    }
    peers[static_cast<uint32_t>(std::stoul(key))] = value.get<std::string>();
  }
  return peers;
}

}  // namespace gaia::cli
