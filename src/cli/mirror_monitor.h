// The launcher's view of a gaia-mode run's mirrors: polls every shard's
// Mirror.Status, sums per directed DC link, and tells when every DC's copy
// has settled after the final flush (DESIGN.md §4.2.5, §8).
#ifndef GAIA_SRC_CLI_MIRROR_MONITOR_H_
#define GAIA_SRC_CLI_MIRROR_MONITOR_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/gaia.grpc.pb.h"
#include "src/common/link_security.h"

namespace gaia::cli {

// One directed DC link, summed over shards (sender's view; blocked and
// stall times from the receiver's view).
struct MirrorLinkTotals {
  uint64_t bytes = 0;
  uint64_t messages = 0;
  uint64_t elements = 0;
  uint64_t barriers = 0;
  uint64_t retransmitted = 0;
  uint64_t rejected = 0;
  double barrier_blocked_s = 0;
  double clock_stall_s = 0;
};

struct MirrorTotals {
  bool ok = false;               // every shard answered
  bool settled = false;          // all flushed and idle
  uint64_t elements_seen = 0;
  uint64_t elements_sent = 0;
  uint64_t updates_scored = 0;         // thesis Fig. 5.4: local update elements
  uint64_t updates_insignificant = 0;  // of them, those changing their value <= 1%
  uint64_t messages = 0;
  double hard_threshold = 0;     // max over shards
  double soft_threshold = 0;
  std::map<std::pair<uint32_t, uint32_t>, MirrorLinkTotals> links;  // (from, to)
  uint64_t bytes() const;
  double filtered_fraction() const;  // 1 - sent / seen
  // updates_insignificant / updates_scored; 0 when none was scored.
  double insignificant_fraction() const;
};

class MirrorMonitor {
 public:
  // Mirror addresses ("host:port") of every shard of the run.
  // `security`: TLS client material and token (null: plaintext).
  MirrorMonitor(const std::vector<std::string>& addresses,
                std::shared_ptr<const common::LinkSecurity> security);

  MirrorTotals Poll(absl::Duration rpc_deadline = absl::Seconds(2)) const;

  // Waits until two polls in a row are settled with no message moved in
  // between. DEADLINE_EXCEEDED naming what is still busy otherwise.
  absl::Status AwaitSettled(absl::Duration timeout) const;

  // Mirror.Flush on every shard. Returns elements queued.
  absl::StatusOr<uint64_t> FlushAll() const;

 private:
  std::vector<std::string> addresses_;
  std::vector<std::unique_ptr<rpc::Mirror::Stub>> stubs_;
};

}  // namespace gaia::cli

#endif  // GAIA_SRC_CLI_MIRROR_MONITOR_H_
