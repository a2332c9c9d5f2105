// Job spec parser: YAML text -> validated JobSpec. Field semantics, defaults
// and limits are documented in docs/JOB_SPEC.md; keep the two in step.
#include "src/common/job_spec.h"

#include <array>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/common/job_spec_hosts.h"
#include "src/common/job_spec_sections.h"
#include "src/common/yaml_reader.h"

namespace gaia::common {
namespace {

using internal::Child;
using internal::Index;
using internal::IsName;
using internal::YamlFields;
using internal::YamlReader;

constexpr std::array<Mode, 4> kAllModes = {Mode::kLan, Mode::kBaseline, Mode::kGaia,
                                           Mode::kGaiaAsync};
// A spec is a few KB; anything this large is not one.
constexpr size_t kMaxSpecBytes = 16 << 20;

// Parses the top level and the required sections (the optional ones are in
// job_spec_sections.cc) through one sticky-error reader.
class SpecParser {
 public:
  // `base`: the folder relative paths in the spec are read from.
  SpecParser(const std::string& source, std::filesystem::path base)
      : r_(source), source_(source), base_(std::move(base)) {}

  absl::StatusOr<JobSpec> Parse(const YAML::Node& root);

 private:
  void ParseModes(const YAML::Node& node, std::vector<Mode>* out);
  void ParseApp(const YAML::Node& node, AppSpec* app);
  void ParseTables(const YAML::Node& node, std::vector<TableSpec>* tables);
  void ParseInit(const YAML::Node& node, const std::string& path, TableSpec* table);
  void ParseDcs(const YAML::Node& node, std::vector<DcSpec>* dcs);
  // DESIGN.md §2: shard k of DC a mirrors shard k of DC b, so per-DC model
  // copies need equal shard counts. Checked here to point at the line.
  void CheckShardCounts(const JobSpec& spec);
  // Ternary emission sends fractions of a count (docs/ARCHITECTURE.md).
  void CheckCountTablesValues(const JobSpec& spec, const YAML::Node& asp);

  // The inventory's hosts into spec->dcs (job_spec_hosts.h).
  absl::Status ReadInventory(const YAML::Node& node, JobSpec* spec);

