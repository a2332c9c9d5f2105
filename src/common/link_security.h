// Who may talk to a job's servers (DESIGN.md §5, docs/SECURITY.md): mutual
// TLS with the job's CA on TCP links, and the job token as call metadata on
// every link, Unix sockets included. The one place that turns the job's
// material into gRPC credentials, for every link kind (worker->shard,
// mirror<->mirror, control/flush).
//
//   absl::StatusOr<std::shared_ptr<const LinkSecurity>> security =
//       LinkSecurity::Load(files);                    // errors name the file
//   builder.AddListeningPort(address, (*security)->ServerCredentials(), &port);
//   std::shared_ptr<grpc::Channel> channel = (*security)->Channel(address, args);
//
// A null LinkSecurity (or LinkSecurity::Plaintext()) means plaintext and no
// token: one-host experiments with `tls.enabled: false`.
//
// Thread-safe; immutable after Load() except for the refusal counter.
#ifndef GAIA_SRC_COMMON_LINK_SECURITY_H_
#define GAIA_SRC_COMMON_LINK_SECURITY_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "src/common/mutex.h"

namespace gaia::common {

// The metadata key that carries the job token on every call.
inline constexpr char kJobTokenMetadataKey[] = "gaia-job-token";

// The name every job certificate carries in its subjectAltName besides the
// host's own address, and the name a client expects of the server: a client
// often dials a WAN relay's 127.0.0.1 port, not the far peer, so the dialed
// address cannot be what it checks.
inline constexpr char kJobPeerName[] = "gaia-job-peer";

// Paths of the material (PEM files, and a file holding the token). All empty
// = plaintext. The key and token files must not be readable by group or
// others (like ssh's private keys).
struct TlsFiles {
  std::string cert;
  std::string key;
  std::string ca;
  std::string token;
  // What the client expects in the server certificate's subjectAltName.
  std::string server_name = kJobPeerName;

  bool empty() const { return cert.empty() && key.empty() && ca.empty() && token.empty(); }
};

// Refused calls: counted, and logged once per peer.
class RefusalLog {
 public:
  explicit RefusalLog(std::string component) : component_(std::move(component)) {}
  void Refuse(const std::string& peer, const std::string& why);
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kMaxLoggedPeers = 1024;
  const std::string component_;  // the logger's name
  std::atomic<uint64_t> count_{0};
  Mutex mu_;  // guards logged_peers_
  absl::flat_hash_set<std::string> logged_peers_ ABSL_GUARDED_BY(mu_);
};

class LinkSecurity;

// For objects gRPC calls on its own threads (token processor, certificate
// verifier), declared as their last member. gRPC hands such an object to its
// threads, and later back for destruction, through synchronization that
// ThreadSanitizer does not see (it reported both hand-offs in the TLS tests).
// This atomic states the same order where TSan sees it: the constructor's
// writes come before every Visit, and every Visit before the destructor.
// Where our own thread reads the object after its construction and before
// gRPC has it (gRPC's ExternalCertificateVerifier::Create reads it to wrap
// it), Publish() after that read puts the read before the destructor too.
class PublishedToGrpc {
 public:
  PublishedToGrpc() { visits_.store(0, std::memory_order_release); }
  void Publish() const { visits_.fetch_add(0, std::memory_order_release); }
  ~PublishedToGrpc() { (void)visits_.load(std::memory_order_acquire); }
  PublishedToGrpc(const PublishedToGrpc&) = delete;
  PublishedToGrpc& operator=(const PublishedToGrpc&) = delete;

  // Held for the whole of a callback.
  class Visit {
   public:
    explicit Visit(const PublishedToGrpc& owner) : owner_(owner) {
      (void)owner_.visits_.load(std::memory_order_acquire);
    }
    ~Visit() { owner_.visits_.fetch_add(1, std::memory_order_acq_rel); }
    Visit(const Visit&) = delete;
    Visit& operator=(const Visit&) = delete;

   private:
    const PublishedToGrpc& owner_;
  };

 private:
  mutable std::atomic<uint64_t> visits_{0};
};

// What a service's handlers consult where gRPC runs no token check (Unix
// sockets). A default CallGate admits every call.
struct CallGate {
  std::shared_ptr<const LinkSecurity> security;  // null: plaintext, no token
  std::shared_ptr<RefusalLog> refusals;          // null: not counted
  bool Admit(const grpc::CallbackServerContext& context) const;
  uint64_t refused() const { return refusals == nullptr ? 0 : refusals->count(); }
};

class LinkSecurity {
 public:
  // Reads and checks the files: INVALID_ARGUMENT or NOT_FOUND naming the
  // file. Empty `files` gives Plaintext().
  static absl::StatusOr<std::shared_ptr<const LinkSecurity>> Load(const TlsFiles& files);
  static std::shared_ptr<const LinkSecurity> Plaintext();
  // The checks of Load() on the files that are given (a spec may name PEM
  // files and leave the token to the launcher).
  static absl::Status CheckFiles(const TlsFiles& files);

  bool tls() const { return !ca_pem_.empty(); }
  const std::string& token() const { return token_; }

  // Server credentials for a TCP port: TLS that requires a client
  // certificate from the job's CA (JobCaVerifier, at the end of the
  // handshake) and refuses, before any handler runs, a call without the
  // job's token; both refusals are counted in `refusals`.
  std::shared_ptr<grpc::ServerCredentials> ServerCredentials(
      std::shared_ptr<RefusalLog> refusals) const;

  // A channel to `address` that sends the token on every call; TLS with
  // the client certificate unless `address` is a Unix socket or TLS is off.
  std::shared_ptr<grpc::Channel> Channel(const std::string& address,
                                         grpc::ChannelArguments args) const;
  // The same for a connected Unix-socket descriptor (gRPC owns `fd`).
  std::shared_ptr<grpc::Channel> ChannelFromFd(const std::string& address, int fd,
                                               grpc::ChannelArguments args) const;

  // For handlers of services also served on Unix sockets, where gRPC runs
  // no AuthMetadataProcessor: true if the call carries the job's token (or
  // there is none); otherwise counts and logs the refusal.
  bool Admit(const grpc::CallbackServerContext& context, RefusalLog* refusals) const;

 private:
  LinkSecurity() = default;

  std::string cert_pem_;
  std::string key_pem_;
  std::string ca_pem_;
  std::string token_;
  std::string server_name_;
};

}  // namespace gaia::common

#endif  // GAIA_SRC_COMMON_LINK_SECURITY_H_
