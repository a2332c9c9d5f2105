// A run's own kernel WAN emulator (wan.emulate: netns; docs/WAN_KERNEL.md):
// one network namespace per DC, shaped by tc, under a name unique to this
// launcher process. Taken down when the object dies, however the run ends,
// so declare it before the processes that run inside it.
//
// Not thread-safe.
#ifndef GAIA_SRC_CLI_KERNEL_WAN_H_
#define GAIA_SRC_CLI_KERNEL_WAN_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "src/wan/link_matrix.h"
#include "src/wan/netns_plan.h"

namespace gaia::cli {

class KernelWan {
 public:
  KernelWan() = default;
  ~KernelWan();  // Down, if up; a failure is logged, not returned
  KernelWan(const KernelWan&) = delete;
  KernelWan& operator=(const KernelWan&) = delete;

  // Brings the emulator up for `dcs` (names in `links`). Errors start with
  // "wan.emulate: netns: " (no root, no tc, a clashing instance...).
  absl::Status Start(const wan::LinkMatrix& links, const std::vector<std::string>& dcs);

  bool up() const { return plan_.has_value(); }
  // REQUIRES: up().
  const wan::NetnsPlan& plan() const { return *plan_; }
  // The plan, or nullptr when the emulator is not up (PlaceProcesses).
  const wan::NetnsPlan* plan_or_null() const { return plan_ ? &*plan_ : nullptr; }

 private:
  std::optional<wan::NetnsPlan> plan_;
};

}  // namespace gaia::cli

#endif  // GAIA_SRC_CLI_KERNEL_WAN_H_
