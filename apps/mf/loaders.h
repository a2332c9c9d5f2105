// Rating-file loaders: MovieLens u.data, MovieLens ratings.csv, Netflix Prize.
//
//   absl::StatusOr<std::vector<Rating>> r =
//       gaia::mf::LoadRatings("ml-100k/u.data", {.part = 1, .parts = 4});
//   if (!r.ok()) { std::cerr << r.status().message(); }  // "u.data:17: ..."
//
// Every loader reads the whole file but keeps only the ratings of users u with
// PartOf(u, parts) == part, so a worker holds its own users' ratings only.
// Errors name the file and the 1-based line: "path:line: reason". Ids are
// kept as in the file (MovieLens and Netflix ids start at 1), so an R table
// must have more rows than the largest item id.
#ifndef GAIA_APPS_MF_LOADERS_H_
#define GAIA_APPS_MF_LOADERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "apps/mf/rating.h"

namespace gaia::mf {

enum class DataFormat {
  kAuto,           // decide by name, then by the first line (DetectFormat)
  kMovieLensData,  // u.data: "user<TAB>item<TAB>rating<TAB>timestamp"
  kMovieLensCsv,   // ratings.csv: header "userId,movieId,rating,timestamp"
  kNetflix,        // "<movie>:" then "user,rating,date" lines; file or dir
};

const char* DataFormatName(DataFormat format);

struct LoadOptions {
  DataFormat format = DataFormat::kAuto;
  // Keep only the users of part `part` of `parts`. REQUIRES part < parts.
  uint32_t part = 0;
  uint32_t parts = 1;
  // Ratings outside [min_value, max_value] are errors (a corrupt column is
  // the usual cause). Defaults cover every MovieLens and Netflix scale.
  float min_value = 0.0f;
  float max_value = 10.0f;
};

// Detects the format of `path`: a directory is Netflix (mv_*.txt files); a
// name ending ".csv" is MovieLens CSV; "u.data" / ".data" is MovieLens data;
// otherwise the first non-empty line decides ("123:" Netflix, a "userId,"
// header or 4 comma fields CSV, 4 tab fields u.data).
absl::StatusOr<DataFormat> DetectFormat(const std::string& path);

absl::StatusOr<std::vector<Rating>> LoadMovieLensData(const std::string& path,
                                                      const LoadOptions& options);
absl::StatusOr<std::vector<Rating>> LoadMovieLensCsv(const std::string& path,
                                                     const LoadOptions& options);
// `path` is one file (mv_0000001.txt or a combined_data_N.txt with many
// movies) or a directory whose mv_*.txt files are read in name order.
absl::StatusOr<std::vector<Rating>> LoadNetflix(const std::string& path,
                                                const LoadOptions& options);

// Dispatches on options.format (kAuto: DetectFormat).
absl::StatusOr<std::vector<Rating>> LoadRatings(const std::string& path,
                                                const LoadOptions& options);

}  // namespace gaia::mf

#endif  // GAIA_APPS_MF_LOADERS_H_
