// How a sweep of the significance filter turns a significant accumulator
// into the value it sends (DESIGN.md §4.2; docs/ASP.md "Value precision").
// Whatever a sweep does not send stays in the accumulator (error feedback),
// and the final flush always sends the exact float32 remainders, so after it
// every DC's copy is the same whichever emission was used.
//
//   kExact    the float32 accumulator itself.
//   kHalf     the nearest IEEE binary16; the rounding error (at most 2^-11 of
//             the value) stays behind.
//   kTernary  per row: every significant element whose |acc| is at least
//             half of the row's scale s is sent as +s or -s, where s is the
//             row's largest significant |acc| rounded to a ternary scale
//             (below); the rest stays. On the wire such a row is a column
//             bitmap, one scale byte and one sign bit per column. A row
//             whose remainder is still significant is sent again by the next
//             sweep; without new updates the largest remainder of a row at
//             least halves with each sweep.
//
// Ternary scales are the positive binary16 values whose low 8 bits are zero:
// the high byte of a binary16 (5 exponent bits, 2 mantissa bits), from 2^-14
// to 57344. One byte on the wire.
#ifndef GAIA_SRC_SIGNIFICANCE_EMISSION_H_
#define GAIA_SRC_SIGNIFICANCE_EMISSION_H_

#include <cstdint>
#include <optional>

namespace gaia::significance {

enum class ValueEmission { kExact, kHalf, kTernary };

// The ternary scale nearest to `magnitude` (57344 up to binary16's largest
// value, 65504), or 0 when magnitude is outside [2^-14, 65504] or not a
// number: such a row is not sent as ternary.
float RoundToTernaryScale(float magnitude);

// True when v is a ternary scale (exactly).
bool IsTernaryScale(float v);

// The wire byte of a ternary scale, and back. REQUIRES: IsTernaryScale(v).
// ScaleFromTernaryByte is nullopt for a byte that is not a scale.
uint8_t TernaryScaleByte(float v);
std::optional<float> ScaleFromTernaryByte(uint8_t byte);

}  // namespace gaia::significance

#endif  // GAIA_SRC_SIGNIFICANCE_EMISSION_H_
