#include "apps/mf/held_out.h"

#include <algorithm>
#include <cmath>

namespace gaia::mf {

HeldOutSet HeldOutSet::Create(const std::vector<Rating>& test, const LocalSgd& sgd) {
  HeldOutSet set;
  const std::vector<uint64_t>& items = sgd.items();
  auto trained = [&](uint64_t item) {
    return std::binary_search(items.begin(), items.end(), item);
  };
  for (const Rating& r : test) {
    if (!sgd.LocalUser(r.user).has_value()) continue;
    if (!trained(r.item)) set.extra_items_.push_back(r.item);
  }
  std::sort(set.extra_items_.begin(), set.extra_items_.end());
  set.extra_items_.erase(std::unique(set.extra_items_.begin(), set.extra_items_.end()),
                         set.extra_items_.end());
  for (const Rating& r : test) {
    const std::optional<uint32_t> user = sgd.LocalUser(r.user);
    if (!user.has_value()) {
      ++set.skipped_;
      continue;
    }
    auto it = std::lower_bound(items.begin(), items.end(), r.item);
    size_t row = static_cast<size_t>(it - items.begin());
    if (it == items.end() || *it != r.item) {
      row = items.size() + static_cast<size_t>(
                               std::lower_bound(set.extra_items_.begin(),
                                                set.extra_items_.end(), r.item) -
                               set.extra_items_.begin());
    }
    set.entries_.push_back(Entry{*user, static_cast<uint32_t>(row), r.value});
  }
  return set;
}

HeldOutSet::Error HeldOutSet::Evaluate(const LocalSgd& sgd,
                                       std::span<const float> rows) const {
  const uint32_t k = sgd.rank();
  Error error;
  for (const Entry& e : entries_) {
    std::span<const float> lu = sgd.UserRowAt(e.user);
    const float* ri = &rows[size_t{e.row} * k];
    float dot = 0;
    for (uint32_t c = 0; c < k; ++c) dot += lu[c] * ri[c];
    const double err = static_cast<double>(e.value) - dot;
    error.squared_error += err * err;
  }
  error.count = entries_.size();
  return error;
}

double Rmse(const HeldOutSet::Error& error) {
  return error.count == 0 ? 0.0
                          : std::sqrt(error.squared_error / static_cast<double>(error.count));
}

}  // namespace gaia::mf
