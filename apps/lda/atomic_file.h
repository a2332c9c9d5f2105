// Writing a file so that readers see the old file or the whole new one,
// never a part: the content goes to a temporary beside it, which is renamed
// over it. On any error the temporary is removed and the file is unchanged.
//
//   absl::Status s = WriteFileAtomically(path, [&](std::ofstream& out) { out << text; });
#ifndef GAIA_APPS_LDA_ATOMIC_FILE_H_
#define GAIA_APPS_LDA_ATOMIC_FILE_H_

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace gaia::lda {

// fill(std::ofstream&) writes the content. UNAVAILABLE naming the path when
// the temporary cannot be written or renamed.
template <typename Fill>
absl::Status WriteFileAtomically(const std::string& path, Fill fill) {
  namespace fs = std::filesystem;
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (out) fill(out);
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      return absl::UnavailableError(absl::StrCat("cannot write ", path));
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    const std::string why = ec.message();
    fs::remove(tmp, ec);
    return absl::UnavailableError(absl::StrCat("cannot write ", path, ": ", why));
  }
  return absl::OkStatus();
}

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_ATOMIC_FILE_H_
