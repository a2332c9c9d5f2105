// Where a worker's SGD clock runs: on the CPU (LocalSgd itself) or on a GPU
// (apps/mf/cuda/device_sgd.h, built only with CUDA). Both keep the same
// contract, LocalSgd::RunClock's: the objective before the pass, one pass over
// (a minibatch of) the local ratings at the clock's learning rate, the row
// change to push scaled by the step rule. The programs pick one by --device.
//
//   absl::StatusOr<std::unique_ptr<SgdEngine>> engine = CreateCpuEngine(ratings, options);
//   const LocalSgd& model = (*engine)->model();        // items(), rank(), ...
//   absl::StatusOr<LocalSgd::ClockResult> res = (*engine)->RunClock(t, r, delta);
//   (*engine)->SyncModel();   // before reading L through model() (held-out error)
//
// Not thread-safe: one engine per worker.
#ifndef GAIA_APPS_MF_SGD_ENGINE_H_
#define GAIA_APPS_MF_SGD_ENGINE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "apps/mf/rating.h"
#include "apps/mf/sgd.h"

namespace gaia::mf {

class SgdEngine {
 public:
  virtual ~SgdEngine() = default;

  // The ratings' index (items(), rank(), num_users(), ...) and L as of the
  // last SyncModel(); HeldOutSet and ComputeObjective read it.
  virtual const LocalSgd& model() const = 0;

  // LocalSgd::RunClock's contract. Errors only from a device (a failed copy
  // or kernel); the CPU engine never fails.
  virtual absl::StatusOr<LocalSgd::ClockResult> RunClock(int64_t clock, std::span<float> r,
                                                         std::span<float> delta) = 0;

  // Makes model()'s L rows current (a GPU engine copies its L back; the CPU
  // engine has nothing to do).
  virtual absl::Status SyncModel() = 0;

  // What runs the pass, for the start line: "cpu" or "cuda (GPU 0: ...)".
  virtual std::string Describe() const = 0;
};

// LocalSgd::Create(ratings, options) as an engine.
absl::StatusOr<std::unique_ptr<SgdEngine>> CreateCpuEngine(const std::vector<Rating>& ratings,
                                                           const SgdOptions& options);

}  // namespace gaia::mf

#endif  // GAIA_APPS_MF_SGD_ENGINE_H_
