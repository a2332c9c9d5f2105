#include "src/mirror/mirror_options.h"

#include <limits>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"

namespace gaia::mirror {

absl::Status ValidateMirrorOptions(const MirrorOptions& options) {
  const uint32_t num_dcs = options.overlay.num_dcs();
  if (options.dc >= num_dcs) {
    return absl::InvalidArgumentError(
        absl::StrCat("mirror: dc ", options.dc, " not in [0, ", num_dcs, ")"));
  }
  if (!options.significance) {
    return absl::InvalidArgumentError("mirror: no significance function");
  }
  if (options.tables.empty()) return absl::InvalidArgumentError("mirror: no tables");
  if (!(options.threshold.initial > 0)) {
    return absl::InvalidArgumentError("mirror: threshold must be > 0");
  }
  if (options.ds == 0) {
    return absl::InvalidArgumentError(
        "mirror: ds must be >= 1 (1 is lockstep) or < 0 (no DS bound): 0 would hold every read");
  }
  if (options.clock == nullptr) return absl::InvalidArgumentError("mirror: no clock");
  return absl::OkStatus();
}

uint64_t LayoutFingerprint(const MirrorOptions& options) {
  // FNV-1a over what both ends must agree on.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  };
  mix(&options.partition_size, sizeof(options.partition_size));
  for (const common::TableSpec& t : options.tables) {
    mix(t.name.data(), t.name.size());
    mix(&t.rows, sizeof(t.rows));
    mix(&t.width, sizeof(t.width));
  }
  return h;
}

uint64_t NewIncarnation() {
  absl::BitGen entropy;  // seeded from the OS, differently in every process
  return absl::Uniform(absl::IntervalClosed, entropy, uint64_t{1},
                       std::numeric_limits<uint64_t>::max());
}

std::vector<uint32_t> TableWidths(const MirrorOptions& options) {
  std::vector<uint32_t> widths;
  for (const common::TableSpec& t : options.tables) widths.push_back(t.width);
  return widths;
}

}  // namespace gaia::mirror
