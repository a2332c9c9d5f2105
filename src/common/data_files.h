// Reading and atomically replacing small text files, and finding the data files Gaia ships (WAN
// presets, price tables) whether it runs from a build tree or installed.
#ifndef GAIA_SRC_COMMON_DATA_FILES_H_
#define GAIA_SRC_COMMON_DATA_FILES_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace gaia::common {

// The whole file. NotFound "<path>: cannot open", Unavailable on a read error.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Writes `content` to path + ".tmp.<pid>" and renames it over `path`, so
// readers never see a partial file. UNAVAILABLE naming the file on failure.
absl::Status WriteFileAtomically(const std::string& path, std::string_view content);

// The directory of the running binary (/proc/self/exe), or "".
std::string ExecutableDir();

// Where shipped data of one kind is looked for, in order: $<env_var> if set
// and not empty, <binary's dir>/../share/gaia/<share_subdir> (installed), and
// `source_dir` (the source tree, compiled in; skipped if empty).
std::vector<std::string> DataDirs(const char* env_var, const std::string& share_subdir,
                                  const std::string& source_dir);

}  // namespace gaia::common

#endif  // GAIA_SRC_COMMON_DATA_FILES_H_
