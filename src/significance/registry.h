// The significance functions a shard can use: the built-ins and those added
// by plugins (include/gaia/significance.h).
//
//   significance::Registry registry(/*value_floor=*/1e-3);
//   if (absl::Status s = registry.LoadPlugin("libmine.so"); !s.ok()) ...
//   absl::StatusOr<gaia::SignificanceFn> fn = registry.Find("relative");
//
// Built-ins (floor = value_floor, > 0):
//   relative      |acc[i]| / max(|value[i]|, floor)            (the default)
//   absolute      |acc[i]|
//   row_relative  ||acc||_2 / max(||value||_2, floor), the same for every
//                 element of the row: a row is sent whole or not at all.
//
// Not thread-safe; a shard fills it while starting and only reads it after.
// Functions returned by Find() may run plugin code: destroy every copy of
// them (and whatever holds one, e.g. a SignificanceFilter) before the
// registry, which unloads the plugins.
// Depends on nothing else in src/ (DESIGN.md §6).
#ifndef GAIA_SRC_SIGNIFICANCE_REGISTRY_H_
#define GAIA_SRC_SIGNIFICANCE_REGISTRY_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gaia/significance.h"

namespace gaia::significance {

gaia::SignificanceFn RelativeSignificance(double value_floor);
gaia::SignificanceFn AbsoluteSignificance();
gaia::SignificanceFn RowRelativeSignificance(double value_floor);

class Registry final : public gaia::SignificanceRegistry {
 public:
  // REQUIRES: value_floor > 0.
  explicit Registry(double value_floor);
  ~Registry() override;

  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  bool Register(const std::string& name, gaia::SignificanceFn fn) override;

  // dlopen()s `path` and calls its GaiaRegisterSignificance entry point.
  // NOT_FOUND if the file cannot be loaded or lacks the entry point. The
  // library stays loaded for the registry's lifetime.
  absl::Status LoadPlugin(const std::string& path);

  // NOT_FOUND naming the known functions if `name` is not registered.
  absl::StatusOr<gaia::SignificanceFn> Find(const std::string& name) const;

  std::vector<std::string> Names() const;

 private:
  std::map<std::string, gaia::SignificanceFn> functions_;
  std::vector<void*> plugins_;  // dlopen handles, closed last
};

}  // namespace gaia::significance

#endif  // GAIA_SRC_SIGNIFICANCE_REGISTRY_H_
