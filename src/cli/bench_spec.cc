#include "src/cli/bench_spec.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "src/wan/link_matrix.h"
#include "yaml-cpp/yaml.h"

namespace gaia::cli {
namespace fs = std::filesystem;

namespace {

// Writes `node` as yaml-cpp would, except that a scalar the user quoted stays
// quoted: the job spec parser tells `rows: 10` from `rows: "10"`, so a
// derived spec must keep that difference.
void Emit(const YAML::Node& node, YAML::Emitter* out) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      if (node.Style() == YAML::EmitterStyle::Flow) *out << YAML::Flow;
      *out << YAML::BeginMap;
      for (const auto& entry : node) {
        *out << YAML::Key;
        Emit(entry.first, out);
        *out << YAML::Value;
        Emit(entry.second, out);
      }
      *out << YAML::EndMap;
      break;
    case YAML::NodeType::Sequence:
      if (node.Style() == YAML::EmitterStyle::Flow) *out << YAML::Flow;
      *out << YAML::BeginSeq;
      for (const auto& item : node) Emit(item, out);
      *out << YAML::EndSeq;
      break;
    case YAML::NodeType::Scalar:
      if (node.Tag() == "!") *out << YAML::DoubleQuoted;
      *out << node.Scalar();
      break;
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      *out << YAML::Null;
      break;
  }
}

YAML::Node FlowList(const std::vector<std::string>& items) {
  YAML::Node list(YAML::NodeType::Sequence);
  for (const std::string& item : items) list.push_back(item);
  list.SetStyle(YAML::EmitterStyle::Flow);
  return list;
}

std::string Renamed(const std::map<std::string, std::string>& renamed, const std::string& dc) {
  auto it = renamed.find(dc);
  return it == renamed.end() ? dc : it->second;
}

}  // namespace

const std::vector<BenchSetting>& BenchSettings() {
  static const auto* const kSettings = new std::vector<BenchSetting>{
      {"vc", "vc-2dc", "2-DC V/C", "examples/mf-2dc.yaml"},
      {"ss", "ss-2dc", "2-DC S/S", "examples/mf-2dc.yaml"},
      {"ec2-11", "ec2-11", "11-DC EC2", "examples/mf-11dc.yaml"},
  };
  return *kSettings;
}

