// The GPU layer for the programs: CUDA results as absl::Status, and choosing
// the GPU a worker runs on. The core (cuda_result.h, device.h, buffers.h,
// stream.h) has no absl dependency; this adapter is what apps link.
//
//   absl::StatusOr<gaia::gpu::DeviceInfo> gpu = gaia::gpu::OpenDevice(0);
//   if (!gpu.ok()) return gpu.status();   // FAILED_PRECONDITION: no GPU, and why
//   GAIA_GPU_RETURN_IF_ERROR(buffer.Allocate(n));
//
// Thread-safe (free functions of values).
#ifndef GAIA_APPS_COMMON_GPU_STATUS_H_
#define GAIA_APPS_COMMON_GPU_STATUS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "apps/common/gpu/cuda_result.h"
#include "apps/common/gpu/device.h"

namespace gaia::gpu {

// OK for success; FAILED_PRECONDITION when there is no usable GPU
// (IsNoDeviceError), RESOURCE_EXHAUSTED for out-of-memory, INTERNAL for any
// other failure. The message is result.message().
absl::Status ToStatus(const CudaResult& result);

// UseDevice(ordinal) as a status: the chosen GPU's properties, or why there
// is none ("no usable CUDA GPU: ...: cudaErrorNoDevice: no CUDA-capable
// device is detected").
absl::StatusOr<DeviceInfo> OpenDevice(int ordinal);

}  // namespace gaia::gpu

// Returns ToStatus(expr) from the enclosing absl::Status / StatusOr function
// when `expr` (a CudaResult) failed.
#define GAIA_GPU_RETURN_IF_ERROR(expr)                                       \
  do {                                                                       \
    if (::gaia::gpu::CudaResult gaia_gpu_r_ = (expr); !gaia_gpu_r_.ok())     \
      return ::gaia::gpu::ToStatus(gaia_gpu_r_);                             \
  } while (0)

#endif  // GAIA_APPS_COMMON_GPU_STATUS_H_
