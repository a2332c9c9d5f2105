// Placeholder until the parser lands.
#include "src/common/job_spec.h"

#include "absl/status/status.h"

namespace gaia::common {

const char* ModeName(Mode mode) {
  switch (mode) {
    case Mode::kLan: return "lan";
    case Mode::kBaseline: return "baseline";
    case Mode::kGaia: return "gaia";
    case Mode::kGaiaAsync: return "gaia_async";
  }
  return "?";
}

absl::StatusOr<Mode> ParseMode(const std::string& name) {
  for (Mode m : {Mode::kLan, Mode::kBaseline, Mode::kGaia, Mode::kGaiaAsync}) {
    if (name == ModeName(m)) return m;
  }
  return absl::InvalidArgumentError("unknown mode '" + name + "'");
}

absl::StatusOr<JobSpec> ParseJobSpec(const std::string&, const std::string&) {
  return absl::UnimplementedError("job spec parser not built yet");
}
absl::StatusOr<JobSpec> ParseJobSpecFile(const std::string&) {
  return absl::UnimplementedError("job spec parser not built yet");
}

}  // namespace gaia::common
