// gRPC settings shared by every Gaia endpoint: message-size limits, keepalives
// and deadlines. One place so client and server agree.
#ifndef GAIA_SRC_COMMON_RPC_OPTIONS_H_
#define GAIA_SRC_COMMON_RPC_OPTIONS_H_

#include <cstdint>

#include <grpcpp/grpcpp.h>

namespace gaia::common {

// gRPC's default receive limit is 4 MiB; a read of many wide rows exceeds it.
// Both directions are raised to 256 MiB (docs/PROTOCOL.md). Pushes are split
// far below this by the worker (WorkerOptions::max_batch_bytes).
inline constexpr int kMaxMessageBytes = 256 << 20;

// Keepalive: a ping every 20 s on idle streams, and a dead peer is declared
// after 10 s without an answer. Long-lived streams cross NATs and relays that
// drop idle TCP connections.
inline constexpr int kKeepaliveTimeMs = 20000;
inline constexpr int kKeepaliveTimeoutMs = 10000;

// Channel arguments for every client channel (worker->shard, control).
grpc::ChannelArguments ClientChannelArguments();

// Applies limits and keepalive policy to a server under construction.
void ConfigureServerBuilder(grpc::ServerBuilder* builder);

}  // namespace gaia::common

#endif  // GAIA_SRC_COMMON_RPC_OPTIONS_H_
