// Refuses a weight change that is not finite before it leaves the worker: a
// NaN or infinity pushed to the parameter server would spread to every
// worker and DC and could never be taken back. The error names the clock,
// the layer's parameter block and the element.
//
//   if (absl::Status s = CheckUpdateFinite(delta, model.layout(), clock); !s.ok()) return s;
//
// Pure; thread-safe.
#ifndef GAIA_APPS_CNN_UPDATE_CHECK_H_
#define GAIA_APPS_CNN_UPDATE_CHECK_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "apps/cnn/graph.h"

namespace gaia::cnn {

// OK when every element of `update` is finite; otherwise InvalidArgument
// "clock C: the update of BLOCK has nan (inf, -inf) at element I of N: not
// pushed". Elements past every block are named by offset.
absl::Status CheckUpdateFinite(std::span<const float> update,
                               const std::vector<ParamBlock>& layout, int64_t clock);

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_UPDATE_CHECK_H_
