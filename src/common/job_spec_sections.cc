#include "src/common/job_spec_sections.h"

#include <algorithm>
#include <array>
#include <map>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gaia::common::internal {
namespace {

bool Positive(double v) { return v > 0; }
bool NonNegative(double v) { return v >= 0; }

// [A-Za-z_][A-Za-z0-9_]*: significance functions are registered under such
// names (include/gaia).
bool IsIdentifier(absl::string_view s) {
  return IsName(s, "_", kMaxNameLen) && !absl::ascii_isdigit(static_cast<unsigned char>(s[0]));
}

std::string Resolve(const std::filesystem::path& base, const std::string& p) {
  if (p.empty() || std::filesystem::path(p).is_absolute()) return p;
  return (base / p).lexically_normal().string();
}

}  // namespace

void ReadName(YamlReader* r, const YAML::Node& node, absl::string_view path,
              absl::string_view extra, std::string* out) {
  std::string s;
  r->String(node, path, &s);
  if (!r->ok()) return;
  if (!r->Check(IsName(s, extra, kMaxNameLen), node, path,
                absl::StrCat("must be 1 to ", kMaxNameLen, " characters of letters, digits and '",
                             extra, "', got ", Describe(node)))) {
    return;
  }
  *out = s;
}

void ReadUniqueName(YamlReader* r, const YAML::Node& node, absl::string_view path,
                    absl::string_view extra, absl::string_view kind, absl::string_view list,
                    size_t index, std::map<std::string, size_t>* seen, std::string* out) {
  ReadName(r, node, path, extra, out);
  if (!r->ok()) return;
  auto [it, inserted] = seen->emplace(*out, index);
  r->Check(inserted, node, path,
           absl::StrCat("duplicate ", kind, " name '", *out, "' (also ", list, "[", it->second,
                        "])"));
}

void ReadPath(YamlReader* r, const YAML::Node& node, absl::string_view path, std::string* out) {
  std::string s;
  r->String(node, path, &s);
  if (!r->ok()) return;
  if (r->Check(!s.empty(), node, path, "must not be empty")) *out = s;
}

void ReadNumber(YamlReader* r, const YAML::Node& node, absl::string_view path,
                bool (*valid)(double), absl::string_view requirement, double* out) {
  double v = 0;
  r->Number(node, path, &v);
  if (!r->ok()) return;
  if (r->Check(valid(v), node, path, absl::StrCat(requirement, ", got ", node.Scalar()))) {
    *out = v;
  }
}

void ParseConsistency(YamlReader* r, const YAML::Node& node, ConsistencySpec* out) {
  const YamlFields f = r->Fields(node, "consistency", {"model", "staleness"});
  if (const YAML::Node* n = f.Get("model")) {
    size_t k = 0;
    r->Choice(*n, f.PathOf("model"), {"bsp", "ssp"}, &k);
    out->model = k == 0 ? ConsistencyModel::kBsp : ConsistencyModel::kSsp;
  }
  if (const YAML::Node* n = f.Get("staleness")) {
    r->Unsigned(*n, f.PathOf("staleness"), 0, kMaxStaleness, &out->staleness);
    r->Check(!r->ok() || out->model == ConsistencyModel::kSsp || out->staleness == 0, *n,
             f.PathOf("staleness"),
             absl::StrCat("must be 0 with model bsp, got ", n->Scalar(),
                          " (use model: ssp for stale reads)"));
  }
}