  YamlReader r_;
  const std::string source_;
  const std::filesystem::path base_;
  std::vector<YAML::Node> dc_nodes_;  // dcs[i], for cross-field errors
  std::vector<int> hosts_lines_;  // line of dcs[i].hosts; 0 where absent
};

absl::StatusOr<JobSpec> SpecParser::Parse(const YAML::Node& root) {
  if (root.IsNull()) {
    r_.FailAtLine(1, "", "empty job spec (expected a map with name, app, tables, dcs)");
    return r_.status();
  }
  const YamlFields f =
      r_.Fields(root, "",
                {"name", "mode", "app", "tables", "dcs", "consistency", "asp", "overlay", "wan",
                 "tls", "inventory", "ssh", "checkpoint", "results_dir", "timeout_s",
                 "convergence"});
  JobSpec spec;
  if (const YAML::Node* n = f.Get("name", true)) {
    internal::ReadName(&r_, *n, "name", internal::kJobNameChars, &spec.name);
    if (r_.ok() && (spec.name == "." || spec.name == "..")) {
      r_.Fail(*n, "name", "must not be '.' or '..' (it names a results folder)");
    }
  }
  if (const YAML::Node* n = f.Get("mode")) ParseModes(*n, &spec.modes);
  if (const YAML::Node* n = f.Get("app", true)) ParseApp(*n, &spec.app);
  if (const YAML::Node* n = f.Get("tables", true)) ParseTables(*n, &spec.tables);
  if (const YAML::Node* n = f.Get("dcs", true)) ParseDcs(*n, &spec.dcs);
  if (r_.ok()) CheckShardCounts(spec);
  if (const YAML::Node* n = f.Get("consistency")) {
    internal::ParseConsistency(&r_, *n, &spec.consistency);
  }
  if (const YAML::Node* n = f.Get("asp")) {
    internal::ParseAsp(&r_, *n, &spec.asp);
    if (r_.ok()) CheckCountTablesValues(spec, *n);
  }
  if (const YAML::Node* n = f.Get("overlay")) {
    if (r_.ok()) internal::ParseOverlay(&r_, *n, spec.dcs, &spec.overlay);
  }
  if (const YAML::Node* n = f.Get("wan")) internal::ParseWan(&r_, *n, &spec.wan);
  if (const YAML::Node* n = f.Get("tls")) internal::ParseTls(&r_, *n, &spec.tls);
  if (const YAML::Node* n = f.Get("ssh")) internal::ParseSsh(&r_, *n, &spec.ssh);
  if (const YAML::Node* n = f.Get("inventory"); n != nullptr && r_.ok()) {
    if (absl::Status st = ReadInventory(*n, &spec); !st.ok()) return st;
  }
  if (const YAML::Node* n = f.Get("checkpoint")) {
    internal::ParseCheckpoint(&r_, *n, &spec.checkpoint);
  }
  if (const YAML::Node* n = f.Get("results_dir")) {
    internal::ReadPath(&r_, *n, "results_dir", &spec.results_dir);
  }
  if (const YAML::Node* n = f.Get("timeout_s")) {
    internal::ReadNumber(
        &r_, *n, "timeout_s", [](double v) { return v > 0; }, "must be > 0", &spec.timeout_s);
  }
  if (const YAML::Node* n = f.Get("convergence")) {
    internal::ParseConvergence(&r_, *n, &spec.convergence_window, &spec.convergence_tolerance);
  }
  if (!r_.ok()) return r_.status();
  return spec;
}

void SpecParser::ParseModes(const YAML::Node& node, std::vector<Mode>* out) {
  std::vector<std::pair<YAML::Node, std::string>> items;
  if (node.IsSequence()) {
    const std::vector<YAML::Node> elems = r_.Sequence(node, "mode");
    if (!r_.Check(!elems.empty(), node, "mode", "the list must name at least one mode")) {
      return;
    }
    for (size_t i = 0; i < elems.size(); ++i) items.emplace_back(elems[i], Index("mode", i));
  } else {
    items.emplace_back(node, "mode");
  }
  std::vector<Mode> modes;
  for (const auto& [n, path] : items) {
    size_t k = 0;
    r_.Choice(n, path, {"lan", "baseline", "gaia", "gaia_async"}, &k);
    if (!r_.ok()) return;
    const Mode mode = kAllModes[k];
    for (Mode seen : modes) {
      if (seen == mode) {
        r_.Fail(n, path, absl::StrCat("mode '", ModeName(mode), "' is listed twice"));
        return;
      }
    }
    modes.push_back(mode);
  }
  *out = modes;
}

void SpecParser::ParseApp(const YAML::Node& node, AppSpec* app) {
  const YamlFields f = r_.Fields(node, "app", {"program", "args", "clocks"});
  if (const YAML::Node* n = f.Get("program", true)) {
    internal::ReadPath(&r_, *n, "app.program", &app->program);
  }
  if (const YAML::Node* n = f.Get("args")) {
    const YamlFields args = r_.AnyFields(*n, "app.args");
    for (const internal::YamlEntry& e : args.entries()) {
      const std::string path = args.PathOf(e.key);
      if (!r_.Check(
              IsName(e.key, "_-", internal::kMaxNameLen) && e.key[0] != '-' && e.key[0] != '_',
              e.key_node, path,
              "argument names are letters, digits, '_' and '-', starting with a "
              "letter or digit (written without the leading --)")) {
        return;
      }
      // The launcher passes these itself (job_spec.h: AppSpec, DcSpec).
      if (e.key == "clocks" || e.key == "data" || e.key == "gaia-config") {
        r_.Fail(e.key_node, path,
                absl::StrCat("is set by the launcher; use ",
                             e.key == "clocks" ? "app.clocks"
                             : e.key == "data" ? "dcs[].data"
                                               : "nothing (it is internal)",
                             " instead"));
        return;
      }
      if (!r_.Check(e.value.IsScalar(), e.value, path,
                    absl::StrCat("expected a string, number or bool, got ",
                                 internal::Describe(e.value)))) {
        return;
      }
      app->args.emplace_back(e.key, e.value.Scalar());
    }
  }
  if (const YAML::Node* n = f.Get("clocks")) {
    r_.Unsigned(*n, "app.clocks", 1, UINT32_MAX, &app->clocks);
  }
}

void SpecParser::ParseTables(const YAML::Node& node, std::vector<TableSpec>* tables) {
  const std::vector<YAML::Node> elems = r_.Sequence(node, "tables");
  if (!r_.ok()) return;
  if (!r_.Check(!elems.empty() && elems.size() <= internal::kMaxTables, node, "tables",
                absl::StrCat("must list between 1 and ", internal::kMaxTables, " tables, got ",
                             elems.size()))) {
    return;
  }
  std::map<std::string, size_t> index_of;
  for (size_t i = 0; i < elems.size() && r_.ok(); ++i) {
    const std::string path = Index("tables", i);
    const YamlFields f = r_.Fields(elems[i], path, {"name", "rows", "width", "init", "counts"});
    TableSpec t;
    if (const YAML::Node* n = f.Get("name", true)) {
      internal::ReadUniqueName(&r_, *n, f.PathOf("name"), internal::kNameChars, "table",
                               "tables", i, &index_of, &t.name);
    }
    if (const YAML::Node* n = f.Get("rows", true)) {
      r_.Unsigned(*n, f.PathOf("rows"), 1, internal::kMaxRows, &t.rows);
    }
    if (const YAML::Node* n = f.Get("width", true)) {
      r_.Unsigned(*n, f.PathOf("width"), 1, internal::kMaxWidth, &t.width);
    }
    if (const YAML::Node* n = f.Get("init")) ParseInit(*n, f.PathOf("init"), &t);
    if (const YAML::Node* n = f.Get("counts")) r_.Bool(*n, f.PathOf("counts"), &t.counts);
    if (r_.ok() && t.counts && t.init != InitKind::kZeros) {
      r_.Fail(*f.Get("init"), f.PathOf("init"),
              "a counts table starts at zero: init must be kind zeros (or left out)");
    }
    tables->push_back(std::move(t));
  }
}

void SpecParser::ParseInit(const YAML::Node& node, const std::string& path, TableSpec* t) {
  const YamlFields f = r_.Fields(node, path, {"kind", "low", "high", "mean", "stddev", "seed"});
  const YAML::Node* kind_node = f.Get("kind", true);
  if (!r_.ok()) return;
  size_t kind = 0;
  r_.Choice(*kind_node, f.PathOf("kind"), {"zeros", "uniform", "normal"}, &kind);
  if (!r_.ok()) return;
  t->init = std::array{InitKind::kZeros, InitKind::kUniform, InitKind::kNormal}[kind];
  // A parameter of another distribution is almost surely a mistake.
  const std::vector<absl::string_view> kApplies[] = {
      {"kind"}, {"kind", "low", "high", "seed"}, {"kind", "mean", "stddev", "seed"}};
  for (const internal::YamlEntry& e : f.entries()) {
    bool applies = false;
    for (absl::string_view k : kApplies[kind]) applies = applies || k == e.key;
    if (!r_.Check(applies, e.key_node, f.PathOf(e.key),
                  absl::StrCat("does not apply to kind ", kind_node->Scalar(),
                               " (accepted: ", absl::StrJoin(kApplies[kind], ", "), ")"))) {
      return;
    }
  }
  if (const YAML::Node* n = f.Get("low")) r_.Number(*n, f.PathOf("low"), &t->init_low);
  if (const YAML::Node* n = f.Get("high")) r_.Number(*n, f.PathOf("high"), &t->init_high);
  if (r_.ok() && t->init == InitKind::kUniform && !(t->init_low < t->init_high)) {
    // Point at whichever bound the user wrote (high first).
    const char* key = f.Get("high") ? "high" : f.Get("low") ? "low" : "kind";
    r_.Fail(*f.Get(key), f.PathOf(key),
            absl::StrCat("low must be < high, got low ", t->init_low, " and high ", t->init_high));
  }
  if (const YAML::Node* n = f.Get("mean")) r_.Number(*n, f.PathOf("mean"), &t->init_mean);
  if (const YAML::Node* n = f.Get("stddev")) {
    internal::ReadNumber(
        &r_, *n, f.PathOf("stddev"), [](double v) { return v >= 0; }, "must be >= 0",
        &t->init_stddev);
  }
  if (const YAML::Node* n = f.Get("seed")) {
    r_.Unsigned(*n, f.PathOf("seed"), 0, UINT64_MAX, &t->init_seed);
  }
}

void SpecParser::ParseDcs(const YAML::Node& node, std::vector<DcSpec>* dcs) {
  dc_nodes_ = r_.Sequence(node, "dcs");
  if (!r_.ok()) return;
  if (!r_.Check(!dc_nodes_.empty() && dc_nodes_.size() <= internal::kMaxDcs, node, "dcs",
                absl::StrCat("must list between 1 and ", internal::kMaxDcs, " DCs, got ",
                             dc_nodes_.size()))) {
    return;
  }
  std::map<std::string, size_t> index_of;
  for (size_t i = 0; i < dc_nodes_.size() && r_.ok(); ++i) {
    const std::string path = Index("dcs", i);
    const YamlFields f =
        r_.Fields(dc_nodes_[i], path, {"name", "shards", "workers", "data", "hosts"});
    DcSpec dc;
    if (const YAML::Node* n = f.Get("name", true)) {
      internal::ReadUniqueName(&r_, *n, f.PathOf("name"), internal::kNameChars, "DC", "dcs", i,
                               &index_of, &dc.name);
    }
    if (const YAML::Node* n = f.Get("shards")) {
      r_.Unsigned(*n, f.PathOf("shards"), 1, internal::kMaxShardsPerDc, &dc.shards);
    }
    if (const YAML::Node* n = f.Get("workers")) {
      r_.Unsigned(*n, f.PathOf("workers"), 1, internal::kMaxWorkersPerDc, &dc.workers);
    }
    if (const YAML::Node* n = f.Get("data")) r_.String(*n, f.PathOf("data"), &dc.data);
    hosts_lines_.push_back(0);
    if (const YAML::Node* n = f.Get("hosts")) {
      internal::ParseHosts(&r_, *n, f.PathOf("hosts"), &dc.hosts);
      if (r_.ok()) internal::CheckHostCounts(&r_, dc, *n, f.PathOf("hosts"));
      hosts_lines_.back() = internal::LineOf(*n);
    }
    dcs->push_back(std::move(dc));
  }
}

void SpecParser::CheckShardCounts(const JobSpec& spec) {
  for (Mode mode : spec.modes) {
    if (mode != Mode::kGaia && mode != Mode::kGaiaAsync) continue;
    for (size_t d = 1; d < spec.dcs.size(); ++d) {
      if (spec.dcs[d].shards == spec.dcs[0].shards) continue;
      const YAML::Node& dc = dc_nodes_[d];
      const std::string path = Child(Index("dcs", d), "shards");
      r_.Fail(dc.IsMap() && dc["shards"] ? dc["shards"] : dc, path,
              absl::StrCat("mode ", ModeName(mode), " needs the same shard count in every DC: ",
                           spec.dcs[0].name, " has ", spec.dcs[0].shards, ", ", spec.dcs[d].name,
                           " has ", spec.dcs[d].shards));
      return;
    }
  }
}

void SpecParser::CheckCountTablesValues(const JobSpec& spec, const YAML::Node& asp) {
  if (spec.asp.values != AspValues::kTernary) return;
  for (const TableSpec& t : spec.tables) {
    if (!t.counts) continue;
    r_.Fail(asp.IsMap() && asp["values"] ? asp["values"] : asp, "asp.values",
            absl::StrCat("ternary sends fractions of a count; table ", t.name,
                         " holds counts (counts: true): use binary16 or float32"));
    return;
  }
}

absl::Status SpecParser::ReadInventory(const YAML::Node& node, JobSpec* spec) {
  internal::ReadPath(&r_, node, "inventory", &spec->inventory);
  if (!r_.ok()) return r_.status();
  std::filesystem::path path(spec->inventory);
  if (path.is_relative()) path = (base_ / path).lexically_normal();
  spec->inventory = path.string();
  return internal::MergeInventory(spec->inventory, source_, hosts_lines_, &spec->dcs);
}

absl::StatusOr<JobSpec> ParseText(const std::string& text, const std::string& source,
                                  const std::filesystem::path& base) {
  // yaml-cpp reports some internal failures by throwing; nothing may escape
  // (STYLE.md §4).
  try {
    absl::StatusOr<YAML::Node> root = internal::LoadOneDocument(text, source);
    if (!root.ok()) return root.status();
    absl::StatusOr<JobSpec> spec = SpecParser(source, base).Parse(*root);
    if (spec.ok()) spec->source = source;
    return spec;
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(source.empty() ? "<string>" : source,
                                                   ":1: cannot parse job spec: ", e.what()));
  }
}

absl::StatusOr<std::string> ReadSpecFile(const std::string& path) {
  auto fail = [&path](int err) {
    const std::string msg = absl::StrCat("cannot read ", path, ": ",
                                         std::error_code(err, std::generic_category()).message());
    return err == ENOENT ? absl::NotFoundError(msg) : absl::InvalidArgumentError(msg);
  };
  errno = 0;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (file == nullptr) return fail(errno);
  std::string text;
  char buf[1 << 14];
  while (true) {
    const size_t n = std::fread(buf, 1, sizeof(buf), file.get());
    text.append(buf, n);
    if (text.size() > kMaxSpecBytes) {
      return absl::InvalidArgumentError(absl::StrCat("cannot read ", path, ": larger than ",
                                                     kMaxSpecBytes, " bytes; not a job spec"));
    }
    if (n < sizeof(buf)) break;
  }
  if (std::ferror(file.get())) return fail(errno != 0 ? errno : EIO);
  return text;
}

}  // namespace

