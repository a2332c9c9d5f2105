#include "src/significance/registry.h"

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gaia::significance {
namespace {

bool ValidName(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

gaia::SignificanceFn RelativeSignificance(double value_floor) {
  const float floor = static_cast<float>(value_floor);
  return [floor](std::span<const float> acc, std::span<const float> value, std::span<float> out) {
    for (size_t i = 0; i < acc.size(); ++i) {
      out[i] = std::abs(acc[i]) / std::max(std::abs(value[i]), floor);
    }
  };
}

gaia::SignificanceFn AbsoluteSignificance() {
  return [](std::span<const float> acc, std::span<const float>, std::span<float> out) {
    for (size_t i = 0; i < acc.size(); ++i) out[i] = std::abs(acc[i]);
  };
}

gaia::SignificanceFn RowRelativeSignificance(double value_floor) {
  return [value_floor](std::span<const float> acc, std::span<const float> value,
                       std::span<float> out) {
    double acc_sq = 0, value_sq = 0;
    for (size_t i = 0; i < acc.size(); ++i) {
      acc_sq += static_cast<double>(acc[i]) * acc[i];
      value_sq += static_cast<double>(value[i]) * value[i];
    }
    const float score =
        static_cast<float>(std::sqrt(acc_sq) / std::max(std::sqrt(value_sq), value_floor));
    for (float& o : out) o = score;
  };
}

Registry::Registry(double value_floor) {
  functions_["relative"] = RelativeSignificance(value_floor);
  functions_["absolute"] = AbsoluteSignificance();
  functions_["row_relative"] = RowRelativeSignificance(value_floor);
}

Registry::~Registry() {
  // Functions may point into the plugins: drop them before unloading.
  functions_.clear();
  for (void* handle : plugins_) dlclose(handle);
}

bool Registry::Register(const std::string& name, gaia::SignificanceFn fn) {
  if (!ValidName(name) || !fn || functions_.contains(name)) return false;
  functions_.emplace(name, std::move(fn));
  return true;
}

absl::Status Registry::LoadPlugin(const std::string& path) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return absl::NotFoundError(absl::StrCat("asp.plugins: cannot load ", path, ": ",
                                            why ? why : "unknown error"));
  }
  auto entry = reinterpret_cast<gaia::SignificancePluginEntry>(
      dlsym(handle, gaia::kSignificancePluginEntry));
  if (entry == nullptr) {
    dlclose(handle);
    return absl::NotFoundError(absl::StrCat("asp.plugins: ", path, " does not export ",
                                            gaia::kSignificancePluginEntry));
  }
  plugins_.push_back(handle);
  entry(this);
  return absl::OkStatus();
}

absl::StatusOr<gaia::SignificanceFn> Registry::Find(const std::string& name) const {
  auto it = functions_.find(name);
  if (it == functions_.end()) {
    return absl::NotFoundError(absl::StrCat("asp.significance: unknown function '", name,
                                            "'; known: ", absl::StrJoin(Names(), ", ")));
  }
  return it->second;
}

std::vector<std::string> Registry::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, fn] : functions_) names.push_back(name);
  return names;
}

}  // namespace gaia::significance