void ParseAsp(YamlReader* r, const YAML::Node& node, AspSpec* out) {
  const YamlFields f = r->Fields(
      node, "asp",
      {"significance", "threshold", "decay", "value_floor", "goal", "ds", "barriers",
       "barrier_backlog_ms", "values", "plugins"});
  if (const YAML::Node* n = f.Get("significance")) {
    std::string s;
    r->String(*n, f.PathOf("significance"), &s);
    if (r->ok() && r->Check(IsIdentifier(s), *n, f.PathOf("significance"),
                            absl::StrCat("must be a function name (letters, digits, '_', "
                                         "not starting with a digit), got ",
                                         Describe(*n)))) {
      out->significance = s;
    }
  }
  if (const YAML::Node* n = f.Get("threshold")) {
    ReadNumber(r, *n, f.PathOf("threshold"), Positive, "must be > 0", &out->threshold);
  }
  if (const YAML::Node* n = f.Get("decay")) {
    size_t k = 0;
    r->Choice(*n, f.PathOf("decay"), {"auto", "none", "inverse_sqrt", "learning_rate"}, &k);
    out->decay = std::array{ThresholdDecay::kAuto, ThresholdDecay::kNone,
                            ThresholdDecay::kInverseSqrt, ThresholdDecay::kLearningRate}[k];
  }
  if (const YAML::Node* n = f.Get("value_floor")) {
    ReadNumber(r, *n, f.PathOf("value_floor"), Positive, "must be > 0", &out->value_floor);
  }
  if (const YAML::Node* n = f.Get("goal")) {
    size_t k = 0;
    r->Choice(*n, f.PathOf("goal"), {"speed", "cost"}, &k);
    out->goal = k == 0 ? AspGoal::kSpeed : AspGoal::kCost;
  }
  if (const YAML::Node* n = f.Get("ds")) {
    r->Unsigned(*n, f.PathOf("ds"), 0, kMaxDs, &out->ds);
    // Reads stop once a DC is ds clocks ahead (thesis §5.2.4): with 0 they
    // would stop at once, in every DC, for good.
    r->Check(!r->ok() || out->ds >= 1, *n, f.PathOf("ds"),
             "must be >= 1, got 0: a DC holds its reads once it is ds clocks ahead of the "
             "slowest other DC, so 0 would hold every read (1 is lockstep)");
  }
  if (const YAML::Node* n = f.Get("barriers")) r->Bool(*n, f.PathOf("barriers"), &out->barriers);
  if (const YAML::Node* n = f.Get("barrier_backlog_ms")) {
    ReadNumber(r, *n, f.PathOf("barrier_backlog_ms"), Positive, "must be > 0",
               &out->barrier_backlog_ms);
  }
  if (const YAML::Node* n = f.Get("values")) {
    size_t k = 0;
    r->Choice(*n, f.PathOf("values"), {"float32", "binary16", "ternary"}, &k);
    out->values = std::array{AspValues::kFloat32, AspValues::kBinary16, AspValues::kTernary}[k];
  }
  if (const YAML::Node* n = f.Get("plugins")) {
    const std::vector<YAML::Node> items = r->Sequence(*n, f.PathOf("plugins"));
    for (size_t i = 0; i < items.size(); ++i) {
      std::string path;
      const std::string at = absl::StrCat(f.PathOf("plugins"), "[", i, "]");
      r->String(items[i], at, &path);
      if (r->ok() && r->Check(!path.empty(), items[i], at, "must be a file path")) {
        out->plugins.push_back(path);
      }
    }
  }
}

