#include "src/common/job_ca_verifier.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gaia::common {
namespace {

struct StoreFree {
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
struct StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
struct ContextFree {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};
using Store = std::unique_ptr<X509_STORE, StoreFree>;
using Cert = std::unique_ptr<X509, CertFree>;
using CertStack = std::unique_ptr<STACK_OF(X509), StackFree>;
using Context = std::unique_ptr<X509_STORE_CTX, ContextFree>;

// Every certificate in a PEM text, in order (none for text without one).
std::vector<Cert> ReadCertificates(const std::string& pem) {
  std::vector<Cert> certs;
  if (pem.empty()) return certs;
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (bio == nullptr) return certs;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    certs.emplace_back(cert);
  }
  ERR_clear_error();  // the read past the last certificate leaves an error
  return certs;
}

Store StoreOf(const std::string& ca_pem) {
  Store store(X509_STORE_new());
  if (store == nullptr) return store;
  for (const Cert& ca : ReadCertificates(ca_pem)) X509_STORE_add_cert(store.get(), ca.get());
  return store;
}

std::string ChainError(X509_STORE* store, const std::string& leaf_pem,
                       const std::string& chain_pem) {
  std::vector<Cert> leaf = ReadCertificates(leaf_pem);
  if (leaf.empty()) return "no client certificate";
  CertStack untrusted(sk_X509_new_null());
  Context context(X509_STORE_CTX_new());
  if (store == nullptr || untrusted == nullptr || context == nullptr) {
    return "out of memory verifying the client certificate";
  }
  for (Cert& cert : ReadCertificates(chain_pem)) {
    if (sk_X509_push(untrusted.get(), cert.get()) > 0) cert.release();
  }
  if (X509_STORE_CTX_init(context.get(), store, leaf[0].get(), untrusted.get()) != 1) {
    ERR_clear_error();
    return "cannot verify the client certificate";
  }
  // What OpenSSL's handshake checks of a client: the chain to a trusted
  // CA, validity dates, and a key usage that allows TLS client auth.
  X509_STORE_CTX_set_purpose(context.get(), X509_PURPOSE_SSL_CLIENT);
  if (X509_verify_cert(context.get()) == 1) return "";
  const int error = X509_STORE_CTX_get_error(context.get());
  ERR_clear_error();
  return absl::StrCat("a certificate the job's CA does not verify (",
                      X509_verify_cert_error_string(error), ")");
}

std::string PeerOf(grpc::experimental::TlsCustomVerificationCheckRequest& request) {
  std::vector<std::string> names;
  for (const grpc::string_ref& name : request.dns_names()) {
    names.emplace_back(name.data(), name.size());
  }
  for (const grpc::string_ref& name : request.ip_names()) {
    names.emplace_back(name.data(), name.size());
  }
  const grpc::string_ref common = request.common_name();
  if (names.empty() && common.size() > 0) names.emplace_back(common.data(), common.size());
  if (names.empty()) return "a TLS peer without a certificate";
  return absl::StrCat("a TLS peer with certificate ", absl::StrJoin(names, ","));
}

class Verifier final : public grpc::experimental::ExternalCertificateVerifier {
 public:
  // `*self` gets this object, for Published() once Create has wrapped it.
  Verifier(const std::string& ca_pem, std::shared_ptr<RefusalLog> refusals, Verifier** self)
      : store_(StoreOf(ca_pem)), refusals_(std::move(refusals)) {
    *self = this;
  }

  // Called on the creating thread once gRPC's Create has read this object
  // and before gRPC has it: that read comes before the destructor, which may
  // run on a gRPC thread (TSan reported it in mirror_tls_test).
  void Published() const { published_.Publish(); }

  bool Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)>, grpc::Status* sync_status) override {
    const PublishedToGrpc::Visit visit(published_);
    const grpc::string_ref leaf = request->peer_cert();
    const grpc::string_ref chain = request->peer_cert_full_chain();
    const std::string why = ChainError(store_.get(), std::string(leaf.data(), leaf.size()),
                                       std::string(chain.data(), chain.size()));
    if (why.empty()) {
      *sync_status = grpc::Status::OK;
    } else {
      if (refusals_ != nullptr) refusals_->Refuse(PeerOf(*request), why);
      *sync_status =
          grpc::Status(grpc::StatusCode::UNAUTHENTICATED, absl::StrCat("refused: ", why));
    }
    return true;  // decided synchronously
  }

  void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest*) override {}

 private:
  // Only read after construction; OpenSSL locks its own lookups.
  const Store store_;
  const std::shared_ptr<RefusalLog> refusals_;
  const PublishedToGrpc published_;  // last
};

}  // namespace

std::string ClientCertificateError(const std::string& ca_pem, const std::string& leaf_pem,
                                   const std::string& chain_pem) {
  Store store = StoreOf(ca_pem);
  return ChainError(store.get(), leaf_pem, chain_pem);
}

std::shared_ptr<grpc::experimental::CertificateVerifier> JobCaVerifier(
    std::string ca_pem, std::shared_ptr<RefusalLog> refusals) {
  Verifier* verifier = nullptr;
  std::shared_ptr<grpc::experimental::CertificateVerifier> wrapped =
      grpc::experimental::ExternalCertificateVerifier::Create<Verifier>(
          ca_pem, std::move(refusals), &verifier);
  verifier->Published();
  return wrapped;
}

}  // namespace gaia::common
