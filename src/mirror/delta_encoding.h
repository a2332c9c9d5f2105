// Compact encodings of a mirror link's TableDeltas (DESIGN.md §4.2): values
// as IEEE 754 binary16 (TableDelta.half_values), row ids and counts as
// varints (TableDelta.varint_row_ids), sparse rows as a column bitmap plus
// values (TableDelta.bitmap_sparse), and rows whose values all have one
// magnitude, a ternary scale, as a bitmap, that scale and sign bits
// (TableDelta.ternary_rows). Only mirrors write or read them: the
// receiving mirror expands a delta to the plain float32 / packed uint64 form
// before the store, the forwarding and the counters see it.
//
// Half values are never the product of rounding here: the significance
// filter emits half-rounded values and keeps the rounding error
// (src/significance/significance_filter.h), and the outbox packs a row as halves only
// when every value of it is an exact binary16, and as a ternary row only when
// every value is +s or -s for one ternary scale s (IsTernaryRow).
//
//   DeltaWriter out(batch.add_updates(), table, width, {.half = true, .varint_ids = true});
//   out.AddDenseRow(row, values);              // values: width exact halves
//   out.AddSparseRow(row, cols, values);
//   ...
//   ExpandDelta(&delta, width);                // receiver: plain form again
#ifndef GAIA_SRC_MIRROR_DELTA_ENCODING_H_
#define GAIA_SRC_MIRROR_DELTA_ENCODING_H_

#include <cstdint>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "proto/gaia.pb.h"

namespace gaia::mirror {

// Widest row whose sparse columns fit the uint16 of a half entry.
inline constexpr uint32_t kMaxHalfWidth = 65536;

// True when v converts to binary16 and back unchanged.
bool ExactInHalf(float v);

// The compact forms one TableDelta uses.
struct DeltaEncoding {
  bool half = false;           // binary16 values
  bool varint_ids = false;     // varint row ids and counts
  bool bitmap_sparse = false;  // sparse rows as column bitmap + values
  bool ternary = false;        // with bitmap_sparse, no half: bitmap, scale, signs
};

// True when values is not empty and every value is +s or -s for one s with
// significance::IsTernaryScale(s).
bool IsTernaryRow(std::span<const float> values);

// Appends one TableDelta's rows in its encoding. Dense rows carry width
// values, sparse rows (column, value) pairs with nonzero values.
// REQUIRES for half: every value ExactInHalf, columns < kMaxHalfWidth; for
// ternary: sparse rows only, each IsTernaryRow.
class DeltaWriter {
 public:
  DeltaWriter(rpc::TableDelta* delta, uint32_t table_id, uint32_t width, DeltaEncoding encoding);

  void AddDenseRow(uint64_t row, std::span<const float> values);
  // cols ascending, of the same length as values; zeros are the caller's to
  // skip.
  void AddSparseRow(uint64_t row, std::span<const uint32_t> cols, std::span<const float> values);

  // With varint_ids and bitmap_sparse: sends the sparse rows' ids as a row
  // bitmap (TableDelta.sparse_row_bitmap) if they were added in ascending
  // order and that is smaller. Call once, after the last row.
  void Finish();

 private:
  void AppendValue(std::string* out, float v) const;
  void AppendId(std::string* out, uint64_t row, uint64_t* last) const;

  rpc::TableDelta* const delta_;
  const uint32_t width_;
  const DeltaEncoding encoding_;
  uint64_t last_dense_ = 0;   // previous id of each list (varint deltas)
  uint64_t last_sparse_ = 0;
};

// Wire bytes of one row of a table `width` wide in `encoding`, its id
// excluded: dense (width values), or sparse with n entries.
size_t DenseRowBytes(uint32_t width, const DeltaEncoding& encoding);
size_t SparseRowBytes(uint32_t width, const DeltaEncoding& encoding, size_t n);

// Rewrites a compact delta of a table `width` wide in place as the plain
// delta it encodes and clears the flags; leaves a plain delta alone.
// INVALID_ARGUMENT (the delta then unspecified) for a values field of the
// wrong length for its encoding, a truncated or overlong varint, bitmap
// rows that do not add up, a scale byte that is not a ternary scale,
// ternary_rows without bitmap_sparse, with half_values or with dense rows, or
// a row bitmap without bitmap_sparse or with more rows than entry bytes.
// Row ids, counts and columns are checked later, by the store, on the plain
// form.
absl::Status ExpandDelta(rpc::TableDelta* delta, uint32_t width);

bool HasCompactDeltas(const rpc::MirrorBatch& batch);

// Row ids as zigzag varints of each id minus the previous (TableDelta and
// AspBarrier varint_row_ids): appends `row` and sets *last to it.
void AppendVarintRowId(std::string* out, uint64_t row, uint64_t* last);
// Rewrites such a list in place as packed uint64. INVALID_ARGUMENT ("malformed
// varint at byte N") for a truncated or overlong varint.
absl::Status ExpandVarintRowIds(std::string* ids);

// Strictly ascending row ids in the smaller of two forms: varint deltas as
// above, or a bitmap (bit i % 8 of byte i / 8 set for row base + i).
struct RowIdList {
  bool bitmap = false;
  uint64_t base = 0;   // bitmap only: the first row
  std::string bytes;
};
RowIdList EncodeAscendingRows(std::span<const uint64_t> rows);
// Rewrites a bitmap of rows from `base` in place as packed uint64 ids.
// INVALID_ARGUMENT when it reaches past 2^64 - 1 or sets more than
// `max_rows` bits (checked before anything is expanded).
absl::Status ExpandRowBitmap(uint64_t base, uint64_t max_rows, std::string* ids);

// Values a plain (expanded) delta carries, dense rows counting every column.
uint64_t PlainDeltaElements(const rpc::TableDelta& delta);

}  // namespace gaia::mirror

#endif  // GAIA_SRC_MIRROR_DELTA_ENCODING_H_
