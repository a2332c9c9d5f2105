// --device=cpu|cuda: where an app runs its compute, chosen at run time and
// parsed here for every app (only `main`s include this: flags stay at the
// edge).
//
//   gaia::apps::Device device = gaia::apps::Device::kCpu;
//   gaia::apps::AddDeviceFlag(app, &device);
//   ...parse...
//   if (absl::Status s = gaia::apps::CheckDeviceBuilt(device, kBuiltWithCuda, "gaia_mf");
//       !s.ok()) { print s; return kExitBadInput; }
//
// Whether the machine has a GPU is the GPU layer's question (apps/common/gpu/status.h
// OpenDevice), asked only by programs built with CUDA: a CPU-only build never
// links the CUDA runtime.
#ifndef GAIA_APPS_COMMON_DEVICE_H_
#define GAIA_APPS_COMMON_DEVICE_H_

#include <string_view>

#include <CLI/CLI.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gaia::apps {

enum class Device {
  kCpu,   // the CPU path (default; always available)
  kCuda,  // one CUDA GPU (the app's kernels; needs a CUDA build and a GPU)
};

// "cpu" or "cuda"; anything else is INVALID_ARGUMENT naming the known values.
absl::StatusOr<Device> ParseDevice(std::string_view name);
std::string_view DeviceName(Device device);

// Adds --device (default: the current value of *device) bound to `device`; a
// bad value is a parse error that names the known values.
void AddDeviceFlag(CLI::App& app, Device* device);

// OK for kCpu, and for kCuda when `built_with_cuda`; else FAILED_PRECONDITION
// "--device=cuda: <program> was built without CUDA ...", saying how to get a
// build with it.
absl::Status CheckDeviceBuilt(Device device, bool built_with_cuda, absl::string_view program);

}  // namespace gaia::apps

#endif  // GAIA_APPS_COMMON_DEVICE_H_
