#include "apps/lda/alias_table.h"

#include <cassert>
#include <cmath>

namespace gaia::lda {

uint32_t ProbabilityToThreshold(double p) {
  if (!(p > 0)) return 0;
  if (p >= 1) return UINT32_MAX;
  return static_cast<uint32_t>(std::ldexp(p, 32));
}

void AliasBuilder::Build(std::span<const double> weights, std::span<const uint32_t> ids,
                         std::span<AliasEntry> out) {
  const size_t n = weights.size();
  assert(n > 0 && ids.size() == n && out.size() == n);
  double sum = 0;
  for (double w : weights) sum += w;
  const double scale = static_cast<double>(n) / sum;
  scaled_.resize(n);
  small_.clear();
  large_.clear();
  for (size_t i = 0; i < n; ++i) {
    scaled_[i] = weights[i] * scale;
    (scaled_[i] < 1 ? small_ : large_).push_back(static_cast<uint32_t>(i));
  }
  // Vose: pair each under-full slot with an over-full one that tops it up.
  while (!small_.empty() && !large_.empty()) {
    const uint32_t s = small_.back();
    small_.pop_back();
    const uint32_t l = large_.back();
    out[s] = AliasEntry{ProbabilityToThreshold(scaled_[s]), ids[s], ids[l]};
    scaled_[l] -= 1 - scaled_[s];
    if (scaled_[l] < 1) {
      large_.pop_back();
      small_.push_back(l);
    }
  }
  // What is left is full up to rounding error.
  for (uint32_t i : large_) out[i] = AliasEntry{UINT32_MAX, ids[i], ids[i]};
  for (uint32_t i : small_) out[i] = AliasEntry{UINT32_MAX, ids[i], ids[i]};
}

}  // namespace gaia::lda
