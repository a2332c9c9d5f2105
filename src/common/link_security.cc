#include "src/common/link_security.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include <grpcpp/create_channel_posix.h>
#include <grpcpp/security/auth_metadata_processor.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/support/client_interceptor.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "src/common/job_ca_verifier.h"
#include "src/common/local_socket.h"
#include "src/common/logging.h"

namespace gaia::common {
namespace {

// Reads a whole file; `what` names it in errors ("tls.key").
absl::StatusOr<std::string> ReadMaterial(const std::string& path, const char* what,
                                         bool must_be_private) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat(what, ": cannot read ", path));
  }
  if (must_be_private && (st.st_mode & 077) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": ", path, " is readable by group or others (mode ",
        absl::StrFormat("%o", st.st_mode & 0777), "); chmod 600 it"));
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return absl::NotFoundError(absl::StrCat(what, ": cannot read ", path));
  return text.str();
}

absl::Status ExpectPem(const std::string& text, absl::string_view label, const char* what,
                       const std::string& path) {
  if (text.find(absl::StrCat("-----BEGIN ", label)) == std::string::npos &&
      !(label == "PRIVATE KEY" && text.find("PRIVATE KEY-----") != std::string::npos)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", path, " holds no PEM ", label));
  }
  return absl::OkStatus();
}

// Constant time in the token's length: a refused peer learns nothing from
// how long the comparison took.
bool SameToken(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= a[i] ^ b[i];
  return diff == 0;
}

// A TLS peer as the server sees it: its certificate's names.
std::string PeerOf(const grpc::AuthContext& context) {
  std::vector<std::string> names;
  for (const grpc::string_ref& name : context.GetPeerIdentity()) {
    names.emplace_back(name.data(), name.size());
  }
  if (names.empty()) return "a peer without a verified certificate";
  return absl::StrCat("certificate ", absl::StrJoin(names, ","));
}

// Runs inside gRPC's TLS server, after the handshake verified the client's
// certificate and before any handler sees the call.
class TokenProcessor final : public grpc::AuthMetadataProcessor {
 public:
  TokenProcessor(std::string token, std::shared_ptr<RefusalLog> refusals)
      : token_(std::move(token)), refusals_(std::move(refusals)) {}

  bool IsBlocking() const override { return false; }  // a string compare

  grpc::Status Process(const InputMetadata& metadata, grpc::AuthContext* context,
                       OutputMetadata*, OutputMetadata*) override {
    const PublishedToGrpc::Visit visit(published_);
    auto it = metadata.find(kJobTokenMetadataKey);
    if (it != metadata.end() &&
        SameToken(absl::string_view(it->second.data(), it->second.size()), token_)) {
      return grpc::Status::OK;
    }
    const char* why = it == metadata.end() ? "no job token" : "a wrong job token";
    if (refusals_ != nullptr) refusals_->Refuse(PeerOf(*context), why);
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        absl::StrCat("refused: ", why));
  }

 private:
  const std::string token_;
  const std::shared_ptr<RefusalLog> refusals_;
  const PublishedToGrpc published_;  // last
};

class TokenInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit TokenInterceptor(const std::string* token) : token_(token) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->insert({kJobTokenMetadataKey, *token_});
    }
    methods->Proceed();
  }

 private:
  const std::string* const token_;  // owned by the factory
};

class TokenInterceptorFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit TokenInterceptorFactory(std::string token) : token_(std::move(token)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new TokenInterceptor(&token_);
  }

 private:
  const std::string token_;
};

std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
TokenInterceptors(const std::string& token) {
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> out;
  if (!token.empty()) out.push_back(std::make_unique<TokenInterceptorFactory>(token));
  return out;
}

}  // namespace

void RefusalLog::Refuse(const std::string& peer, const std::string& why) {
  count_.fetch_add(1, std::memory_order_relaxed);
  {
    MutexLock lock(&mu_);
    // Bounded: a flood of new peers cannot grow the set (or the log) forever.
    if (logged_peers_.size() >= kMaxLoggedPeers || !logged_peers_.insert(peer).second) return;
  }
  Logger(component_)->warn("refused a call from {}: {} (logged once per peer)", peer, why);
}

namespace {

struct MaterialFile {
  const std::string* path;
  const char* what;         // names it in errors
  bool must_be_private;     // keys and tokens: mode 0600
  const char* pem_label;    // null: not PEM
};

std::vector<MaterialFile> MaterialFiles(const TlsFiles& files) {
  return {{&files.cert, "tls cert", false, "CERTIFICATE"},
          {&files.key, "tls key", true, "PRIVATE KEY"},
          {&files.ca, "tls ca", false, "CERTIFICATE"},
          {&files.token, "tls token", true, nullptr}};
}

absl::StatusOr<std::string> ReadMaterialFile(const MaterialFile& file) {
  absl::StatusOr<std::string> text = ReadMaterial(*file.path, file.what, file.must_be_private);
  if (!text.ok() || file.pem_label == nullptr) return text;
  if (absl::Status s = ExpectPem(*text, file.pem_label, file.what, *file.path); !s.ok()) return s;
  return text;
}

}  // namespace