const char* TlsModeName(TlsMode mode) {
  switch (mode) {
    case TlsMode::kAuto: return "auto";
    case TlsMode::kOn: return "true";
    case TlsMode::kOff: return "false";
  }
  return "?";
}

bool TlsOn(const JobSpec& spec) {
  return spec.tls.enabled == TlsMode::kOn ||
         (spec.tls.enabled == TlsMode::kAuto && JobSpansHosts(spec));
}

const char* ModeName(Mode mode) {
  switch (mode) {
    case Mode::kLan:
      return "lan";
    case Mode::kBaseline:
      return "baseline";
    case Mode::kGaia:
      return "gaia";
    case Mode::kGaiaAsync:
      return "gaia_async";
  }
  return "?";
}

absl::StatusOr<Mode> ParseMode(const std::string& name) {
  for (Mode m : kAllModes) {
    if (name == ModeName(m)) return m;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown mode '", name, "' (accepted: lan, baseline, gaia, gaia_async)"));
}

absl::StatusOr<JobSpec> ParseJobSpec(const std::string& yaml_text, const std::string& source) {
  std::error_code ec;
  return ParseText(yaml_text, source, std::filesystem::current_path(ec));
}

absl::StatusOr<JobSpec> ParseJobSpecFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadSpecFile(path);
  if (!text.ok()) return text.status();
  std::error_code ec;
  const std::filesystem::path base = std::filesystem::absolute(path, ec).parent_path();
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve the directory of ", path, ": ", ec.message()));
  }
  absl::StatusOr<JobSpec> spec = ParseText(*text, path, base);
  if (!spec.ok()) return spec;
  internal::ResolveSpecPaths(base, &*spec);
  return spec;
}

}  // namespace gaia::common
