#include "apps/common/device.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace gaia::apps {

absl::StatusOr<Device> ParseDevice(std::string_view name) {
  if (name == "cpu") return Device::kCpu;
  if (name == "cuda") return Device::kCuda;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown device '", absl::string_view(name.data(), name.size()),
                   "' (known: cpu, cuda)"));
}

std::string_view DeviceName(Device device) {
  switch (device) {
    case Device::kCpu: return "cpu";
    case Device::kCuda: return "cuda";
  }
  return "?";
}

void AddDeviceFlag(CLI::App& app, Device* device) {
  app.add_option_function<std::string>(
         "--device",
         [device](const std::string& name) {
           absl::StatusOr<Device> parsed = ParseDevice(name);
           if (!parsed.ok()) {
             throw CLI::ValidationError("--device", std::string(parsed.status().message()));
           }
           *device = *parsed;
         },
         "where to compute: cpu or cuda (one GPU; needs a CUDA build)")
      ->default_str(std::string(DeviceName(*device)));
}

absl::Status CheckDeviceBuilt(Device device, bool built_with_cuda, absl::string_view program) {
  if (device == Device::kCpu || built_with_cuda) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "--device=cuda: ", program,
      " was built without CUDA (configure on a machine with the CUDA toolkit, "
      "-DGAIA_WITH_CUDA=ON); use --device=cpu"));
}

}  // namespace gaia::apps
