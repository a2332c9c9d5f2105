#include "src/cli/wan_links.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace gaia::cli {

std::vector<std::string> DcNames(const common::JobSpec& spec) {
  std::vector<std::string> names;
  for (const common::DcSpec& dc : spec.dcs) names.push_back(dc.name);
  return names;
}

absl::StatusOr<wan::LinkMatrix> ResolveWanLinks(const common::JobSpec& spec,
                                                const std::vector<std::string>& dcs) {
  const common::WanSpec& w = spec.wan;
  wan::LinkMatrix links;
  if (w.preset.empty() && w.matrix.empty()) {
    links.set_source(absl::StrCat("wan.bandwidth_mbps ", w.bandwidth_mbps, ", wan.delay_ms ",
                                  w.delay_ms));
    for (const std::string& a : dcs) {
      for (const std::string& b : dcs) {
        if (a != b) links.Set(a, b, {w.bandwidth_mbps, w.delay_ms});
      }
    }
    return links;
  }
  const std::string field = w.preset.empty() ? "wan.matrix" : "wan.preset";
  absl::StatusOr<wan::LinkMatrix> matrix = w.preset.empty()
                                               ? wan::LoadLinkMatrix(w.matrix, w.symmetric)
                                               : wan::LoadPreset(w.preset, w.symmetric);
  if (!matrix.ok()) {
    return absl::Status(matrix.status().code(),
                        absl::StrCat(field, ": ", matrix.status().message()));
  }
  if (absl::Status st = matrix->CheckCovers(dcs); !st.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", st.message(), " (DC names must be the matrix's region names)"));
  }
  links.set_source(w.bandwidth_scale == 1.0
                       ? matrix->source()
                       : absl::StrCat(matrix->source(), ", bandwidth x", w.bandwidth_scale));
  for (const std::string& a : dcs) {
    for (const std::string& b : dcs) {
      if (a == b) continue;
      wan::LinkParams p = *matrix->Find(a, b);
      p.bandwidth_mbps *= w.bandwidth_scale;
      links.Set(a, b, p);
    }
  }
  return links;
}

}  // namespace gaia::cli
