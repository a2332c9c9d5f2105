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

// Keepalive: a ping every 20 s, so that long-lived streams keep crossing
// NATs and relays that drop idle TCP connections, and a dead peer is declared
// after 120 s without an answer. The answer queues behind the data the peer
// has already written towards us: a read reply of megabytes on a 2.2 Mbit/s
// link (the S/S preset scaled by 0.13) takes tens of seconds, and with 10 s
// a `baseline` worker declared its live shard dead mid-read (LDA, 5 MB reads
// per clock). A peer process that dies on a live host is reset by its kernel
// at once; only a lost host or link waits for this.
inline constexpr int kKeepaliveTimeMs = 20000;
inline constexpr int kKeepaliveTimeoutMs = 120000;

// Receive window of the streams between workers and shards, on both ends
// (the pushes a worker may have in flight before the shard reads them, the
// read replies a shard may send before the worker reads them): fixed,
// instead of gRPC's BDP probing. Measured on loopback (docs/PERFORMANCE.md):
// on the shard, the BDP pings cost a 1-row round trip ~30 us at p50 and the
// grown windows ~25 MiB of buffers, for no push or pull throughput; on the
// worker, BDP probing held a 1-worker pull of 1000 x 1024 floats to
// ~2.6 GB/s against ~3.7 GB/s with the fixed window. 16 MiB still fills a
// 1.3 Gbit/s link at 100 ms RTT (a worker reaching a remote shard in
// `baseline`).
inline constexpr int kShardStreamWindowBytes = 16 << 20;

// The largest HTTP/2 DATA frame either end of a worker <-> shard connection
// accepts (gRPC's default is the protocol's minimum, 16 KiB): a 1 MiB push
// or read reply crosses as one frame instead of 64, with 64x fewer frame
// headers to write and parse. Measured side by side on same-host sockets
// (docs/PERFORMANCE.md): 4 MB pushes ~10% faster, pulls no slower.
inline constexpr int kShardMaxFrameBytes = 4 << 20;

// The service a server offers or a client channel reaches: a shard's
// (worker Session, control), or a mirror's DC-to-DC links (long-delay WAN
// links: these keep gRPC's BDP probing).
enum class ServerKind { kShard, kMirror };

// Channel arguments for a client channel to a server of `kind`.
grpc::ChannelArguments ClientChannelArguments(ServerKind kind);

// Applies limits, keepalive policy and flow control to a server under
// construction.
void ConfigureServerBuilder(grpc::ServerBuilder* builder, ServerKind kind);

}  // namespace gaia::common

#endif  // GAIA_SRC_COMMON_RPC_OPTIONS_H_
