// One `--data` string (a DC's `data:` in the job spec) -> this worker's ratings.
//
//   ""                          the default synthetic set (SyntheticOptions{})
//   "synthetic[:k=v,...]"       synthetic data, see synthetic.h
//   "movielens:PATH"            MovieLens u.data or ratings.csv (by name/content)
//   "movielens-data:PATH"       MovieLens u.data
//   "movielens-csv:PATH"        MovieLens ratings.csv
//   "netflix:PATH"              Netflix Prize file or directory of mv_*.txt
//   "PATH"                      a file or directory, format auto-detected
//
//   absl::StatusOr<std::vector<Rating>> mine = LoadData(spec, part, parts);
#ifndef GAIA_APPS_MF_DATA_SOURCE_H_
#define GAIA_APPS_MF_DATA_SOURCE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "apps/mf/rating.h"

namespace gaia::mf {

// The ratings of data part `part` of `parts` (users u with PartOf(u, parts)
// == part) of the data named by `spec`. Errors name the file and line, or the
// spec key. REQUIRES: part < parts (else an error).
absl::StatusOr<std::vector<Rating>> LoadData(const std::string& spec, uint32_t part,
                                             uint32_t parts);

// The smallest number of R rows that covers `ratings` (max item id + 1).
uint64_t RequiredItemRows(const std::vector<Rating>& ratings);

}  // namespace gaia::mf

#endif  // GAIA_APPS_MF_DATA_SOURCE_H_
