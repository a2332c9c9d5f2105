#include "src/wan/link_matrix.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "src/common/data_files.h"
#include "src/common/logging.h"
#include "src/wan/link_shaper.h"

namespace gaia::wan {
namespace {

namespace fs = std::filesystem;

constexpr char kHeader[] = "from,to,bandwidth_mbps,delay_ms";
constexpr const char* kColumns[] = {"from", "to", "bandwidth_mbps", "delay_ms"};

bool IsNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
}

bool IsValidName(absl::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

// Strict: the whole field is one finite decimal number ("12abc", "nan",
// "inf", "" and out-of-range values are rejected).
bool ParseFiniteDouble(absl::string_view text, double* out) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end && std::isfinite(*out);
}

// Builds "<source>:<line>: <what>".
class ErrorAt {
 public:
  explicit ErrorAt(absl::string_view source) : source_(source) {}
  absl::Status operator()(size_t line, absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(source_, ":", line, ": ", what));
  }

 private:
  absl::string_view source_;
};

absl::Status CheckRegion(const ErrorAt& error, size_t line, const char* field,
                         absl::string_view name) {
  if (name.empty()) return error(line, absl::StrCat(field, ": empty (a region name is required)"));
  if (!IsValidName(name)) {
    return error(line, absl::StrCat(field, ": bad region name '", name,
                                    "' (letters, digits, '_', '.', '-' only)"));
  }
  return absl::OkStatus();
}

absl::Status ParseNumber(const ErrorAt& error, size_t line, const char* field,
                         absl::string_view text, double* out) {
  if (text.empty()) return error(line, absl::StrCat(field, ": empty (a number is required)"));
  if (!ParseFiniteDouble(text, out)) {
    return error(line, absl::StrCat(field, ": not a finite number: '", text, "'"));
  }
  return absl::OkStatus();
}

// Parses one data line (already trimmed, not blank, not a comment).
absl::Status ParseLinkLine(const ErrorAt& error, size_t line, absl::string_view text,
                           std::string* from, std::string* to, LinkParams* params) {
  std::vector<absl::string_view> fields = absl::StrSplit(text, ',');
  if (fields.size() != 4) {
    return error(line, absl::StrCat("expected 4 comma-separated fields (", kHeader, "), got ",
                                    fields.size()));
  }
  for (absl::string_view& f : fields) f = absl::StripAsciiWhitespace(f);
  if (absl::Status s = CheckRegion(error, line, "from", fields[0]); !s.ok()) return s;
  if (absl::Status s = CheckRegion(error, line, "to", fields[1]); !s.ok()) return s;
  if (fields[0] == fields[1]) {
    return error(line, absl::StrCat("to: same region as from ('", fields[1],
                                    "'); a link joins two regions"));
  }
  if (absl::Status s =
          ParseNumber(error, line, "bandwidth_mbps", fields[2], &params->bandwidth_mbps);
      !s.ok()) {
    return s;
  }
  if (params->bandwidth_mbps <= 0) {
    return error(line, absl::StrCat("bandwidth_mbps: must be > 0, got ", fields[2]));
  }
  if (params->bandwidth_mbps > kMaxBandwidthMbps) {
    return error(line, absl::StrCat("bandwidth_mbps: must be <= ",
                                    static_cast<int64_t>(kMaxBandwidthMbps), ", got ", fields[2]));
  }
  if (absl::Status s = ParseNumber(error, line, "delay_ms", fields[3], &params->delay_ms);
      !s.ok()) {
    return s;
  }
  if (params->delay_ms < 0) {
    return error(line, absl::StrCat("delay_ms: must be >= 0, got ", fields[3]));
  }
  params->delay_ms += 0.0;  // "-0" reads as -0.0; store +0
  if (params->delay_ms > kMaxDelayMs) {
    return error(line, absl::StrCat("delay_ms: must be <= ", static_cast<int64_t>(kMaxDelayMs),
                                    ", got ", fields[3]));
  }
  *from = std::string(fields[0]);
  *to = std::string(fields[1]);
  return absl::OkStatus();
}

bool IsHeader(absl::string_view text) {
  std::vector<absl::string_view> fields = absl::StrSplit(text, ',');
  if (fields.size() != 4) return false;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (absl::StripAsciiWhitespace(fields[i]) != kColumns[i]) return false;
  }
  return true;
}



}  // namespace

std::optional<LinkParams> LinkMatrix::Find(std::string_view from, std::string_view to) const {
  auto it = links_.find(std::make_pair(std::string(from), std::string(to)));
  if (it == links_.end()) return std::nullopt;
  return it->second;
}

void LinkMatrix::Set(const std::string& from, const std::string& to, LinkParams params) {
  for (const std::string* region : {&from, &to}) {
    bool known = false;
    for (const std::string& r : regions_) known = known || r == *region;
    if (!known) regions_.push_back(*region);
  }
  links_[{from, to}] = params;
}

