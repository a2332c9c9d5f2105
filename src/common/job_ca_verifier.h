// The server's check of a TLS client's certificate against the job's CA.
//
// gRPC's own check runs inside OpenSSL's handshake, where a refused peer
// leaves nothing but a line in gRPC's log. Servers instead ask for the
// client's certificate without having OpenSSL judge it, and this verifier,
// which gRPC calls at the end of the handshake and before any message is
// read, verifies the chain to the job's CA for a TLS client: a peer with no
// certificate or one from another CA is refused, counted and logged like a
// call without the job's token (docs/SECURITY.md).
#ifndef GAIA_SRC_COMMON_JOB_CA_VERIFIER_H_
#define GAIA_SRC_COMMON_JOB_CA_VERIFIER_H_

#include <memory>
#include <string>

#include <grpcpp/security/tls_certificate_verifier.h>

#include "src/common/link_security.h"

namespace gaia::common {

// Why the client certificate `leaf_pem` (with intermediates in `chain_pem`,
// which may repeat the leaf) does not verify against the CA certificates in
// `ca_pem` for a TLS client; empty if it does. Empty `leaf_pem`: no
// certificate.
std::string ClientCertificateError(const std::string& ca_pem, const std::string& leaf_pem,
                                   const std::string& chain_pem);

// A verifier for grpc::experimental::TlsServerCredentialsOptions that admits
// exactly the clients ClientCertificateError admits and counts the others in
// `refusals` (may be null).
std::shared_ptr<grpc::experimental::CertificateVerifier> JobCaVerifier(
    std::string ca_pem, std::shared_ptr<RefusalLog> refusals);

}  // namespace gaia::common

#endif  // GAIA_SRC_COMMON_JOB_CA_VERIFIER_H_
