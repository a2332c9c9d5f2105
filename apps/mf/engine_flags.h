// --device, --gpu and --fp16: where gaia_mf and gaia_mf_serial run their SGD
// passes (only `main`s include this). The device names are parsed by
// apps/common/device.h, as for every app.
//
//   EngineFlags engine;
//   AddEngineFlags(app, &engine);
//   ...parse...
//   absl::StatusOr<SgdEngineFactory> factory = ChooseEngine(engine, "gaia_mf");
//   if (!factory.ok()) { print; return kExitBadInput; }  // says why, e.g. no GPU
//   absl::StatusOr<std::unique_ptr<SgdEngine>> sgd = (*factory)(ratings, options);
#ifndef GAIA_APPS_MF_ENGINE_FLAGS_H_
#define GAIA_APPS_MF_ENGINE_FLAGS_H_

#include <CLI/CLI.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "apps/common/device.h"
#include "apps/mf/sgd.h"

namespace gaia::mf {

struct EngineFlags {
  apps::Device device = apps::Device::kCpu;
  int gpu = 0;        // CUDA ordinal with --device=cuda
  bool fp16 = false;  // L stored in fp16 on the GPU (--device=cuda only)
};

void AddEngineFlags(CLI::App& app, EngineFlags* flags);

// True when this build has the GPU path (apps/mf/cuda.cmake).
bool BuiltWithCuda();

// The engine factory the flags ask for. FAILED_PRECONDITION, naming
// `program` or the reason, when the build has no CUDA or the machine no usable
// GPU (checked now, before any data is loaded); INVALID_ARGUMENT for --fp16
// or --gpu without --device=cuda.
absl::StatusOr<SgdEngineFactory> ChooseEngine(const EngineFlags& flags,
                                              absl::string_view program);

}  // namespace gaia::mf

#endif  // GAIA_APPS_MF_ENGINE_FLAGS_H_