absl::Status LinkSecurity::CheckFiles(const TlsFiles& files) {
  for (const MaterialFile& file : MaterialFiles(files)) {
    if (file.path->empty()) continue;
    if (absl::StatusOr<std::string> text = ReadMaterialFile(file); !text.ok()) {
      return text.status();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const LinkSecurity>> LinkSecurity::Load(const TlsFiles& files) {
  if (files.empty()) return Plaintext();
  std::vector<std::string> texts;
  for (const MaterialFile& file : MaterialFiles(files)) {
    if (file.path->empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(file.what, ": missing (cert, key, ca and token go together)"));
    }
    absl::StatusOr<std::string> text = ReadMaterialFile(file);
    if (!text.ok()) return text.status();
    texts.push_back(std::move(*text));
  }
  std::shared_ptr<LinkSecurity> security(new LinkSecurity());
  security->cert_pem_ = std::move(texts[0]);
  security->key_pem_ = std::move(texts[1]);
  security->ca_pem_ = std::move(texts[2]);
  absl::string_view token = absl::StripAsciiWhitespace(texts[3]);
  if (token.size() < 16) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tls token: ", files.token, " holds ", token.size(),
        " characters; a job token has at least 16 (gaia certs writes 64)"));
  }
  security->token_ = std::string(token);
  security->server_name_ = files.server_name.empty() ? kJobPeerName : files.server_name;
  return std::shared_ptr<const LinkSecurity>(std::move(security));
}

std::shared_ptr<const LinkSecurity> LinkSecurity::Plaintext() {
  static const auto* const plaintext =
      new std::shared_ptr<const LinkSecurity>(new LinkSecurity());
  return *plaintext;
}

std::shared_ptr<grpc::ServerCredentials> LinkSecurity::ServerCredentials(
    std::shared_ptr<RefusalLog> refusals) const {
  if (!tls()) return grpc::InsecureServerCredentials();
  // OpenSSL asks for the client's certificate but leaves judging it to
  // JobCaVerifier, which counts and logs the peers it refuses.
  auto identity = std::make_shared<grpc::experimental::StaticDataCertificateProvider>(
      std::vector<grpc::experimental::IdentityKeyCertPair>{{key_pem_, cert_pem_}});
  grpc::experimental::TlsServerCredentialsOptions options(identity);
  options.watch_identity_key_cert_pairs();
  options.set_cert_request_type(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);
  options.set_certificate_verifier(JobCaVerifier(ca_pem_, refusals));
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::experimental::TlsServerCredentials(options);
  credentials->SetAuthMetadataProcessor(
      std::make_shared<TokenProcessor>(token_, std::move(refusals)));
  return credentials;
}

std::shared_ptr<grpc::Channel> LinkSecurity::Channel(const std::string& address,
                                                     grpc::ChannelArguments args) const {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (tls() && !IsLocalAddress(address)) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ca_pem_;
    options.pem_private_key = key_pem_;
    options.pem_cert_chain = cert_pem_;
    credentials = grpc::SslCredentials(options);
    args.SetSslTargetNameOverride(server_name_);
  }
  return grpc::experimental::CreateCustomChannelWithInterceptors(address, credentials, args,
                                                                 TokenInterceptors(token_));
}

std::shared_ptr<grpc::Channel> LinkSecurity::ChannelFromFd(const std::string& address, int fd,
                                                           grpc::ChannelArguments args) const {
  return grpc::experimental::CreateCustomInsecureChannelWithInterceptorsFromFd(
      address, fd, args, TokenInterceptors(token_));
}

bool LinkSecurity::Admit(const grpc::CallbackServerContext& context,
                         RefusalLog* refusals) const {
  if (token_.empty()) return true;
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kJobTokenMetadataKey);
  if (it != metadata.end() &&
      SameToken(absl::string_view(it->second.data(), it->second.size()), token_)) {
    return true;
  }
  if (refusals != nullptr) {
    refusals->Refuse(context.peer(), it == metadata.end() ? "no job token" : "a wrong job token");
  }
  return false;
}

bool CallGate::Admit(const grpc::CallbackServerContext& context) const {
  return security == nullptr || security->Admit(context, refusals.get());
}

}  // namespace gaia::common
