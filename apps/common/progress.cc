#include "apps/common/progress.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace gaia::apps {

std::string FormatProgressLine(const ProgressLine& line) {
  std::string out = absl::StrFormat("clock %d/%d objective %.6g", line.clock, line.clocks,
                                    line.objective);
  if (line.held_out.has_value() && !line.held_out_name.empty()) {
    absl::StrAppend(&out, absl::StrFormat(" %s %.5g", line.held_out_name, *line.held_out));
  }
  absl::StrAppend(&out, absl::StrFormat(" elapsed_s %.2f", line.elapsed_s));
  if (line.rate.has_value()) {
    absl::StrAppend(&out, absl::StrFormat(" %s %.3g", line.rate_name, *line.rate));
  }
  for (const auto& [key, value] : line.extra) {
    absl::StrAppend(&out, absl::StrFormat(" %s %.4g", key, value));
  }
  return out;
}

void PrintProgressLine(const ProgressLine& line, std::FILE* out) {
  const std::string text = FormatProgressLine(line) + "\n";
  std::fwrite(text.data(), 1, text.size(), out);
  std::fflush(out);
}

}  // namespace gaia::apps
