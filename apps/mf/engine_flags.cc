#include "apps/mf/engine_flags.h"

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "apps/mf/sgd_engine.h"
#if GAIA_HAVE_MF_CUDA
#include "apps/mf/cuda/device_sgd.h"
#include "apps/common/gpu/status.h"
#endif

namespace gaia::mf {

void AddEngineFlags(CLI::App& app, EngineFlags* flags) {
  apps::AddDeviceFlag(app, &flags->device);
  app.add_option("--gpu", flags->gpu, "CUDA device ordinal with --device=cuda")
      ->capture_default_str()
      ->check(CLI::Range(0, 1023));
  app.add_flag("--fp16", flags->fp16,
               "with --device=cuda: store L in fp16 on the GPU (half the bytes, "
               "less accuracy; docs/APP_MF.md)");
}

bool BuiltWithCuda() {
#if GAIA_HAVE_MF_CUDA
  return true;
#else
  return false;
#endif
}

absl::StatusOr<SgdEngineFactory> ChooseEngine(const EngineFlags& flags,
                                              absl::string_view program) {
  if (flags.device == apps::Device::kCpu) {
    if (flags.fp16) return absl::InvalidArgumentError("--fp16 needs --device=cuda");
    if (flags.gpu != 0) return absl::InvalidArgumentError("--gpu needs --device=cuda");
    return SgdEngineFactory(CreateCpuEngine);
  }
  if (absl::Status s = apps::CheckDeviceBuilt(flags.device, BuiltWithCuda(), program);
      !s.ok()) {
    return s;
  }
#if GAIA_HAVE_MF_CUDA
  // Ask now, so a machine without a GPU fails before the data is loaded.
  if (absl::StatusOr<gpu::DeviceInfo> info = gpu::OpenDevice(flags.gpu); !info.ok()) {
    return absl::Status(info.status().code(),
                        absl::StrCat("--device=cuda: ", info.status().message()));
  }
  cuda::DeviceSgdOptions device;
  device.device = flags.gpu;
  device.fp16_user_factors = flags.fp16;
  return SgdEngineFactory(
      [device](const std::vector<Rating>& ratings, const SgdOptions& options) {
        return cuda::CreateDeviceEngine(ratings, options, device);
      });
#else
  return absl::InternalError("unreachable: CheckDeviceBuilt passed without CUDA");
#endif
}

}  // namespace gaia::mf
