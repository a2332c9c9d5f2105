#include "apps/cnn/cuda/cuda_status.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace gaia::cnn::gpu {

absl::Status CudartStatus(cudaError_t result, std::string_view call) {
  if (result == cudaSuccess) return absl::OkStatus();
  const std::string message = absl::StrCat(std::string(call), ": ", cudaGetErrorName(result), ": ",
                                           cudaGetErrorString(result));
  switch (result) {
    case cudaErrorNoDevice:
    case cudaErrorInsufficientDriver:
    case cudaErrorInvalidDevice:
      return absl::FailedPreconditionError(message);
    case cudaErrorMemoryAllocation:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::InternalError(message);
  }
}

absl::Status CudnnStatus(cudnnStatus_t result, std::string_view call) {
  if (result == CUDNN_STATUS_SUCCESS) return absl::OkStatus();
  const std::string message = absl::StrCat(std::string(call), ": ", cudnnGetErrorString(result));
  if (result == CUDNN_STATUS_ALLOC_FAILED) return absl::ResourceExhaustedError(message);
  return absl::InternalError(message);
}

absl::Status CublasStatus(cublasStatus_t result, std::string_view call) {
  if (result == CUBLAS_STATUS_SUCCESS) return absl::OkStatus();
  const std::string message = absl::StrCat(std::string(call), ": ", cublasGetStatusName(result),
                                           ": ", cublasGetStatusString(result));
  if (result == CUBLAS_STATUS_ALLOC_FAILED) return absl::ResourceExhaustedError(message);
  return absl::InternalError(message);
}

}  // namespace gaia::cnn::gpu