absl::Status LinkMatrix::CheckCovers(const std::vector<std::string>& dcs) const {
  const std::string prefix = source_.empty() ? "" : absl::StrCat(source_, ": ");
  std::set<std::string_view> seen;
  for (const std::string& dc : dcs) {
    if (!seen.insert(dc).second) {
      return absl::InvalidArgumentError(absl::StrCat(prefix, "DC '", dc, "' is listed twice"));
    }
  }
  for (const std::string& from : dcs) {
    for (const std::string& to : dcs) {
      if (from == to || Find(from, to).has_value()) continue;
      return absl::InvalidArgumentError(absl::StrCat(
          prefix, "no link ", from, "->", to, " (regions: ", absl::StrJoin(regions_, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<LinkMatrix> ParseLinkMatrix(std::string_view text_in, std::string_view source_in,
                                           bool symmetric) {
  // This absl is built with its own string_view type.
  const absl::string_view text(text_in.data(), text_in.size());
  const absl::string_view source(source_in.data(), source_in.size());
  const ErrorAt error(source);
  LinkMatrix matrix;
  matrix.set_source(std::string(source));
  // Each link's line, to name both lines of a duplicate.
  std::map<std::pair<std::string, std::string>, size_t> line_of;
  size_t header_line = 0;  // 0 until the header is seen
  size_t line = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line;
    const absl::string_view trimmed = absl::StripAsciiWhitespace(raw);  // also drops '\r'
    if (trimmed.empty() || trimmed.front() == '#') continue;
    if (header_line == 0) {
      if (!IsHeader(trimmed)) {
        return error(line, absl::StrCat("header: expected '", kHeader, "', got '", trimmed, "'"));
      }
      header_line = line;
      continue;
    }
    std::string from, to;
    LinkParams params;
    if (absl::Status s = ParseLinkLine(error, line, trimmed, &from, &to, &params); !s.ok()) {
      return s;
    }
    auto [it, inserted] = line_of.emplace(std::make_pair(from, to), line);
    if (!inserted) {
      return error(line, absl::StrCat("from,to: link ", from, "->", to,
                                      " given twice (first on line ", it->second, ")"));
    }
    matrix.Set(from, to, params);
  }
  // The last line's number (a final '\n' ends that line, it starts none).
  const size_t last_line = std::max<size_t>(1, absl::EndsWith(text, "\n") ? line - 1 : line);
  if (header_line == 0) {
    return error(last_line, absl::StrCat("header: missing (the first line that is not blank "
                                         "or a comment must be '",
                                         kHeader, "')"));
  }
  if (line_of.empty()) return error(header_line, "header: no links follow it");

  if (symmetric) {
    for (const auto& [pair, unused_line] : line_of) {
      if (!matrix.Find(pair.second, pair.first).has_value()) {
        matrix.Set(pair.second, pair.first, *matrix.Find(pair.first, pair.second));
      }
    }
  }
  const std::vector<std::string>& regions = matrix.regions();
  for (const std::string& from : regions) {
    for (const std::string& to : regions) {
      if (from == to || matrix.Find(from, to).has_value()) continue;
      return error(
          last_line,
          absl::StrCat("end of matrix: no link ", from, "->", to, "; every ordered pair of the ",
                       regions.size(), " regions needs a line",
                       symmetric ? ""
                                 : " (symmetric: true fills in the reverse of a pair "
                                   "given one way)"));
    }
  }
  return matrix;
}

absl::StatusOr<LinkMatrix> LoadLinkMatrix(const std::string& path, bool symmetric) {
  absl::StatusOr<std::string> text = common::ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseLinkMatrix(*text, path, symmetric);
}

std::vector<std::string> PresetDirs() {
#ifdef GAIA_PRESET_SOURCE_DIR
  return common::DataDirs("GAIA_PRESET_DIR", "presets", GAIA_PRESET_SOURCE_DIR);
#else
  return common::DataDirs("GAIA_PRESET_DIR", "presets", "");
#endif
}

std::vector<std::string> ListPresets() {
  std::set<std::string> names;
  for (const std::string& dir : PresetDirs()) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const fs::path& path = it->path();
      std::error_code type_ec;
      if (path.extension() != ".csv" || !fs::is_regular_file(path, type_ec)) continue;
      const std::string name = path.stem().string();
      if (IsValidName(name) && name.front() != '.') names.insert(name);
    }
  }
  return {names.begin(), names.end()};
}

absl::StatusOr<LinkMatrix> LoadPreset(const std::string& name, bool symmetric) {
  if (!IsValidName(name) || name.front() == '.' || name.find("..") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad preset name '", name,
                     "': letters, digits, '_', '.', '-' only, not starting with '.'"));
  }
  const std::vector<std::string> dirs = PresetDirs();
  for (const std::string& dir : dirs) {
    const fs::path path = fs::path(dir) / (name + ".csv");
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) continue;
    absl::StatusOr<LinkMatrix> matrix = LoadLinkMatrix(path.string(), symmetric);
    if (!matrix.ok()) return matrix.status();
    matrix->set_source(absl::StrCat("preset ", name));
    common::Logger("wan")->debug("preset {}: {} ({} regions, {} links)", name, path.string(),
                                 matrix->regions().size(), matrix->num_links());
    return matrix;
  }
  const std::vector<std::string> presets = ListPresets();
  return absl::NotFoundError(absl::StrCat(
      "no preset '", name, "' (presets: ", presets.empty() ? "none" : absl::StrJoin(presets, ", "),
      "; searched: ", absl::StrJoin(dirs, ", "), ")"));
}

}  // namespace gaia::wan