void ParseOverlay(YamlReader* r, const YAML::Node& node, const std::vector<DcSpec>& dcs,
                  std::vector<OverlayGroupSpec>* out) {
  const std::vector<YAML::Node> elems = r->Sequence(node, "overlay");
  std::vector<std::string> dc_names;
  for (const DcSpec& dc : dcs) dc_names.push_back(dc.name);
  std::map<std::string, size_t> group_of_dc;  // DC name -> group index
  std::map<std::string, size_t> group_index;  // group name -> index
  std::vector<OverlayGroupSpec> groups;
  std::vector<YamlFields> fields;
  // Pass 1: names and members; hubs may name groups defined later.
  for (size_t i = 0; i < elems.size() && r->ok(); ++i) {
    const std::string path = Index("overlay", i);
    fields.push_back(r->Fields(elems[i], path, {"name", "dcs", "hubs"}));
    const YamlFields& f = fields.back();
    OverlayGroupSpec g;
    if (const YAML::Node* n = f.Get("name", true)) {
      ReadName(r, *n, f.PathOf("name"), kNameChars, &g.name);
      if (r->ok() && group_index.count(g.name) > 0) {
        r->Fail(*n, f.PathOf("name"), absl::StrCat("duplicate group name '", g.name, "'"));
      }
    }
    const YAML::Node* members = f.Get("dcs", true);
    if (!r->ok()) return;
    const std::vector<YAML::Node> names = r->Sequence(*members, f.PathOf("dcs"));
    r->Check(!r->ok() || !names.empty(), *members, f.PathOf("dcs"),
             "a group needs at least one DC");
    for (size_t j = 0; j < names.size() && r->ok(); ++j) {
      const std::string dc_path = Index(f.PathOf("dcs"), j);
      std::string dc;
      r->String(names[j], dc_path, &dc);
      if (!r->ok()) return;
      if (group_of_dc.count(dc) > 0) {
        const size_t other = group_of_dc[dc];
        r->Fail(names[j], dc_path,
                other == i
                    ? absl::StrCat("DC '", dc, "' is listed twice")
                    : absl::StrCat("DC '", dc, "' is already in group '", groups[other].name, "'"));
        return;
      }
      if (!r->Check(
              std::find(dc_names.begin(), dc_names.end(), dc) != dc_names.end(), names[j], dc_path,
              absl::StrCat("unknown DC '", dc, "' (DCs: ", absl::StrJoin(dc_names, ", "), ")"))) {
        return;
      }
      group_of_dc[dc] = i;
      g.dcs.push_back(dc);
    }
    group_index.emplace(g.name, i);
    groups.push_back(std::move(g));
  }
  // Pass 2: hubs: destination group -> a DC of this group.
  for (size_t i = 0; i < groups.size() && r->ok(); ++i) {
    const YAML::Node* hubs_node = fields[i].Get("hubs");
    if (hubs_node == nullptr) continue;
    const YamlFields hubs = r->AnyFields(*hubs_node, fields[i].PathOf("hubs"));
    for (const YamlEntry& e : hubs.entries()) {
      const std::string path = hubs.PathOf(e.key);
      std::vector<std::string> others;
      for (const OverlayGroupSpec& g : groups) {
        if (g.name != groups[i].name) others.push_back(g.name);
      }
      if (!r->Check(e.key != groups[i].name, e.key_node, path,
                    "a group needs no hub towards itself") ||
          !r->Check(group_index.count(e.key) > 0, e.key_node, path,
                    absl::StrCat("unknown group '", e.key,
                                 "' (other groups: ", absl::StrJoin(others, ", "), ")"))) {
        return;
      }
      std::string hub;
      r->String(e.value, path, &hub);
      if (!r->ok()) return;
      const std::vector<std::string>& own = groups[i].dcs;
      if (!r->Check(std::find(own.begin(), own.end(), hub) != own.end(), e.value, path,
                    absl::StrCat("hub '", hub, "' is not a DC of group '", groups[i].name,
                                 "' (its DCs: ", absl::StrJoin(own, ", "), ")"))) {
        return;
      }
      groups[i].hubs[e.key] = hub;
    }
  }
  if (!r->ok()) return;
  for (const std::string& dc : dc_names) {
    if (!r->Check(elems.empty() || group_of_dc.count(dc) > 0, node, "overlay",
                  absl::StrCat("DC '", dc,
                               "' is in no group; every DC must be in exactly "
                               "one group"))) {
      return;
    }
  }
  // Every group gets a hub towards every other group, so the mirror never
  // has to pick one: unlisted destinations use the group's first DC.
  for (OverlayGroupSpec& g : groups) {
    for (const OverlayGroupSpec& other : groups) {
      if (other.name != g.name) g.hubs.emplace(other.name, g.dcs.front());
    }
  }
  *out = std::move(groups);
}

