#include "apps/common/gpu/cuda_result.h"

#include <string_view>

namespace gaia::gpu {
namespace {

std::string_view LastTwoComponents(std::string_view path) {
  const size_t last = path.find_last_of('/');
  if (last == std::string_view::npos || last == 0) return path;
  const size_t before = path.find_last_of('/', last - 1);
  return before == std::string_view::npos ? path : path.substr(before + 1);
}

}  // namespace

CudaResult CheckCuda(cudaError_t code, const char* call, const char* file, int line) {
  if (code == cudaSuccess) return CudaResult();
  std::string message(LastTwoComponents(file == nullptr ? "" : file));
  message += ":" + std::to_string(line) + ": ";
  message += call == nullptr ? "CUDA call" : call;
  message += ": ";
  message += cudaGetErrorName(code);
  message += ": ";
  message += cudaGetErrorString(code);
  return CudaResult(code, std::move(message));
}

bool IsNoDeviceError(cudaError_t code) {
  switch (code) {
    case cudaErrorNoDevice:
    case cudaErrorInsufficientDriver:
    case cudaErrorInvalidDevice:
    case cudaErrorInitializationError:
    case cudaErrorCompatNotSupportedOnDevice:
    case cudaErrorSystemDriverMismatch:
    case cudaErrorDevicesUnavailable:
      return true;
    default:
      return false;
  }
}

}  // namespace gaia::gpu
