// Same-host connections over Unix-domain stream sockets, for worker <-> shard
// streams whose ends share a host. On this kind of VM a Unix socket with
// 4 MiB buffers moves bulk bytes about twice as fast as TCP over 127.0.0.1
// (no TCP/IP processing, one copy in and one out; bench/socket_bench.cc,
// docs/PERFORMANCE.md). gRPC speaks HTTP/2 over it exactly as over TCP.
//
// Addresses: "unix:<path>" (a filesystem socket) or "unix-abstract:<name>"
// (Linux's abstract namespace: no file to clean up, scoped to the network
// namespace). The same strings are gRPC target names.
//
//   absl::StatusOr<int> listener = ListenLocal("unix-abstract:gaia-job-0");
//   absl::StatusOr<int> fd = ConnectLocal("unix-abstract:gaia-job-0");
//
// gRPC cannot set socket buffer sizes itself, so both ends make the socket
// and hand the connected descriptor to gRPC (grpc::AddInsecureChannelFromFd,
// grpc::CreateCustomInsecureChannelFromFd).
#ifndef GAIA_SRC_COMMON_LOCAL_SOCKET_H_
#define GAIA_SRC_COMMON_LOCAL_SOCKET_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gaia::common {

// Send buffer asked for on both ends (the kernel caps it at
// net.core.wmem_max; a Unix stream socket's sender buffer bounds what is in
// flight).
inline constexpr int kLocalSocketBufferBytes = 4 << 20;

// Whether `address` names a Unix-domain socket ("unix:" or "unix-abstract:").
bool IsLocalAddress(absl::string_view address);

// A bound, listening, non-blocking socket. INVALID_ARGUMENT for a malformed or
// too long address; UNAVAILABLE (naming the address) if it is in use.
absl::StatusOr<int> ListenLocal(absl::string_view address);

// Accepts one pending connection of `listener`: a non-blocking descriptor with
// its buffers set, or -1 when none is pending.
int AcceptLocal(int listener);

// A connected, non-blocking socket with its buffers set. UNAVAILABLE (naming the
// address) if nothing listens there (yet).
absl::StatusOr<int> ConnectLocal(absl::string_view address);

// Removes a "unix:" address's socket file (after its listener closed); no-op
// for abstract addresses.
void RemoveLocalSocketFile(absl::string_view address);

}  // namespace gaia::common

#endif  // GAIA_SRC_COMMON_LOCAL_SOCKET_H_