void ParseWan(YamlReader* r, const YAML::Node& node, WanSpec* out) {
  const YamlFields f =
      r->Fields(node, "wan", {"emulate", "preset", "matrix", "bandwidth_mbps", "delay_ms",
                               "symmetric", "bandwidth_scale"});
  if (const YAML::Node* n = f.Get("emulate")) {
    size_t k = 0;
    r->Choice(*n, f.PathOf("emulate"), {"none", "proxy", "netns"}, &k);
    out->emulate = std::array{WanEmulation::kNone, WanEmulation::kProxy, WanEmulation::kNetns}[k];
  }
  if (const YAML::Node* n = f.Get("preset")) {
    ReadName(r, *n, f.PathOf("preset"), "_.-", &out->preset);
  }
  if (const YAML::Node* n = f.Get("matrix")) {
    ReadPath(r, *n, f.PathOf("matrix"), &out->matrix);
    r->Check(!r->ok() || f.Get("preset") == nullptr, *n, f.PathOf("matrix"),
             "preset and matrix are exclusive; give one");
  }
  const bool has_links = f.Get("preset") != nullptr || f.Get("matrix") != nullptr;
  for (const char* key : {"bandwidth_mbps", "delay_ms"}) {
    const YAML::Node* n = f.Get(key);
    if (n == nullptr) continue;
    if (!r->Check(!has_links, *n, f.PathOf(key),
                  "applies only when neither preset nor matrix is given")) {
      return;
    }
  }
  for (const char* key : {"symmetric", "bandwidth_scale"}) {
    const YAML::Node* n = f.Get(key);
    if (n == nullptr) continue;
    if (!r->Check(has_links, *n, f.PathOf(key), "applies only with a preset or a matrix")) {
      return;
    }
  }
  if (const YAML::Node* n = f.Get("symmetric")) r->Bool(*n, f.PathOf("symmetric"), &out->symmetric);
  if (const YAML::Node* n = f.Get("bandwidth_scale")) {
    ReadNumber(r, *n, f.PathOf("bandwidth_scale"), Positive, "must be > 0",
               &out->bandwidth_scale);
  }
  if (const YAML::Node* n = f.Get("bandwidth_mbps")) {
    ReadNumber(r, *n, f.PathOf("bandwidth_mbps"), Positive, "must be > 0", &out->bandwidth_mbps);
  }
  if (const YAML::Node* n = f.Get("delay_ms")) {
    ReadNumber(r, *n, f.PathOf("delay_ms"), NonNegative, "must be >= 0", &out->delay_ms);
  }
}

namespace {

// `auto`, or a YAML boolean.
void ReadTlsMode(YamlReader* r, const YAML::Node& node, absl::string_view path, TlsMode* out) {
  if (node.IsScalar() && node.Scalar() == "auto") {
    *out = TlsMode::kAuto;
    return;
  }
  bool on = false;
  r->Bool(node, path, &on);
  if (r->ok()) *out = on ? TlsMode::kOn : TlsMode::kOff;
}

}  // namespace

void ParseTls(YamlReader* r, const YAML::Node& node, TlsSpec* out) {
  const YamlFields f = r->Fields(node, "tls", {"enabled", "dir", "cert", "key", "ca"});
  if (const YAML::Node* n = f.Get("enabled")) {
    ReadTlsMode(r, *n, f.PathOf("enabled"), &out->enabled);
  }
  if (const YAML::Node* n = f.Get("dir")) ReadPath(r, *n, f.PathOf("dir"), &out->dir);
  if (const YAML::Node* n = f.Get("cert")) ReadPath(r, *n, f.PathOf("cert"), &out->cert);
  if (const YAML::Node* n = f.Get("key")) ReadPath(r, *n, f.PathOf("key"), &out->key);
  if (const YAML::Node* n = f.Get("ca")) ReadPath(r, *n, f.PathOf("ca"), &out->ca);
  if (!r->ok()) return;
  const bool any_pem = f.Get("cert") || f.Get("key") || f.Get("ca");
  if (any_pem && f.Get("dir") != nullptr) {
    r->Fail(node, f.PathOf("dir"), "give either dir or cert/key/ca, not both");
    return;
  }
  if (!any_pem) return;
  for (const char* key : {"cert", "key", "ca"}) {
    if (f.Get(key) == nullptr) {
      r->Fail(node, f.PathOf(key), "required with the other of cert/key/ca");
      return;
    }
  }
}

