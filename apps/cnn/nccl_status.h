// CUDA and NCCL results as absl::Status, naming the call that failed.
//
//   if (absl::Status s = CudaStatus(cudaSetDevice(d), "cudaSetDevice"); !s.ok()) return s;
#ifndef GAIA_APPS_CNN_NCCL_STATUS_H_
#define GAIA_APPS_CNN_NCCL_STATUS_H_

#include <cuda_runtime_api.h>
#include <nccl.h>

#include <string_view>

#include "absl/status/status.h"

namespace gaia::cnn::internal {

// OK for cudaSuccess; else INTERNAL (UNAVAILABLE when no device is usable)
// "<call>: <cudaGetErrorName>: <cudaGetErrorString>".
absl::Status CudaStatus(cudaError_t result, std::string_view call);

// OK for ncclSuccess; else a code by kind (invalid argument, invalid usage ->
// FAILED_PRECONDITION, remote error -> UNAVAILABLE, others INTERNAL) with
// "<call>: <ncclGetErrorString>" and NCCL's last error text for `comm` (may
// be null).
absl::Status NcclStatus(ncclResult_t result, std::string_view call, ncclComm_t comm);

}  // namespace gaia::cnn::internal

#endif  // GAIA_APPS_CNN_NCCL_STATUS_H_
