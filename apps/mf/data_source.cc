#include "apps/mf/data_source.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "apps/mf/loaders.h"
#include "apps/mf/synthetic.h"

namespace gaia::mf {

absl::StatusOr<std::vector<Rating>> LoadData(const std::string& spec, uint32_t part,
                                             uint32_t parts) {
  if (parts == 0 || part >= parts) {
    return absl::InvalidArgumentError(
        absl::StrCat("data part ", part, " of ", parts, " is not a valid part"));
  }
  absl::string_view rest = spec;
  if (spec.empty() || absl::StartsWith(spec, "synthetic")) {
    absl::StatusOr<SyntheticOptions> options =
        spec.empty() ? SyntheticOptions{} : ParseSyntheticSpec(spec);
    if (!options.ok()) return options.status();
    absl::StatusOr<SyntheticGenerator> generator = SyntheticGenerator::Create(*options);
    if (!generator.ok()) return generator.status();
    return generator->Generate(part, parts);
  }
  LoadOptions options;
  options.part = part;
  options.parts = parts;
  if (absl::ConsumePrefix(&rest, "movielens-data:")) {
    options.format = DataFormat::kMovieLensData;
  } else if (absl::ConsumePrefix(&rest, "movielens-csv:")) {
    options.format = DataFormat::kMovieLensCsv;
  } else if (absl::ConsumePrefix(&rest, "netflix:")) {
    options.format = DataFormat::kNetflix;
  } else if (absl::ConsumePrefix(&rest, "movielens:")) {
    absl::StatusOr<DataFormat> format = DetectFormat(std::string(rest));
    if (!format.ok()) return format.status();
    if (*format == DataFormat::kNetflix) {
      return absl::InvalidArgumentError(
          absl::StrCat(rest, ": looks like Netflix data, not MovieLens"));
    }
    options.format = *format;
  }
  if (rest.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("data spec '", spec, "' names no file"));
  }
  return LoadRatings(std::string(rest), options);
}

uint64_t RequiredItemRows(const std::vector<Rating>& ratings) {
  uint64_t rows = 0;
  for (const Rating& r : ratings) rows = std::max<uint64_t>(rows, uint64_t{r.item} + 1);
  return rows;
}

}  // namespace gaia::mf
