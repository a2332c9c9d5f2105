// A WAN link matrix: bandwidth (Mbit/s) and one-way delay (ms) for every
// directed pair of regions, read from a CSV file or a shipped preset
// (tools/wan_emulator/presets/<name>.csv). Format: docs/WAN_EMULATOR.md.
//
//   # comment lines and blank lines are ignored
//   from,to,bandwidth_mbps,delay_ms
//   virginia,california,180,36
//   california,virginia,180,36
//
// Region names follow the job spec's DC names ([A-Za-z0-9_.-]+); a DC named
// in a job must appear in the matrix under the same name.
#ifndef GAIA_SRC_WAN_LINK_MATRIX_H_
#define GAIA_SRC_WAN_LINK_MATRIX_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gaia::wan {

struct LinkParams {
  double bandwidth_mbps = 0;  // > 0
  double delay_ms = 0;        // >= 0, one way
};

class LinkMatrix {
 public:
  // Regions in order of first appearance in the file.
  const std::vector<std::string>& regions() const { return regions_; }
  // The directed link from -> to, if the matrix has it.
  std::optional<LinkParams> Find(std::string_view from, std::string_view to) const;
  size_t num_links() const { return links_.size(); }

  // OK when every directed pair among `dcs` (distinct names) is in the
  // matrix; otherwise InvalidArgument naming the first missing pair and the
  // matrix's source, e.g. "ec2-11.csv: no link tokyo->lima (regions: ...)".
  absl::Status CheckCovers(const std::vector<std::string>& dcs) const;

  // Where the matrix came from (a path or "preset <name>"), for messages.
  const std::string& source() const { return source_; }

  // Adds or replaces a link; used by the parser (and tests).
  void Set(const std::string& from, const std::string& to, LinkParams params);
  void set_source(std::string source) { source_ = std::move(source); }

 private:
  std::string source_;
  std::vector<std::string> regions_;
  std::map<std::pair<std::string, std::string>, LinkParams, std::less<>> links_;
};

// Parses CSV text. `source` names the text in errors ("<source>:<line>:
// <field>: ..."). Errors: missing or wrong header, wrong number of fields,
// bad region name, from == to, a number that is not finite, bandwidth <= 0,
// delay < 0, a pair given twice. With `symmetric`, a pair given in one
// direction only also gets the reverse link (same numbers); without it, a
// matrix whose regions are not all connected both ways is an error naming
// the first missing pair.
absl::StatusOr<LinkMatrix> ParseLinkMatrix(std::string_view text, std::string_view source,
                                           bool symmetric);
// Reads and parses a file.
absl::StatusOr<LinkMatrix> LoadLinkMatrix(const std::string& path, bool symmetric);

// The directories searched for presets, in order: $GAIA_PRESET_DIR if set,
// <dir of the running binary>/../share/gaia/presets (installed), and the
// source tree's tools/wan_emulator/presets (compiled in).
std::vector<std::string> PresetDirs();
// The names of the presets found (file names without .csv), sorted.
std::vector<std::string> ListPresets();
// Loads preset `name` (letters, digits, '_', '.', '-'); NotFound lists the
// presets there are.
absl::StatusOr<LinkMatrix> LoadPreset(const std::string& name, bool symmetric);

}  // namespace gaia::wan

#endif  // GAIA_SRC_WAN_LINK_MATRIX_H_
