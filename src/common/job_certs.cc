#include "src/common/job_certs.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <utility>
#include <vector>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace gaia::common {
namespace {
namespace fs = std::filesystem;

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

absl::Status OpenSslError(absl::string_view what) {
  char buf[256] = "unknown error";
  if (unsigned long e = ERR_get_error(); e != 0) ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return absl::InternalError(absl::StrCat(what, ": ", buf));
}

bool IsIpAddress(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

bool IsDnsName(const std::string& host) {
  if (host.empty() || host.size() > 253 || host.front() == '-' || host.front() == '.') {
    return false;
  }
  for (char c : host) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
  }
  return true;
}

absl::Status AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return OpenSslError(absl::StrCat("certificate extension ", value));
  const int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return ok == 1 ? absl::OkStatus() : OpenSslError("X509_add_ext");
}

struct CertSpec {
  std::string common_name;
  bool is_ca = false;
  std::string subject_alt_names;  // OpenSSL syntax: "IP:1.2.3.4,DNS:x"
  int days = 365;
};

// A certificate for `key`, signed by `issuer_key` (self-signed when
// `issuer` is null).
absl::StatusOr<Cert> MakeCert(const CertSpec& spec, EVP_PKEY* key, X509* issuer,
                              EVP_PKEY* issuer_key) {
  Cert cert(X509_new());
  if (cert == nullptr || X509_set_version(cert.get(), 2) != 1) return OpenSslError("X509_new");
  // A random 127-bit serial: unique without bookkeeping.
  BIGNUM* serial = BN_new();
  if (serial == nullptr || BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get())) == nullptr) {
    BN_free(serial);
    return OpenSslError("certificate serial");
  }
  BN_free(serial);
  // Valid from a few minutes ago: hosts' clocks differ a little.
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(spec.days) * 86400);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("gaia job"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()),
                             -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) != 1 ||
      X509_set_pubkey(cert.get(), key) != 1) {
    return OpenSslError("certificate names");
  }
  absl::Status s = AddExtension(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (s.ok()) s = AddExtension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
  // A CA that signs host certificates only; hosts that are TLS servers and
  // clients at once (every link is mutual).
  const std::vector<std::pair<int, std::string>> extensions =
      spec.is_ca ? std::vector<std::pair<int, std::string>>{
                       {NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                       {NID_key_usage, "critical,keyCertSign,cRLSign"}}
                 : std::vector<std::pair<int, std::string>>{
                       {NID_basic_constraints, "critical,CA:FALSE"},
                       {NID_key_usage, "critical,digitalSignature"},
                       {NID_ext_key_usage, "serverAuth,clientAuth"},
                       {NID_subject_alt_name, spec.subject_alt_names}};
  for (const auto& [nid, value] : extensions) {
    if (s.ok()) s = AddExtension(cert.get(), signer, nid, value);
  }
  if (!s.ok()) return s;
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) <= 0) return OpenSslError("X509_sign");
  return cert;
}

// Creates `path` with `mode`; fails if it exists (never overwrites a key).
absl::StatusOr<FILE*> CreateFile(const fs::path& path, mode_t mode) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    const int error = errno;
    if (error == EEXIST) {
      return absl::AlreadyExistsError(absl::StrCat(path.string(), " already exists"));
    }
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create ", path.string(), ": ", std::strerror(error)));
  }
  FILE* f = fdopen(fd, "w");
  if (f == nullptr) close(fd);
  if (f == nullptr) return absl::InternalError(absl::StrCat("fdopen ", path.string()));
  return f;
}

absl::Status WritePem(const fs::path& dir, const std::string& stem, X509* cert, EVP_PKEY* key) {
  absl::StatusOr<FILE*> key_file = CreateFile(dir / (stem + ".key"), 0600);
  if (!key_file.ok()) return key_file.status();
  const bool key_ok =
      PEM_write_PrivateKey(*key_file, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (fclose(*key_file) != 0 || !key_ok) return OpenSslError(stem + ".key");
  absl::StatusOr<FILE*> cert_file = CreateFile(dir / (stem + ".crt"), 0644);
  if (!cert_file.ok()) return cert_file.status();
  const bool cert_ok = PEM_write_X509(*cert_file, cert) == 1;
  if (fclose(*cert_file) != 0 || !cert_ok) return OpenSslError(stem + ".crt");
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteJobToken(const std::string& path_text) {
  const fs::path path(path_text);
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return OpenSslError("RAND_bytes");
  std::string hex;
  for (unsigned char b : bytes) absl::StrAppend(&hex, absl::Hex(b, absl::kZeroPad2));
  absl::StatusOr<FILE*> f = CreateFile(path, 0600);
  if (!f.ok()) return f.status();
  const bool ok = std::fputs((hex + "\n").c_str(), *f) >= 0;
  if (fclose(*f) != 0 || !ok) return absl::InternalError(absl::StrCat("writing ", path.string()));
  return absl::OkStatus();
}

namespace {

absl::Status CheckOptions(const JobCertsOptions& options) {
  if (options.out_dir.empty()) return absl::InvalidArgumentError("--out: required");
  if (options.hosts.empty()) return absl::InvalidArgumentError("--hosts: at least one host");
  if (options.days < 1) {
    return absl::InvalidArgumentError(absl::StrCat("--days ", options.days, ": must be >= 1"));
  }
  for (const std::string& host : options.hosts) {
    if (!IsIpAddress(host) && !IsDnsName(host)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--hosts: '", host, "' is neither an IP address nor a DNS name"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteJobCerts(const JobCertsOptions& options) {
  if (absl::Status s = CheckOptions(options); !s.ok()) return s;
  const fs::path dir(options.out_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat("cannot create ", dir.string()));
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat("cannot chmod 700 ", dir.string()));

  Key ca_key(EVP_EC_gen("P-256"));
  if (ca_key == nullptr) return OpenSslError("EC P-256 key");
  CertSpec ca_spec{absl::StrCat(options.job_name, " job CA"), true, "", options.days};
  absl::StatusOr<Cert> ca = MakeCert(ca_spec, ca_key.get(), nullptr, ca_key.get());
  if (!ca.ok()) return ca.status();
  if (absl::Status s = WritePem(dir, "ca", ca->get(), ca_key.get()); !s.ok()) return s;
  for (const std::string& host : options.hosts) {
    Key key(EVP_EC_gen("P-256"));
    if (key == nullptr) return OpenSslError("EC P-256 key");
    CertSpec spec{host, false,
                  absl::StrCat(IsIpAddress(host) ? "IP:" : "DNS:", host, ",DNS:", kJobPeerName),
                  options.days};
    absl::StatusOr<Cert> cert = MakeCert(spec, key.get(), ca->get(), ca_key.get());
    if (!cert.ok()) return cert.status();
    if (absl::Status s = WritePem(dir, host, cert->get(), key.get()); !s.ok()) return s;
  }
  return WriteJobToken((dir / "token").string());
}

TlsFiles JobCertsFilesFor(const std::string& dir, const std::string& host) {
  const fs::path d(dir);
  TlsFiles files;
  files.cert = (d / (host + ".crt")).string();
  files.key = (d / (host + ".key")).string();
  files.ca = (d / "ca.crt").string();
  files.token = (d / "token").string();
  return files;
}

}  // namespace gaia::common
