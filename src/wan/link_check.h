// Measures what a kernel WAN emulator (netns_emulator.h) really delivers on
// every directed DC->DC link, for `gaia wan check` and the end-to-end test.
//
// For each link a->b, one after the other: a receiver thread enters b's
// namespace and listens on b's address; a sender thread enters a's
// namespace, connects, and
//  1. exchanges kPingPongs one-byte messages; delay_ms is half the median
//     round trip (so it is the mean of a->b and b->a when they differ);
//  2. on a second connection sends as fast as TCP allows for
//     `seconds_per_link`; mbps is the rate at the receiver from the end of
//     the first quarter of the transfer (slow start, htb's burst) to its
//     last byte.
// Every wait is bounded (the whole link by seconds_per_link + 10 s).
// Needs the same privileges as entering a namespace (root).
//
// Example:
//   absl::StatusOr<std::vector<LinkMeasurement>> m = CheckLinks(plan, matrix, 2.0);
//   for (const LinkMeasurement& l : *m) printf("%s->%s %.1f\n", ...);
#ifndef GAIA_SRC_WAN_LINK_CHECK_H_
#define GAIA_SRC_WAN_LINK_CHECK_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/wan/link_matrix.h"
#include "src/wan/netns_plan.h"

namespace gaia::wan {

inline constexpr int kPingPongs = 21;

struct LinkMeasurement {
  std::string from, to;
  double set_mbps = 0;      // the matrix's bandwidth
  double set_delay_ms = 0;  // the matrix's one-way delay
  double mbps = 0;          // measured throughput
  double delay_ms = 0;      // measured: half the median round trip
  // Whether the set delay is applied by the kernel (netem). If not, the
  // userspace relay adds it and delay_ms here shows only the kernel path.
  bool delay_in_kernel = false;
};

// Measures every link of `plan` (in plan.links order); the set values come
// from `matrix` (the plan's own values where the matrix lacks the link).
// InvalidArgument for seconds_per_link outside (0, 600]; Unavailable naming
// the link when a measurement fails (namespace gone, connect refused,
// timeout).
absl::StatusOr<std::vector<LinkMeasurement>> CheckLinks(const NetnsPlan& plan,
                                                        const LinkMatrix& matrix,
                                                        double seconds_per_link);

// Measured rate relative to the set one, in percent (+5 = 5 % fast).
double RateErrorPercent(const LinkMeasurement& m);

}  // namespace gaia::wan

#endif  // GAIA_SRC_WAN_LINK_CHECK_H_
