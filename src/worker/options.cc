// WorkerOptions::FromFile / FromCommandLine: find and read the JSON file
// `gaia launch` writes for each worker (format and parser in
// src/worker/worker_config.h, docs/WORKER_API.md).
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gaia/options.h"
#include "src/worker/worker_config.h"

namespace gaia {
namespace {

constexpr std::string_view kFlag = "--gaia-config";

}  // namespace

absl::StatusOr<WorkerOptions> WorkerOptions::FromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open worker config: ",
                                            std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  return internal::ParseWorkerConfig(text.str(), path);
}

absl::StatusOr<WorkerOptions> WorkerOptions::FromCommandLine(int argc,
                                                             const char* const* argv) {
  std::string path;
  bool found = false;
  for (int i = 1; i < argc && argv != nullptr; ++i) {
    if (argv[i] == nullptr) continue;
    const std::string_view arg = argv[i];
    if (arg == kFlag) {
      if (i + 1 >= argc || argv[i + 1] == nullptr) {
        return absl::InvalidArgumentError("--gaia-config needs a file name");
      }
      path = argv[i + 1];
      found = true;
      break;
    }
    if (arg.size() > kFlag.size() && arg.substr(0, kFlag.size()) == kFlag &&
        arg[kFlag.size()] == '=') {
      path = std::string(arg.substr(kFlag.size() + 1));
      found = true;
      break;
    }
  }
  if (!found) {
    return absl::InvalidArgumentError(
        "no --gaia-config=<file> flag: this program is a Gaia worker; start it with "
        "`gaia launch job.yaml`, or pass --gaia-config=<file> naming a worker config "
        "(see docs/WORKER_API.md)");
  }
  if (path.empty()) return absl::InvalidArgumentError("--gaia-config needs a file name");
  return FromFile(path);
}

}  // namespace gaia
