// Test helper: the rows' current values that a SignificanceFilter's owner
// keeps beside it (value += delta on every local update), and a record of
// what the filter emitted.
#ifndef GAIA_TESTS_SIGNIFICANCE_VALUE_TABLES_H_
#define GAIA_TESTS_SIGNIFICANCE_VALUE_TABLES_H_

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <span>
#include <vector>

#include "src/significance/filter.h"

namespace gaia::significance::test {

// Values of several tables, all initially `initial`.
class ValueTables {
 public:
  explicit ValueTables(const std::vector<TableShape>& shapes, float initial = 0.0f) {
    for (const TableShape& shape : shapes) {
      widths_.push_back(shape.width);
      values_.emplace_back(shape.slots * shape.width, initial);
    }
  }

  std::span<float> Row(uint32_t table, uint64_t slot) {
    return {values_[table].data() + slot * widths_[table], widths_[table]};
  }
  std::span<const float> Row(uint32_t table, uint64_t slot) const {
    return {values_[table].data() + slot * widths_[table], widths_[table]};
  }

  // What the shard does on a local update: value += delta, then acc += delta.
  void Update(SignificanceFilter& filter, uint32_t table, uint64_t slot,
              std::span<const float> delta) {
    std::span<float> row = Row(table, slot);
    for (size_t i = 0; i < row.size(); ++i) row[i] += delta[i];
    filter.Accumulate(table, slot, delta);
  }

  SignificanceFilter::ValueFn ValueFn() const {
    return [this](uint32_t table, uint64_t slot) { return Row(table, slot); };
  }

 private:
  std::vector<uint32_t> widths_;
  std::vector<std::vector<float>> values_;
};

// One emitted element.
struct Sent {
  uint32_t table = 0;
  uint64_t slot = 0;
  uint32_t col = 0;
  float acc = 0;
  friend bool operator==(const Sent&, const Sent&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Sent& s) {
    return os << "{table " << s.table << ", slot " << s.slot << ", col " << s.col << ", acc "
              << s.acc << "}";
  }
};

// An EmitFn appending every element to `out`.
inline SignificanceFilter::EmitFn RecordInto(std::vector<Sent>& out) {
  return [&out](const SignificantRow& row) {
    for (size_t i = 0; i < row.cols.size(); ++i) {
      out.push_back({row.table, row.slot, row.cols[i], row.acc[i]});
    }
  };
}

}  // namespace gaia::significance::test

#endif  // GAIA_TESTS_SIGNIFICANCE_VALUE_TABLES_H_
