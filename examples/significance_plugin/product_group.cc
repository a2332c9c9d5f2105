// An example significance plugin (include/gaia/significance.h): parameters
// that the model only ever uses as a product (thesis §5.3.3).
//
// If a, b and c always appear as a·b·c, what matters to the other DCs is how
// much the product moved, not how much each factor moved: the significance of
// each factor is the relative change of the product, and when one factor is 0
// a change of the others does not matter at all.
//
// `grouped_product` treats a row's columns as consecutive groups of
// kGroupSize (the last group may be shorter). For each group
//   old = Π (value[i] - acc[i])     the product the other DCs last saw
//   new = Π value[i]                the product now
// and every element of the group scores |new - old| / max(|old|, 1e-6). An
// element whose acc is 0 gets the group's score too; the filter only sends
// elements with a nonzero acc, so that is harmless.
//
// Build it (standalone, against an installed Gaia; see CMakeLists.txt here):
//   cmake -S examples/significance_plugin -B /tmp/sp -DCMAKE_PREFIX_PATH=<gaia prefix>
//   cmake --build /tmp/sp
// and select it in the job spec:
//   asp: {significance: grouped_product, plugins: [/tmp/sp/libgaia_product_group.so]}
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>

#include "gaia/significance.h"

namespace {

constexpr size_t kGroupSize = 3;
// Below this |old product| the change is measured against the floor instead,
// so a product that was (nearly) 0 and became nonzero is very significant
// rather than a division by 0.
constexpr double kProductFloor = 1e-6;

void GroupedProduct(std::span<const float> acc, std::span<const float> value,
                    std::span<float> out) {
  for (size_t begin = 0; begin < acc.size(); begin += kGroupSize) {
    const size_t end = std::min(begin + kGroupSize, acc.size());
    // Products in double: three floats multiply without losing precision.
    double old_product = 1.0;
    double new_product = 1.0;
    for (size_t i = begin; i < end; ++i) {
      old_product *= static_cast<double>(value[i]) - static_cast<double>(acc[i]);
      new_product *= static_cast<double>(value[i]);
    }
    const float score = static_cast<float>(std::abs(new_product - old_product) /
                                           std::max(std::abs(old_product), kProductFloor));
    for (size_t i = begin; i < end; ++i) out[i] = score;
  }
}

}  // namespace

extern "C" void GaiaRegisterSignificance(gaia::SignificanceRegistry* registry) {
  // Register() returns false if the name is taken (e.g. the plugin is listed
  // twice); the function already registered under it is then kept.
  registry->Register("grouped_product", GroupedProduct);
}
