#include "apps/common/gpu/status.h"

namespace gaia::gpu {

absl::Status ToStatus(const CudaResult& result) {
  if (result.ok()) return absl::OkStatus();
  if (IsNoDeviceError(result.code())) return absl::FailedPreconditionError(result.message());
  if (result.code() == cudaErrorMemoryAllocation) {
    return absl::ResourceExhaustedError(result.message());
  }
  return absl::InternalError(result.message());
}

absl::StatusOr<DeviceInfo> OpenDevice(int ordinal) {
  DeviceInfo info;
  if (CudaResult r = UseDevice(ordinal, &info); !r.ok()) return ToStatus(r);
  return info;
}

}  // namespace gaia::gpu
