#include "src/cli/run_tls.h"

#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "src/common/job_certs.h"

namespace gaia::cli {
namespace {
namespace fs = std::filesystem;

// How long certificates made for one run stay valid: far longer than a job.
constexpr int kRunCertDays = 30;

// The launcher host's files in a `gaia certs` folder.
absl::StatusOr<common::TlsFiles> FilesInDir(const std::string& dir) {
  for (const char* host : {kLauncherCertHost, "localhost"}) {
    common::TlsFiles files = common::JobCertsFilesFor(dir, host);
    if (fs::exists(files.cert)) return files;
  }
  return absl::NotFoundError(absl::StrCat("tls.dir: ", dir, " holds no certificate for this host (",
                                          kLauncherCertHost, ".crt or localhost.crt); run gaia "
                                          "certs --hosts ", kLauncherCertHost, ",..."));
}

common::TlsFiles SpecFiles(const common::JobSpec& spec) {
  common::TlsFiles files;
  files.cert = spec.tls.cert;
  files.key = spec.tls.key;
  files.ca = spec.tls.ca;
  return files;
}

absl::Status WriteLauncherJson(const fs::path& tls_dir, const common::TlsFiles& files) {
  nlohmann::json j;
  j["cert"] = files.cert;
  j["key"] = files.key;
  j["ca"] = files.ca;
  j["token"] = files.token;
  std::ofstream out(tls_dir / "launcher.json");
  out << j.dump(2) << "\n";
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", tls_dir.string()));
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> OtherHostAddresses(const common::JobSpec& spec) {
  std::vector<std::string> out;
  for (const common::DcSpec& dc : spec.dcs) {
    for (const common::HostSpec& host : dc.hosts) {
      if (common::IsLocalAddress(host.address)) continue;
      if (std::find(out.begin(), out.end(), host.address) == out.end()) {
        out.push_back(host.address);
      }
    }
  }
  return out;
}

absl::StatusOr<common::TlsFiles> HostTlsFiles(const common::JobSpec& spec,
                                              const common::TlsFiles& launcher,
                                              const std::string& run_dir,
                                              const std::string& host) {
  if (launcher.empty() || !spec.tls.cert.empty()) return launcher;
  const std::string dir =
      spec.tls.dir.empty() ? (fs::path(run_dir) / "tls").string() : spec.tls.dir;
  common::TlsFiles files = common::JobCertsFilesFor(dir, host);
  files.ca = launcher.ca;
  files.token = launcher.token;
  if (!fs::exists(files.cert)) {
    return absl::NotFoundError(absl::StrCat("tls: ", dir, " holds no certificate for host ", host,
                                            " (", files.cert, "); run gaia certs --hosts ",
                                            kLauncherCertHost, ",", host, ",..."));
  }
  return files;
}

absl::Status CheckRunTls(const common::JobSpec& spec) {
  if (!common::TlsOn(spec)) return absl::OkStatus();
  if (!spec.tls.dir.empty()) {
    absl::StatusOr<common::TlsFiles> files = FilesInDir(spec.tls.dir);
    if (!files.ok()) return files.status();
    if (absl::Status s = common::LinkSecurity::Load(*files).status(); !s.ok()) return s;
    for (const std::string& host : OtherHostAddresses(spec)) {
      absl::StatusOr<common::TlsFiles> theirs = HostTlsFiles(spec, *files, "", host);
      if (!theirs.ok()) return theirs.status();
      if (absl::Status s = common::LinkSecurity::CheckFiles(*theirs); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  return common::LinkSecurity::CheckFiles(SpecFiles(spec));
}

absl::StatusOr<common::TlsFiles> PrepareRunTls(const common::JobSpec& spec,
                                               const std::string& run_dir) {
  if (!common::TlsOn(spec)) return common::TlsFiles{};
  const fs::path tls_dir = fs::path(run_dir) / "tls";
  common::TlsFiles files;
  if (!spec.tls.dir.empty()) {
    absl::StatusOr<common::TlsFiles> in_dir = FilesInDir(spec.tls.dir);
    if (!in_dir.ok()) return in_dir.status();
    files = *in_dir;
    std::error_code ec;
    fs::create_directories(tls_dir, ec);
    if (ec) return absl::PermissionDeniedError(absl::StrCat("cannot create ", tls_dir.string()));
  } else if (!spec.tls.cert.empty()) {
    // The user's own certificates; the token is this run's.
    files = SpecFiles(spec);
    files.token = (tls_dir / "token").string();
    std::error_code ec;
    fs::create_directories(tls_dir, ec);
    fs::permissions(tls_dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec) return absl::PermissionDeniedError(absl::StrCat("cannot create ", tls_dir.string()));
    if (absl::Status s = common::WriteJobToken(files.token); !s.ok()) return s;
  } else {
    common::JobCertsOptions options;
    options.out_dir = tls_dir.string();
    options.hosts = {kLauncherCertHost};
    for (const std::string& host : OtherHostAddresses(spec)) options.hosts.push_back(host);
    options.days = kRunCertDays;
    options.job_name = spec.name;
    if (absl::Status s = common::WriteJobCerts(options); !s.ok()) return s;
    files = common::JobCertsFilesFor(options.out_dir, kLauncherCertHost);
  }
  // Load once here so a bad file fails the launch, not every process.
  if (absl::Status s = common::LinkSecurity::Load(files).status(); !s.ok()) return s;
  if (absl::Status s = WriteLauncherJson(tls_dir, files); !s.ok()) return s;
  return files;
}

absl::StatusOr<std::unique_ptr<PrivateDir>> PrivateDir::Create(const std::string& prefix) {
  std::error_code ec;
  const fs::path tmp = fs::temp_directory_path(ec);
  std::string pattern = ((ec ? fs::path("/tmp") : tmp) / (prefix + "-XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) {  // creates it mode 0700
    return absl::UnavailableError(
        absl::StrCat("cannot create a private folder ", pattern, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<PrivateDir>(new PrivateDir(pattern));
}

PrivateDir::~PrivateDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

absl::StatusOr<common::TlsFiles> ReadRunTls(const std::string& run_dir) {
  const fs::path path = fs::path(run_dir) / "tls" / "launcher.json";
  if (!fs::exists(path)) return common::TlsFiles{};
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, false);
  common::TlsFiles files;
  const std::pair<const char*, std::string*> keys[] = {
      {"cert", &files.cert}, {"key", &files.key}, {"ca", &files.ca}, {"token", &files.token}};
  for (const auto& [key, out] : keys) {
    if (!j.is_object() || !j.contains(key) || !j[key].is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path.string(), ": '", key, "' missing or not a string"));
    }
    *out = j[key].get<std::string>();
  }
  return files;
}

}  // namespace gaia::cli
