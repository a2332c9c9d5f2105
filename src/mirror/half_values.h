// Mirror values as IEEE 754 binary16 on the wire (TableDelta.half_values).
//
// The significance filter emits half-rounded values and keeps the rounding
// error (src/significance/filter.h), so most queued values are exact halves;
// the outbox packs a row as halves only when every value of it is, and the
// receiving mirror expands such a delta back to float32 before the store,
// the forwarding and the counters see it. Nothing is ever rounded here.
//
//   if (ExactInHalf(v)) AppendHalf(&delta.dense_values(), v);
//   ExpandHalfValues(&delta);   // receiver: now plain float32
#ifndef GAIA_SRC_MIRROR_HALF_VALUES_H_
#define GAIA_SRC_MIRROR_HALF_VALUES_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "proto/gaia.pb.h"

namespace gaia::mirror {

// Widest row whose sparse columns fit the uint16 of a half entry.
inline constexpr uint32_t kMaxHalfWidth = 65536;

// True when v converts to binary16 and back unchanged.
bool ExactInHalf(float v);

// Appends v as a little-endian binary16. REQUIRES: ExactInHalf(v).
void AppendHalf(std::string* out, float v);

// Appends one sparse entry (uint16 col, binary16 v). REQUIRES: col <
// kMaxHalfWidth, ExactInHalf(v).
void AppendHalfEntry(std::string* out, uint32_t col, float v);

// Rewrites a half_values delta in place as the float32 delta it encodes and
// clears the flag; leaves any other delta alone. INVALID_ARGUMENT (and the
// delta unspecified) when a values field has an odd length. Row ids, counts
// and columns are checked later, by the store, on the float32 form.
absl::Status ExpandHalfValues(rpc::TableDelta* delta);

bool HasHalfValues(const rpc::MirrorBatch& batch);

// Values a delta carries (dense and sparse), in either encoding.
uint64_t DeltaElements(const rpc::TableDelta& delta);

}  // namespace gaia::mirror

#endif  // GAIA_SRC_MIRROR_HALF_VALUES_H_
