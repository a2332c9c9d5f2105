// The MF SGD clock on one CUDA GPU, as an SgdEngine (apps/mf/sgd_engine.h):
// the same objective, learning-rate schedule and step rule as LocalSgd, with
// the pass run by the batch-Hogwild kernel of sgd_kernels.h. Built only with
// CUDA (apps/mf/cuda.cmake); includes no CUDA header.
//
//   DeviceSgdOptions gpu;  gpu.fp16_user_factors = true;
//   absl::StatusOr<std::unique_ptr<SgdEngine>> engine = CreateDeviceEngine(ratings, sgd, gpu);
//   // FAILED_PRECONDITION naming the reason when there is no usable GPU.
//
// Per clock: the R rows as read are staged in pinned memory and copied in
// once; the objective and the pass run on the device, where the ratings and L
// stay; only the rows' change (and, for StepRule::kDamped, one curvature sum
// per row) is copied out; the step rule then scales it on the host as
// LocalSgd does. The order ratings are visited in differs from the CPU's
// (ChooseVisitOrder, and concurrent warps), so trajectories agree within a
// tolerance, not bit for bit. SgdOptions::threads is not used: the GPU's warps
// are the parallelism. Not thread-safe.
#ifndef GAIA_APPS_MF_CUDA_DEVICE_SGD_H_
#define GAIA_APPS_MF_CUDA_DEVICE_SGD_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "apps/mf/rating.h"
#include "apps/mf/sgd.h"
#include "apps/mf/sgd_engine.h"

namespace gaia::mf::cuda {

struct DeviceSgdOptions {
  int device = 0;  // CUDA ordinal
  // Stores L in fp16 on the device (--fp16): half the user-factor bytes per
  // rating, fp32 arithmetic; R stays fp32. Costs accuracy (docs/APP_MF.md).
  bool fp16_user_factors = false;
};

// Opens GPU options.device and copies the ratings and the initial L (the
// same as LocalSgd::Create's) there. Errors: INVALID_ARGUMENT for bad SGD
// options or 2^32 or more ratings; FAILED_PRECONDITION when there is no usable
// GPU; RESOURCE_EXHAUSTED when the data does not fit in its memory.
absl::StatusOr<std::unique_ptr<SgdEngine>> CreateDeviceEngine(const std::vector<Rating>& ratings,
                                                              const SgdOptions& options,
                                                              const DeviceSgdOptions& device);

}  // namespace gaia::mf::cuda

#endif  // GAIA_APPS_MF_CUDA_DEVICE_SGD_H_