void ParseCheckpoint(YamlReader* r, const YAML::Node& node, CheckpointSpec* out) {
  const YamlFields f = r->Fields(node, "checkpoint", {"every_clocks", "dir", "save_final"});
  if (const YAML::Node* n = f.Get("every_clocks")) {
    r->Unsigned(*n, f.PathOf("every_clocks"), 0, UINT32_MAX, &out->every_clocks);
  }
  if (const YAML::Node* n = f.Get("dir")) ReadPath(r, *n, f.PathOf("dir"), &out->dir);
  if (const YAML::Node* n = f.Get("save_final")) {
    r->Bool(*n, f.PathOf("save_final"), &out->save_final);
  }
}

void ParseConvergence(YamlReader* r, const YAML::Node& node, double* window, double* tolerance) {
  const YamlFields f = r->Fields(node, "convergence", {"window", "tolerance"});
  if (const YAML::Node* n = f.Get("window")) {
    uint64_t w = 0;
    r->Unsigned(*n, f.PathOf("window"), 1, kMaxConvergenceWindow, &w);
    if (r->ok()) *window = static_cast<double>(w);
  }
  if (const YAML::Node* n = f.Get("tolerance")) {
    ReadNumber(
        r, *n, f.PathOf("tolerance"), [](double v) { return v > 0 && v < 1; },
        "must be between 0 and 1 (exclusive)", tolerance);
  }
}

size_t DataFormatPrefixLength(const std::string& data) {
  const size_t colon = data.find(':');
  if (colon == std::string::npos || colon == 0 ||
      !absl::ascii_isalpha(static_cast<unsigned char>(data[0])) ||
      !IsName(absl::string_view(data).substr(0, colon), "_-", kMaxNameLen)) {
    return 0;
  }
  return colon + 1;
}

bool DataLooksLikePath(const std::filesystem::path& base, const std::string& path) {
  if (path.empty()) return false;
  if (path.find_first_of("/.") != std::string::npos) return true;
  std::error_code ec;
  return std::filesystem::exists(base / path, ec);
}

void ResolveSpecPaths(const std::filesystem::path& base, JobSpec* spec) {
  for (DcSpec& dc : spec->dcs) {
    if (absl::StartsWith(dc.data, "synthetic")) continue;  // parameters, not a path
    // What follows the first ',' are the source's options (apps/lda), not
    // part of the path.
    const size_t prefix = DataFormatPrefixLength(dc.data);
    const size_t comma = dc.data.find(',', prefix);
    const std::string path = dc.data.substr(prefix, comma - std::min(comma, prefix));
    const std::string options = comma == std::string::npos ? "" : dc.data.substr(comma);
    if (DataLooksLikePath(base, path)) {
      dc.data = dc.data.substr(0, prefix) + Resolve(base, path) + options;
    }
  }
  spec->wan.matrix = Resolve(base, spec->wan.matrix);
  spec->tls.dir = Resolve(base, spec->tls.dir);
  spec->tls.cert = Resolve(base, spec->tls.cert);
  spec->tls.key = Resolve(base, spec->tls.key);
  spec->tls.ca = Resolve(base, spec->tls.ca);
  spec->ssh.identity_file = Resolve(base, spec->ssh.identity_file);
  spec->ssh.known_hosts = Resolve(base, spec->ssh.known_hosts);
  if (spec->app.program.find('/') != std::string::npos) {
    spec->app.program = Resolve(base, spec->app.program);
  }
}

}  // namespace gaia::common::internal
