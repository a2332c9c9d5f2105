#include "src/common/initializer.h"

#include <cmath>
#include <numbers>

#include "src/common/partition.h"

namespace gaia::common {
namespace {

// Uniform in [0, 1) from the top 53 bits of a hash.
double UnitUniform(uint64_t bits) {
  return static_cast<double>(bits >> 11) * (1.0 / 9007199254740992.0);
}

}  // namespace

void InitializeRow(const TableSpec& table, uint32_t table_id, uint64_t row,
                   std::span<float> out) {
  const uint64_t row_key = Mix64(Mix64(table.init_seed) ^ Mix64(table_id + 1) ^ row);
  for (size_t col = 0; col < out.size(); ++col) {
    const uint64_t h = Mix64(row_key ^ Mix64(col + 0x51ED270B27A1F3C5ull));
    switch (table.init) {
      case InitKind::kZeros:
        out[col] = 0.0f;
        break;
      case InitKind::kUniform:
        out[col] = static_cast<float>(table.init_low +
                                      (table.init_high - table.init_low) * UnitUniform(h));
        break;
      case InitKind::kNormal: {
        // Box-Muller from two independent uniforms; u1 in (0, 1].
        const double u1 = 1.0 - UnitUniform(h);
        const double u2 = UnitUniform(Mix64(h));
        const double z = std::sqrt(-2.0 * std::log(u1)) *
                         std::cos(2.0 * std::numbers::pi * u2);
        out[col] = static_cast<float>(table.init_mean + table.init_stddev * z);
        break;
      }
    }
  }
}

}  // namespace gaia::common
