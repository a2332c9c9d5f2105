// The significance filter's accumulators for one table: per row, the sum of
// local updates not yet sent (src/significance/significance_filter.h).
//
// A table narrower than kSparseMinWidth floats is one dense block, slots x
// width, as a row's bookkeeping would cost about what the row does. A wider
// row holds only its nonzero columns, as (column, value) pairs sorted by
// column, until that takes as much memory as the row; then it becomes dense,
// and it lets go of its memory once everything in it has been sent. So the
// accumulators of a wide table whose updates touch a few columns per row (a
// topic model's word-topic counts) cost what they hold, not slots x width.
//
//   AccumulatorTable acc(/*width=*/500, /*slots=*/50000);
//   acc.Add(slot, delta);                 // delta: width floats
//   float* row = acc.Open(slot);          // width floats, dense, writable
//   row[3] = 0;                           // e.g. sent
//   acc.Close(slot);                      // before opening another row
//
// Not thread-safe; one row open at a time.
#ifndef GAIA_SRC_SIGNIFICANCE_ACCUMULATOR_TABLE_H_
#define GAIA_SRC_SIGNIFICANCE_ACCUMULATOR_TABLE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace gaia::significance {

class AccumulatorTable {
 public:
  static constexpr uint32_t kSparseMinWidth = 64;

  AccumulatorTable(uint32_t width, uint64_t slots);

  uint32_t width() const { return width_; }
  uint64_t slots() const { return slots_; }

  // acc += delta for the row (delta.size() == width); returns how many
  // elements of delta are nonzero.
  uint64_t Add(uint64_t slot, std::span<const float> delta);

  // The row's acc, width floats, for reading and writing until Close(slot)
  // (dense rows in place, others expanded into scratch).
  float* Open(uint64_t slot);
  // Keeps what the open row holds now (a sparse row drops its zeros, a row
  // left all zero frees its memory).
  void Close(uint64_t slot);

  // Whether the row holds a nonzero acc.
  bool AnyNonzero(uint64_t slot) const;
  // A copy of the row's acc (for tests and invariant checks).
  std::vector<float> Copy(uint64_t slot) const;

 private:
  struct Entry {
    uint32_t col;
    float value;
  };
  struct Row {
    std::vector<Entry> sparse;        // ascending columns; empty when dense
    std::unique_ptr<float[]> dense;   // width floats, or null
  };
  // Sparse rows at or above this many entries become dense.
  size_t DenseAt() const { return (size_t{width_} * sizeof(float)) / sizeof(Entry); }

  const uint32_t width_;
  const uint64_t slots_;
  const bool blocked_;        // width < kSparseMinWidth
  std::vector<float> block_;  // narrow tables: slots x width
  std::vector<Row> rows_;     // wide tables: per slot
  // Scratch: the open sparse row expanded, and merge space.
  std::vector<float> open_;
  std::vector<Entry> merged_;
};

}  // namespace gaia::significance

#endif  // GAIA_SRC_SIGNIFICANCE_ACCUMULATOR_TABLE_H_
