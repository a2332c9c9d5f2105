#include "apps/common/gpu/device.h"

#include <cstdio>

namespace gaia::gpu {

CudaResult CountDevices(int* count) {
  *count = 0;
  int n = 0;
  CudaResult r = GAIA_CUDA_CALL(cudaGetDeviceCount(&n));
  if (!r.ok()) {
    return CudaResult(r.code(), "no usable CUDA GPU: " + r.message());
  }
  if (n <= 0) {
    return CudaResult(cudaErrorNoDevice,
                      "no usable CUDA GPU: the driver reports 0 devices");
  }
  *count = n;
  return CudaResult();
}

CudaResult QueryDevice(int ordinal, DeviceInfo* info) {
  cudaDeviceProp prop{};
  GAIA_CUDA_RETURN_IF_FAILED(GAIA_CUDA_CALL(cudaGetDeviceProperties(&prop, ordinal)));
  info->ordinal = ordinal;
  info->name = prop.name;
  info->compute_major = prop.major;
  info->compute_minor = prop.minor;
  info->multiprocessors = prop.multiProcessorCount;
  info->global_memory_bytes = prop.totalGlobalMem;
  info->l2_cache_bytes = static_cast<size_t>(prop.l2CacheSize);
  int clock_khz = 0, bus_bits = 0;
  // Optional attributes: a driver that does not report them leaves 0.
  if (cudaDeviceGetAttribute(&clock_khz, cudaDevAttrMemoryClockRate, ordinal) != cudaSuccess ||
      cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, ordinal) !=
          cudaSuccess) {
    (void)cudaGetLastError();  // do not leave the sticky-free error for the next call
    clock_khz = bus_bits = 0;
  }
  // Double data rate: two transfers per clock.
  info->theoretical_memory_gbps = 2.0 * clock_khz * 1e3 * (bus_bits / 8.0) / 1e9;
  return CudaResult();
}

CudaResult UseDevice(int ordinal, DeviceInfo* info) {
  int count = 0;
  GAIA_CUDA_RETURN_IF_FAILED(CountDevices(&count));
  if (ordinal < 0 || ordinal >= count) {
    return CudaResult(cudaErrorInvalidDevice,
                      "GPU " + std::to_string(ordinal) + " requested but " +
                          std::to_string(count) + " CUDA GPU(s) are visible (ordinals 0.." +
                          std::to_string(count - 1) + ")");
  }
  GAIA_CUDA_RETURN_IF_FAILED(GAIA_CUDA_CALL(cudaSetDevice(ordinal)));
  // Creates the context now, so a GPU that cannot run work fails here and
  // not at the first allocation.
  GAIA_CUDA_RETURN_IF_FAILED(GAIA_CUDA_CALL(cudaFree(nullptr)));
  if (info != nullptr) return QueryDevice(ordinal, info);
  return CudaResult();
}

std::string Describe(const DeviceInfo& info) {
  char text[256];
  std::snprintf(text, sizeof(text), "GPU %d: %s (sm_%d%d, %d SMs, %.1f GiB)", info.ordinal,
                info.name.c_str(), info.compute_major, info.compute_minor,
                info.multiprocessors,
                static_cast<double>(info.global_memory_bytes) / (1024.0 * 1024.0 * 1024.0));
  return text;
}

}  // namespace gaia::gpu
