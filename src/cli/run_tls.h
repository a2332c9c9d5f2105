// A launch's TLS material (docs/SECURITY.md): what the spec names, or a job
// CA, certificates and token the launcher makes in the run's folder.
//
//   absl::Status ok = CheckRunTls(spec);              // before anything starts
//   absl::StatusOr<common::TlsFiles> files = PrepareRunTls(spec, run_dir);
//
// The launcher's own host uses one host's files for its shards, workers and
// clients; every other host of the job (dcs[].hosts) gets its own
// certificate and key, and the job's CA and token (HostTlsFiles), which the
// launcher copies there (docs/MULTI_HOST.md).
#ifndef GAIA_SRC_CLI_RUN_TLS_H_
#define GAIA_SRC_CLI_RUN_TLS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/common/job_spec.h"
#include "src/common/link_security.h"

namespace gaia::cli {

// The name of the launcher's host in certificates it makes, and the host
// whose files it looks for first in a `tls.dir`.
inline constexpr char kLauncherCertHost[] = "127.0.0.1";

// With TLS on: the material the spec names exists and is well-formed
// (errors name the field and file). OK with TLS off.
absl::Status CheckRunTls(const common::JobSpec& spec);

// Empty files when TLS is off. Otherwise the files to use, after writing
// what is missing into <run_dir>/tls (the whole material, or only a token
// beside the user's own cert/key/ca) and <run_dir>/tls/launcher.json, which
// `gaia flush` reads.
absl::StatusOr<common::TlsFiles> PrepareRunTls(const common::JobSpec& spec,
                                               const std::string& run_dir);

// The other hosts of the job (dcs[].hosts that are not the launcher's own
// machine), in spec order, each once.
std::vector<std::string> OtherHostAddresses(const common::JobSpec& spec);

// The files `host` (one of OtherHostAddresses) uses, on the launcher's
// machine: its own certificate and key from the run's material or tls.dir
// (the user's own cert/key when the spec names them: one pair for every
// host), with `launcher`'s CA and token. NOT_FOUND naming the folder when it
// holds no certificate for the host. Empty when `launcher` is (TLS off).
absl::StatusOr<common::TlsFiles> HostTlsFiles(const common::JobSpec& spec,
                                              const common::TlsFiles& launcher,
                                              const std::string& run_dir,
                                              const std::string& host);

// A fresh folder under the system's temporary folder, mode 0700, removed
// with everything in it by the destructor. Short paths: Unix socket paths
// are limited to 107 bytes.
class PrivateDir {
 public:
  static absl::StatusOr<std::unique_ptr<PrivateDir>> Create(const std::string& prefix);
  ~PrivateDir();
  PrivateDir(const PrivateDir&) = delete;
  PrivateDir& operator=(const PrivateDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  explicit PrivateDir(std::string path) : path_(std::move(path)) {}
  const std::string path_;
};

// The files <run_dir>/tls/launcher.json names; empty files when the run has
// no such file (TLS was off).
absl::StatusOr<common::TlsFiles> ReadRunTls(const std::string& run_dir);

}  // namespace gaia::cli

#endif  // GAIA_SRC_CLI_RUN_TLS_H_
