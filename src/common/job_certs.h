// A job's TLS material (docs/SECURITY.md), made with the OpenSSL library: a
// job CA (EC P-256), one certificate per host with the host's address in its
// subjectAltName (IP or DNS, plus common::kJobPeerName), and a random job
// token. `gaia certs` writes it for a fleet; the launcher writes it into a
// run's folder when TLS is on and no material is given.
//
//   JobCertsOptions options;
//   options.out_dir = "certs";
//   options.hosts = {"10.77.1.2", "db.example.org"};
//   absl::Status s = WriteJobCerts(options);
//   TlsFiles files = JobCertsFilesFor("certs", "10.77.1.2");
//
// Layout of out_dir: ca.crt, ca.key, <host>.crt, <host>.key, token. Keys and
// the token are created 0600; the folder 0700.
#ifndef GAIA_SRC_COMMON_JOB_CERTS_H_
#define GAIA_SRC_COMMON_JOB_CERTS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "src/common/link_security.h"

namespace gaia::common {

struct JobCertsOptions {
  std::string out_dir;             // created if missing; existing files are an error
  std::vector<std::string> hosts;  // IPv4/IPv6 addresses or DNS names, >= 1
  int days = 365;                  // validity of every certificate, >= 1
  std::string job_name = "gaia";   // in the CA's common name
};

// INVALID_ARGUMENT for a bad host name or days; ALREADY_EXISTS naming the
// file if out_dir already holds material.
absl::Status WriteJobCerts(const JobCertsOptions& options);

// Writes a fresh random job token (64 hex characters) to `path`, mode 0600;
// ALREADY_EXISTS if the file exists.
absl::Status WriteJobToken(const std::string& path);

// The files of `host` in a folder WriteJobCerts wrote (or the user laid out
// the same way).
TlsFiles JobCertsFilesFor(const std::string& dir, const std::string& host);

}  // namespace gaia::common

#endif  // GAIA_SRC_COMMON_JOB_CERTS_H_
