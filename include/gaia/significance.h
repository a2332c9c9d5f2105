// Custom significance functions for ASP (DESIGN.md §4.2, thesis §5.3.3).
//
// A significance function scores one row's accumulated, not-yet-mirrored
// update `acc` against the row's current `value` (which already includes
// `acc`). An element whose score exceeds the threshold in force is sent to the
// other DCs. The built-in functions are "relative" (the default),
// "absolute" and "row_relative" (docs/JOB_SPEC.md, `asp.significance`).
//
// Your own functions live in a plugin: a shared library named in the job
// spec's `asp.plugins`, which every shard loads at start. It defines one
// C entry point that registers its functions by name:
//
//   #include <gaia/significance.h>
//
//   extern "C" void GaiaRegisterSignificance(gaia::SignificanceRegistry* registry) {
//     registry->Register("my_fn", [](std::span<const float> acc,
//                                    std::span<const float> value,
//                                    std::span<float> out) {
//       for (size_t i = 0; i < acc.size(); ++i) out[i] = std::abs(acc[i]) * 10;
//     });
//   }
//
// and the job selects it with `asp: {significance: my_fn, plugins: [libmine.so]}`.
// examples/significance_plugin/ is a complete plugin with a grouped
// ("used as a product") function.
#ifndef GAIA_INCLUDE_GAIA_SIGNIFICANCE_H_
#define GAIA_INCLUDE_GAIA_SIGNIFICANCE_H_

#include <functional>
#include <span>
#include <string>

namespace gaia {

// Fills out[i] with the significance of acc[i]. All three spans have the
// table's row width. Must be a pure function of its arguments: a shard calls
// it from its own threads, concurrently for different tables.
using SignificanceFn = std::function<void(std::span<const float> acc, std::span<const float> value,
                                          std::span<float> out)>;

// Where plugins add their functions. Not thread-safe; used only while a shard
// starts.
class SignificanceRegistry {
 public:
  virtual ~SignificanceRegistry() = default;
  // Adds `fn` under `name` ([A-Za-z0-9_]+). Returns false, and changes
  // nothing, if the name is invalid or already taken (built-ins included).
  virtual bool Register(const std::string& name, SignificanceFn fn) = 0;
};

// The symbol a significance plugin exports:
//   extern "C" void GaiaRegisterSignificance(gaia::SignificanceRegistry*);
inline constexpr char kSignificancePluginEntry[] = "GaiaRegisterSignificance";
using SignificancePluginEntry = void (*)(SignificanceRegistry*);

}  // namespace gaia

#endif  // GAIA_INCLUDE_GAIA_SIGNIFICANCE_H_
