// Which GPUs this process can use, what they are, and choosing one. Part of
// the GPU layer's core (CUDA runtime and the standard library only).
//
//   int count = 0;
//   if (CudaResult r = CountDevices(&count); !r.ok()) ...    // no driver, no GPU
//   DeviceInfo info;
//   if (CudaResult r = UseDevice(0, &info); !r.ok()) ...     // r.message() says why
//   std::printf("%s\n", Describe(info).c_str());
//
// cudaSetDevice binds the calling host thread; call UseDevice on every
// thread that launches work. Thread-safe (the runtime is).
#ifndef GAIA_APPS_COMMON_GPU_DEVICE_H_
#define GAIA_APPS_COMMON_GPU_DEVICE_H_

#include <cstddef>
#include <string>

#include "apps/common/gpu/cuda_result.h"

namespace gaia::gpu {

struct DeviceInfo {
  int ordinal = -1;
  std::string name;
  int compute_major = 0;  // compute capability, e.g. 9.0 for an H100
  int compute_minor = 0;
  int multiprocessors = 0;
  size_t global_memory_bytes = 0;
  size_t l2_cache_bytes = 0;
  // From the memory clock and bus width; 0 when the driver does not report
  // them. A ceiling: measured copy bandwidth (bench/gpu) is what to compare to.
  double theoretical_memory_gbps = 0;
};

// The number of visible GPUs. A machine without a GPU or without a driver is
// an error (IsNoDeviceError(code())), with *count set to 0: the caller asked
// for a GPU, and the message says why there is none.
CudaResult CountDevices(int* count);

// Properties of GPU `ordinal`.
CudaResult QueryDevice(int ordinal, DeviceInfo* info);

// Makes GPU `ordinal` current for the calling thread and fills *info (may be
// null). Errors: no GPU or driver; ordinal outside [0, count) (the message
// gives the count); the device refusing a context.
CudaResult UseDevice(int ordinal, DeviceInfo* info);

// "GPU 0: NVIDIA H100 80GB HBM3 (sm_90, 132 SMs, 79.1 GiB)".
std::string Describe(const DeviceInfo& info);

}  // namespace gaia::gpu

#endif  // GAIA_APPS_COMMON_GPU_DEVICE_H_
