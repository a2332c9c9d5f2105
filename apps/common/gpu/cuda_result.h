// The outcome of a CUDA runtime call, with a message a person can act on.
// Part of the GPU layer's core: depends only on the CUDA runtime and the C++
// standard library, so bench/gpu builds it where gRPC and absl are absent
// (the programs convert with apps/common/gpu/status.h).
//
//   gaia::gpu::CudaResult r = GAIA_CUDA_CALL(cudaMalloc(&p, bytes));
//   if (!r.ok()) { std::fprintf(stderr, "%s\n", r.message().c_str()); return 1; }
//
// Thread-compatible value type.
#ifndef GAIA_APPS_COMMON_GPU_CUDA_RESULT_H_
#define GAIA_APPS_COMMON_GPU_CUDA_RESULT_H_

#include <cuda_runtime_api.h>

#include <string>
#include <utility>

namespace gaia::gpu {

class CudaResult {
 public:
  CudaResult() = default;  // success
  CudaResult(cudaError_t code, std::string message)
      : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == cudaSuccess; }
  cudaError_t code() const { return code_; }
  // Empty on success; else "<file>:<line>: <call>: <cudaGetErrorName>:
  // <cudaGetErrorString>" (or the layer's own reason, e.g. no device).
  const std::string& message() const { return message_; }

 private:
  cudaError_t code_ = cudaSuccess;
  std::string message_;
};

// Success for cudaSuccess; else a CudaResult naming `call` and where it was
// made. `file` is shortened to its last two path components so messages do
// not carry the build machine's directories.
CudaResult CheckCuda(cudaError_t code, const char* call, const char* file, int line);

// True for the codes that mean "no usable GPU here" (no device, no or an old
// driver, a bad ordinal), as opposed to a failure while using one.
bool IsNoDeviceError(cudaError_t code);

}  // namespace gaia::gpu

// Runs a CUDA runtime call and returns its CudaResult, naming the call.
#define GAIA_CUDA_CALL(call) ::gaia::gpu::CheckCuda((call), #call, __FILE__, __LINE__)

// Returns the CudaResult from the enclosing function when it is an error.
#define GAIA_CUDA_RETURN_IF_FAILED(expr)                                   \
  do {                                                                     \
    if (::gaia::gpu::CudaResult gaia_cuda_r_ = (expr); !gaia_cuda_r_.ok()) \
      return gaia_cuda_r_;                                                 \
  } while (0)

#endif  // GAIA_APPS_COMMON_GPU_CUDA_RESULT_H_
