// gpu_copy_bandwidth: the card's device-to-device copy rate, the yardstick the
// kernel benchmarks compare their achieved bandwidth against. Counts the bytes
// read plus the bytes written (2 x the buffer per copy), as the kernels'
// byte models do. Needs only the CUDA runtime (apps/common/gpu core).
//
//   gpu_copy_bandwidth [--mib=1024] [--copies=20]
//
// Prints a description of the GPU, then "copy_gbps <GB/s>" (GB = 1e9 bytes)
// for scripts. Exit codes: 0 ok, 2 bad arguments, 1 a CUDA error (no GPU
// included; the message says which).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "apps/common/gpu/buffers.h"
#include "apps/common/gpu/device.h"
#include "apps/common/gpu/stream.h"

namespace {

using gaia::gpu::CudaResult;

int Fail(const CudaResult& r) {
  std::fprintf(stderr, "gpu_copy_bandwidth: %s\n", r.message().c_str());
  return 1;
}

// "--name=<positive integer>" into *out; false if arg is not that flag.
bool ParseCount(const char* arg, const char* name, size_t* out, bool* bad) {
  const size_t n = std::strlen(name);
  if (std::strncmp(arg, name, n) != 0 || arg[n] != '=') return false;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(arg + n + 1, &end, 10);
  if (end == arg + n + 1 || *end != '\0' || v == 0) *bad = true;
  *out = static_cast<size_t>(v);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  size_t mib = 1024, copies = 20;
  for (int i = 1; i < argc; ++i) {
    bool bad = false;
    if (!ParseCount(argv[i], "--mib", &mib, &bad) &&
        !ParseCount(argv[i], "--copies", &copies, &bad)) {
      bad = true;
    }
    if (bad) {
      std::fprintf(stderr, "gpu_copy_bandwidth: bad argument '%s' (known: --mib=N, "
                           "--copies=N, positive integers)\n", argv[i]);
      return 2;
    }
  }
  gaia::gpu::DeviceInfo info;
  if (CudaResult r = gaia::gpu::UseDevice(0, &info); !r.ok()) return Fail(r);
  std::printf("%s\n", gaia::gpu::Describe(info).c_str());
  // Two buffers must fit with room to spare.
  const size_t max_mib = info.global_memory_bytes / (4u << 20);
  if (mib > max_mib) mib = max_mib;
  const size_t bytes = mib << 20;
  gaia::gpu::DeviceBuffer<char> from, to;
  if (CudaResult r = from.Allocate(bytes); !r.ok()) return Fail(r);
  if (CudaResult r = to.Allocate(bytes); !r.ok()) return Fail(r);
  gaia::gpu::Stream stream;
  gaia::gpu::EventTimer timer;
  if (CudaResult r = stream.Create(); !r.ok()) return Fail(r);
  if (CudaResult r = timer.Create(); !r.ok()) return Fail(r);
  const cudaStream_t s = stream.get();
  if (CudaResult r = GAIA_CUDA_CALL(cudaMemsetAsync(from.data(), 1, bytes, s)); !r.ok()) {
    return Fail(r);
  }
  // One untimed copy so first-touch costs are not measured.
  if (CudaResult r = GAIA_CUDA_CALL(
          cudaMemcpyAsync(to.data(), from.data(), bytes, cudaMemcpyDeviceToDevice, s));
      !r.ok()) {
    return Fail(r);
  }
  if (CudaResult r = timer.Start(s); !r.ok()) return Fail(r);
  for (size_t i = 0; i < copies; ++i) {
    CudaResult r = GAIA_CUDA_CALL(
        cudaMemcpyAsync(to.data(), from.data(), bytes, cudaMemcpyDeviceToDevice, s));
    if (!r.ok()) return Fail(r);
  }
  if (CudaResult r = timer.Stop(s); !r.ok()) return Fail(r);
  float ms = 0;
  if (CudaResult r = timer.ElapsedMs(&ms); !r.ok()) return Fail(r);
  const double gbps = 2.0 * static_cast<double>(bytes) * static_cast<double>(copies) /
                      (static_cast<double>(ms) * 1e-3) / 1e9;
  std::printf("device-to-device copy: %zu MiB x %zu copies in %.2f ms; counting read + "
              "write bytes: %.1f GB/s", mib, copies, ms, gbps);
  if (info.theoretical_memory_gbps > 0) {
    std::printf(" (%.0f%% of the %.0f GB/s the memory clock and bus width allow)",
                100.0 * gbps / info.theoretical_memory_gbps, info.theoretical_memory_gbps);
  }
  std::printf("\ncopy_gbps %.1f\n", gbps);
  return 0;
}
