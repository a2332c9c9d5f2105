// CUDA runtime, cuDNN and cuBLAS results as absl::Status, naming the call.
// Internal to apps/cnn/cuda.
//
//   GAIA_CUDA_RETURN_IF_ERROR(CudartStatus(cudaMalloc(&p, bytes), "cudaMalloc"));
//   if (absl::Status s = CudnnStatus(cudnnCreate(&h), "cudnnCreate"); !s.ok()) return s;
#ifndef GAIA_APPS_CNN_CUDA_CUDA_STATUS_H_
#define GAIA_APPS_CNN_CUDA_CUDA_STATUS_H_

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <string_view>

#include "absl/status/status.h"

namespace gaia::cnn::gpu {

// OK for cudaSuccess; else "<call>: <cudaGetErrorName>: <cudaGetErrorString>",
// FAILED_PRECONDITION when no device or driver is usable, RESOURCE_EXHAUSTED
// for out-of-memory, INTERNAL otherwise.
absl::Status CudartStatus(cudaError_t result, std::string_view call);

// OK for CUDNN_STATUS_SUCCESS; else INTERNAL (RESOURCE_EXHAUSTED for an
// allocation failure) "<call>: <cudnnGetErrorString>".
absl::Status CudnnStatus(cudnnStatus_t result, std::string_view call);

// OK for CUBLAS_STATUS_SUCCESS; else INTERNAL (RESOURCE_EXHAUSTED for an
// allocation failure) "<call>: <cublasGetStatusName>: <cublasGetStatusString>".
absl::Status CublasStatus(cublasStatus_t result, std::string_view call);

}  // namespace gaia::cnn::gpu

// Returns from the enclosing function (absl::Status or StatusOr) on error.
#define GAIA_CUDA_RETURN_IF_ERROR(expr)                                              \
  do {                                                                               \
    if (absl::Status gaia_cuda_s_ = (expr); !gaia_cuda_s_.ok()) return gaia_cuda_s_; \
  } while (0)

#endif  // GAIA_APPS_CNN_CUDA_CUDA_STATUS_H_
