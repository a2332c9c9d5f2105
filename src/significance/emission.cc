#include "src/significance/emission.h"

#include <bit>
#include <cmath>

#include <Eigen/Core>

namespace gaia::significance {
namespace {

static_assert(sizeof(Eigen::half) == sizeof(uint16_t));
constexpr uint16_t kSmallestScaleBits = 0x0400;  // 2^-14, binary16's smallest normal
constexpr uint16_t kLargestScaleBits = 0x7B00;   // 57344; 0x7C00 is infinity

float HalfFromBits(uint16_t bits) { return static_cast<float>(std::bit_cast<Eigen::half>(bits)); }

}  // namespace

float RoundToTernaryScale(float magnitude) {
  // Up to binary16's largest finite value, which rounds down to 57344.
  if (!(magnitude >= HalfFromBits(kSmallestScaleBits) && magnitude <= 65504.0f)) return 0.0f;
  const auto bits = std::bit_cast<uint16_t>(Eigen::half(magnitude));
  // Round the low byte away, to nearest (ties up); positive halves order like
  // their bits, so the carry moves to the next scale up.
  auto rounded = static_cast<uint16_t>((bits + 0x80u) & 0xFF00u);
  if (rounded > kLargestScaleBits) rounded = kLargestScaleBits;
  return HalfFromBits(rounded);
}

bool IsTernaryScale(float v) {
  if (!(v > 0.0f) || !std::isfinite(v)) return false;
  const Eigen::half h(v);
  if (static_cast<float>(h) != v) return false;
  const auto bits = std::bit_cast<uint16_t>(h);
  return (bits & 0xFFu) == 0 && bits >= kSmallestScaleBits && bits <= kLargestScaleBits;
}

uint8_t TernaryScaleByte(float v) {
  return static_cast<uint8_t>(std::bit_cast<uint16_t>(Eigen::half(v)) >> 8);
}

std::optional<float> ScaleFromTernaryByte(uint8_t byte) {
  const auto bits = static_cast<uint16_t>(byte << 8);
  if (bits < kSmallestScaleBits || bits > kLargestScaleBits) return std::nullopt;
  return HalfFromBits(bits);
}

}  // namespace gaia::significance
