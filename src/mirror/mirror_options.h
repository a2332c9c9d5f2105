// What a shard's ASP mirror is told (DESIGN.md §4.2), filled from the job
// spec by src/cli/mirror_setup.h or by a test.
#ifndef GAIA_SRC_MIRROR_MIRROR_OPTIONS_H_
#define GAIA_SRC_MIRROR_MIRROR_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gaia/significance.h"
#include "src/common/clock.h"
#include "src/common/job_spec.h"
#include "src/mirror/link_call.h"
#include "src/mirror/overlay.h"
#include "src/significance/emission.h"
#include "src/significance/threshold.h"

namespace gaia::mirror {

struct MirrorOptions {
  std::string job_id;                      // peers of another job are refused
  uint32_t dc = 0;                         // this shard's DC index
  uint32_t partition_index = 0;            // shard k mirrors shard k elsewhere
  uint32_t partition_size = 1;
  std::vector<common::TableSpec> tables;   // every table of the job
  Overlay overlay{{0}, {{0}}};             // groups and hubs; num_dcs from it

  gaia::SignificanceFn significance;       // required
  significance::ThresholdOptions threshold;
  // Mirror-clock bound DS: reads wait while this shard's clock is ds or
  // more clocks ahead of another DC's mirror clock (1: lockstep; 0 is
  // refused, it would hold every read). < 0 (gaia_async): no bound past the
  // start line, where reads after clock 0 wait once for every DC's first
  // MIRROR CLOCK (AspGate), the only one sent.
  int32_t ds = 2;
  bool barriers = true;                    // false: never send or honour barriers
  // A barrier goes ahead of newly queued rows when the link's backlog would
  // take longer than this to drain at its measured bandwidth.
  double barrier_backlog_ms = 100;
  // How significant values are sent, with error feedback
  // (src/significance/emission.h); the final flush is exact either way.
  significance::ValueEmission values = significance::ValueEmission::kHalf;

  // Messages on a link whose measured bandwidth is below this are
  // gzip-compressed: zlib deflates mirror batches far faster than such a
  // link carries them (14% fewer WAN bytes on the 2 Mbit/s MF job with
  // ternary values). Faster links, and links not measured yet (the first
  // acknowledgement measures them), send them as they are.
  double compress_below_mbps = 200;

  std::string listen_address = "127.0.0.1:0";
  // Mutual TLS and the job token on the mirror's port and on its outgoing
  // links (docs/SECURITY.md). Null = plaintext.
  std::shared_ptr<const common::LinkSecurity> security;
  size_t max_batch_bytes = 1 << 20;        // data per MirrorBatch (approximate)
  size_t max_unacked_bytes = 8 << 20;      // sent but unacknowledged, per link
  // Queued but not yet sent, per link (approximate wire bytes). A sweep that
  // would queue more stops there and goes on as the links drain; the rest
  // waits in the filter's accumulators (SignificanceFilter rounds).
  size_t max_queued_bytes = 8 << 20;
  size_t max_message_bytes = 64 << 20;     // larger incoming messages are refused
  int64_t reconnect_backoff_ms = 200;

  // Test hooks (STYLE.md §2, §6).
  // Where the mirror reads the time it acts on (the bandwidth estimate that
  // triggers barriers and picks compression, reconnect backoff). Tests pass
  // a fake clock (tests/mirror/fake_clock.h) and drive time without sleeping.
  std::shared_ptr<const common::Clock> clock = common::RealClock();
  // Opens outgoing link attempts. Null: LinkCall::Start (gRPC). Tests pass
  // fakes (tests/mirror/fake_shard.h) to run the sender without a network.
  LinkConnector connect;
};

// INVALID_ARGUMENT naming the field for inconsistent options.
absl::Status ValidateMirrorOptions(const MirrorOptions& options);

// A fingerprint of what both ends of a link must agree on (the tables and
// the partition): the sender puts it in its hello, the receiver compares.
uint64_t LayoutFingerprint(const MirrorOptions& options);

// A sender's incarnation (MirrorHello.incarnation): random (absl::BitGen,
// seeded from OS entropy), nonzero, new on every call, so a restarted
// sender's differs from its predecessor's but with chance 2^-64.
uint64_t NewIncarnation();

// Floats per row of each table, table id = index.
std::vector<uint32_t> TableWidths(const MirrorOptions& options);

}  // namespace gaia::mirror

#endif  // GAIA_SRC_MIRROR_MIRROR_OPTIONS_H_