absl::StatusOr<BenchSetting> FindBenchSetting(const std::string& name) {
  std::vector<std::string> names;
  for (const BenchSetting& s : BenchSettings()) {
    if (s.name == name) return s;
    names.push_back(s.name);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown setting '", name, "' (settings: ", absl::StrJoin(names, ", "), ")"));
}

int32_t DefaultSspStaleness(const common::JobSpec& spec) {
  return spec.consistency.model == common::ConsistencyModel::kSsp ? spec.consistency.staleness : 2;
}

absl::StatusOr<DerivedSpec> DeriveSpec(const std::string& spec_path, const SpecVariant& v) {
  absl::StatusOr<BenchSetting> setting = FindBenchSetting(v.setting);
  if (!setting.ok()) return setting.status();
  if (v.modes.empty()) return absl::InvalidArgumentError("no modes to run");
  if (!(v.bandwidth_scale > 0) || !std::isfinite(v.bandwidth_scale)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bandwidth scale must be a positive number, got ", v.bandwidth_scale));
  }
  const bool ssp = v.model == common::ConsistencyModel::kSsp;
  if (ssp && (v.staleness < 0 || v.staleness > 1000)) {
    return absl::InvalidArgumentError(
        absl::StrCat("staleness must be between 0 and 1000, got ", v.staleness));
  }

  absl::StatusOr<common::JobSpec> spec = common::ParseJobSpecFile(spec_path);
  if (!spec.ok()) return spec.status();
  absl::StatusOr<wan::LinkMatrix> matrix = wan::LoadPreset(setting->preset, /*symmetric=*/false);
  if (!matrix.ok()) return matrix.status();
  const std::vector<std::string>& regions = matrix->regions();
  if (spec->dcs.size() != regions.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("setting ", setting->name, " (", setting->label, ", preset ", setting->preset,
                     ") needs a spec with ", regions.size(), " DCs (", absl::StrJoin(regions, ", "),
                     "); ", spec_path, " has ", spec->dcs.size(), ". Use ", setting->example,
                     " or a spec like it, or leave ", setting->name, " out of --settings"));
  }

  DerivedSpec derived;
  derived.regions = regions;
  for (size_t i = 0; i < regions.size(); ++i) derived.renamed[spec->dcs[i].name] = regions[i];

  YAML::Node root;
  try {
    root = YAML::LoadFile(spec_path);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(spec_path, ": ", e.what()));
  }

  // DCs: the preset's regions, in order; data paths made absolute.
  YAML::Node dcs = root["dcs"];
  for (size_t i = 0; i < spec->dcs.size(); ++i) {
    YAML::Node dc = dcs[i];
    dc["name"] = regions[i];
    if (dc["data"]) dc["data"] = spec->dcs[i].data;
  }
  // Overlay groups name DCs in their member lists and hub values.
  if (YAML::Node overlay = root["overlay"]; overlay && overlay.IsSequence()) {
    for (YAML::Node group : overlay) {
      if (YAML::Node members = group["dcs"]; members && members.IsSequence()) {
        for (size_t j = 0; j < members.size(); ++j) {
          members[j] = Renamed(derived.renamed, members[j].Scalar());
        }
      }
      if (YAML::Node hubs = group["hubs"]; hubs && hubs.IsMap()) {
        for (auto entry : hubs) entry.second = Renamed(derived.renamed, entry.second.Scalar());
      }
    }
  }

  std::vector<std::string> modes;
  for (common::Mode m : v.modes) modes.push_back(common::ModeName(m));
  root["mode"] = FlowList(modes);

  YAML::Node app = root["app"];
  app["program"] = spec->app.program;
  if (v.clocks > 0) app["clocks"] = v.clocks;

  YAML::Node consistency(YAML::NodeType::Map);
  consistency["model"] = ssp ? "ssp" : "bsp";
  if (ssp) consistency["staleness"] = v.staleness;
  consistency.SetStyle(YAML::EmitterStyle::Flow);
  root["consistency"] = consistency;

  YAML::Node wan_node(YAML::NodeType::Map);
  wan_node["emulate"] = v.emulate == common::WanEmulation::kNetns   ? "netns"
                        : v.emulate == common::WanEmulation::kProxy ? "proxy"
                                                                    : "none";
  wan_node["preset"] = setting->preset;
  wan_node["bandwidth_scale"] = v.bandwidth_scale;
  root["wan"] = wan_node;

  // Paths the parser resolves against the spec's folder, and plugins, which
  // the launcher resolves the same way: absolute, so the derived file can
  // live anywhere.
  if (YAML::Node asp = root["asp"]; asp && asp["plugins"]) {
    const fs::path base = fs::absolute(spec_path).parent_path();
    std::vector<std::string> plugins;
    for (const std::string& p : spec->asp.plugins) {
      plugins.push_back(fs::path(p).is_absolute() ? p : (base / p).lexically_normal().string());
    }
    asp["plugins"] = FlowList(plugins);
  }
  if (YAML::Node tls = root["tls"]; tls) {
    if (tls["dir"]) tls["dir"] = spec->tls.dir;
    if (tls["cert"]) tls["cert"] = spec->tls.cert;
    if (tls["key"]) tls["key"] = spec->tls.key;
    if (tls["ca"]) tls["ca"] = spec->tls.ca;
  }
  if (!v.results_dir.empty()) root["results_dir"] = v.results_dir;

  YAML::Emitter out;
  Emit(root, &out);
  if (!out.good()) {
    return absl::InternalError(absl::StrCat("cannot write the derived spec: ", out.GetLastError()));
  }
  for (absl::string_view line : absl::StrSplit(v.header, '\n', absl::SkipEmpty())) {
    absl::StrAppend(&derived.yaml, "# ", line, "\n");
  }
  absl::StrAppend(&derived.yaml, out.c_str(), "\n");
  return derived;
}

}  // namespace gaia::cli
