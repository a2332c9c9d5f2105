#include "src/cli/launcher.h"

#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "src/cli/mode_run.h"
#include "src/cli/remote_host.h"
#include "src/cli/run_tls.h"
#include "src/cli/wan_links.h"

namespace gaia::cli {
namespace fs = std::filesystem;
using common::Mode;

absl::Status CheckSupported(const common::JobSpec& spec, Mode mode) {
  if (spec.wan.emulate != common::WanEmulation::kNone && mode != Mode::kLan) {
    if (auto links = ResolveWanLinks(spec, DcNames(spec)); !links.ok()) return links.status();
  }
  if (absl::Status hosts = CheckHostsSupported(spec); !hosts.ok()) return hosts;
  if (absl::Status s = CheckRunTls(spec); !s.ok()) {
    return absl::InvalidArgumentError(s.message());
  }
  if (spec.checkpoint.every_clocks > 0) {
    return absl::UnimplementedError(
        "checkpoint.every_clocks is not available in this build (checkpoint.save_final is)");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ResolveProgram(const std::string& program,
                                           const std::string& bin_dir) {
  if (program.find('/') != std::string::npos) {
    if (access(program.c_str(), X_OK) == 0) return program;
    return absl::NotFoundError(absl::StrCat("app.program: cannot execute ", program));
  }
  const std::string beside = (fs::path(bin_dir) / program).string();
  if (access(beside.c_str(), X_OK) == 0) return beside;
  const char* path_env = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path_env ? path_env : "", ':')) {
    if (dir.empty()) continue;
    const std::string candidate = (fs::path(std::string(dir)) / program).string();
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return absl::NotFoundError(absl::StrCat("app.program: '", program, "' is neither beside ",
                                          bin_dir, " nor on PATH"));
}

std::string LocalTimestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%d-%H%M%S", &tm);
  return buf;
}

absl::StatusOr<RunResult> RunMode(const RunOptions& options) {
  return ModeRun(options).Run();
}

}  // namespace gaia::cli
