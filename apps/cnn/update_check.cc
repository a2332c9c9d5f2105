#include "apps/cnn/update_check.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace gaia::cnn {

absl::Status CheckUpdateFinite(std::span<const float> update,
                               const std::vector<ParamBlock>& layout, int64_t clock) {
  for (size_t i = 0; i < update.size(); ++i) {
    if (std::isfinite(update[i])) continue;
    std::string where = absl::StrCat("element ", i, " of the parameter vector");
    for (const ParamBlock& block : layout) {
      if (i >= block.offset && i < block.offset + block.size) {
        where = absl::StrCat(block.name, " at element ", i - block.offset, " of ", block.size);
        break;
      }
    }
    const char* what = std::isnan(update[i]) ? "nan" : (update[i] > 0 ? "inf" : "-inf");
    return absl::InvalidArgumentError(
        absl::StrCat("clock ", clock, ": the update of ", where, " is ", what,
                     ": not pushed (lower --lr, or check the data)"));
  }
  return absl::OkStatus();
}

}  // namespace gaia::cnn
