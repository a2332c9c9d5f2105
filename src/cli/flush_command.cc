// `gaia flush`: asks every mirror of a running gaia-mode job to send all it
// has accumulated now, significant or not (DESIGN.md §4.2.5).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "src/cli/commands.h"
#include "src/cli/mirror_monitor.h"
#include "src/cli/run_layout.h"
#include "src/cli/run_tls.h"
#include "src/common/job_certs.h"

namespace gaia::cli {
namespace fs = std::filesystem;

int FlushCommand(const FlushFlags& flags) {
  std::vector<std::string> addresses = flags.addresses;
  if (!flags.run_dir.empty()) {
    // The launcher writes work/<mode>/mirrors.json for each gaia-mode run;
    // the newest one belongs to the mode running now.
    fs::path newest;
    fs::file_time_type newest_time;
    std::error_code ec;
    const RunLayout layout(flags.run_dir);
    for (const auto& entry : fs::directory_iterator(layout.work_dir(), ec)) {
      const fs::path candidate = layout.mirrors_json(entry.path().filename().string());
      if (!fs::exists(candidate, ec)) continue;
      const auto t = fs::last_write_time(candidate, ec);
      if (newest.empty() || t > newest_time) {
        newest = candidate;
        newest_time = t;
      }
    }
    if (newest.empty()) {
      std::cerr << "gaia flush: no gaia-mode run in " << flags.run_dir
                << " (no work/<mode>/mirrors.json)\n";
      return 2;
    }
    std::ifstream in(newest);
    std::stringstream text;
    text << in.rdbuf();
    const nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, false);
    if (!j.is_object() || !j.contains("mirrors") || !j["mirrors"].is_array()) {
      std::cerr << "gaia flush: " << newest.string() << " is malformed\n";
      return 2;
    }
    for (const auto& a : j["mirrors"]) {
      if (a.is_string()) addresses.push_back(a.get<std::string>());
    }
  }
  if (addresses.empty()) {
    std::cerr << "gaia flush: give a run folder or --mirror addresses\n";
    return 2;
  }
  absl::StatusOr<common::TlsFiles> tls_files =
      flags.run_dir.empty() ? common::TlsFiles{} : ReadRunTls(flags.run_dir);
  if (tls_files.ok() && !flags.tls_dir.empty()) {
    tls_files = common::JobCertsFilesFor(flags.tls_dir, flags.tls_host);
  }
  absl::StatusOr<std::shared_ptr<const common::LinkSecurity>> security =
      tls_files.ok() ? common::LinkSecurity::Load(*tls_files) : tls_files.status();
  if (!security.ok()) {
    std::cerr << "gaia flush: " << security.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<uint64_t> flushed = MirrorMonitor(addresses, *security).FlushAll();
  if (!flushed.ok()) {
    std::cerr << "gaia flush: " << flushed.status().message() << "\n";
    return 1;
  }
  std::cout << "gaia flush: " << addresses.size() << " mirror(s) queued " << *flushed
            << " accumulated element(s)\n";
  return 0;
}

}  // namespace gaia::cli
