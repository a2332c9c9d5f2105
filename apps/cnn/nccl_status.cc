#include "apps/cnn/nccl_status.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace gaia::cnn::internal {

absl::Status CudaStatus(cudaError_t result, std::string_view call) {
  if (result == cudaSuccess) return absl::OkStatus();
  const std::string message = absl::StrCat(std::string(call), ": ", cudaGetErrorName(result), ": ",
                                           cudaGetErrorString(result));
  if (result == cudaErrorNoDevice || result == cudaErrorInsufficientDriver) {
    return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

absl::Status NcclStatus(ncclResult_t result, std::string_view call, ncclComm_t comm) {
  if (result == ncclSuccess) return absl::OkStatus();
  std::string message = absl::StrCat(std::string(call), ": ", ncclGetErrorString(result));
  const char* last = ncclGetLastError(comm);
  if (last != nullptr && last[0] != '\0') absl::StrAppend(&message, " (", last, ")");
  switch (result) {
    case ncclInvalidArgument:
      return absl::InvalidArgumentError(message);
    case ncclInvalidUsage:
      return absl::FailedPreconditionError(message);
    case ncclRemoteError:
      return absl::UnavailableError(message);
    default:
      return absl::InternalError(message);
  }
}

}  // namespace gaia::cnn::internal
