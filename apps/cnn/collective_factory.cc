// MakeCollective: the implementation by name. Built into gaia_cnn_collective,
// which links gaia_cnn_nccl (and so sees GAIA_HAVE_NCCL) when that exists.
#include <string>

#include "absl/strings/str_cat.h"
#include "apps/cnn/collective.h"
#include "apps/cnn/collective_ring.h"
#ifdef GAIA_HAVE_NCCL
#include "apps/cnn/nccl_collective.h"
#endif

namespace gaia::cnn {

bool CollectiveHasNccl() {
#ifdef GAIA_HAVE_NCCL
  return true;
#else
  return false;
#endif
}

absl::StatusOr<std::unique_ptr<Collective>> MakeCollective(std::string_view name,
                                                           const CollectiveOptions& options) {
  if (name == "cpu") {
    absl::StatusOr<std::unique_ptr<RingCollective>> ring = RingCollective::Create(options);
    if (!ring.ok()) return ring.status();
    return std::unique_ptr<Collective>(*std::move(ring));
  }
  if (name == "nccl") {
#ifdef GAIA_HAVE_NCCL
    absl::StatusOr<std::unique_ptr<NcclCollective>> nccl = NcclCollective::Create(options);
    if (!nccl.ok()) return nccl.status();
    return std::unique_ptr<Collective>(*std::move(nccl));
#else
    return absl::FailedPreconditionError(
        "collective \"nccl\": this build has no NCCL (configure with CUDA on, "
        "-DGAIA_WITH_CUDA=ON, and nccl.h / libnccl installed); use \"cpu\"");
#endif
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown collective \"", std::string(name), "\": expected \"cpu\" or \"nccl\""));
}

}  // namespace gaia::cnn
