#include "src/common/data_files.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace gaia::common {
namespace fs = std::filesystem;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::UnavailableError(absl::StrCat(path, ": read failed"));
  return buffer.str();
}

absl::Status WriteFileAtomically(const std::string& path, std::string_view content) {
  const std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return absl::UnavailableError(absl::StrCat(tmp, ": cannot open for writing"));
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) return absl::UnavailableError(absl::StrCat(tmp, ": write failed"));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return absl::UnavailableError(absl::StrCat(path, ": rename failed"));
  }
  return absl::OkStatus();
}

std::string ExecutableDir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  return exe.parent_path().string();
}

std::vector<std::string> DataDirs(const char* env_var, const std::string& share_subdir,
                                  const std::string& source_dir) {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv(env_var); env != nullptr && env[0] != '\0') {
    dirs.push_back(env);
  }
  if (std::string exe_dir = ExecutableDir(); !exe_dir.empty()) {
    dirs.push_back(
        (fs::path(exe_dir) / ".." / "share" / "gaia" / share_subdir).lexically_normal().string());
  }
  if (!source_dir.empty()) dirs.push_back(source_dir);
  return dirs;
}

}  // namespace gaia::common
