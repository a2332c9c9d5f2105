// Test helper: the rows' current values that a SignificanceFilter's owner
// keeps beside it (value += delta on every local update), and a record of
// what the filter emitted.
#ifndef GAIA_TESTS_SIGNIFICANCE_VALUE_TABLES_H_
#define GAIA_TESTS_SIGNIFICANCE_VALUE_TABLES_H_

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <functional>
#include <ostream>
#include <random>
#include <span>
#include <vector>

#include "gtest/gtest.h"
#include "src/significance/significance_filter.h"

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

// Model check of a filter with one table of `width` x `slots` rows, all
// values initially 1: 200 steps of 10 random updates and a sweep at a random
// threshold in [0, 0.05), then a flush. Checks (gtest) that every sweep
// splits each element's acc exactly into what it emits and what it keeps,
// and that after the flush acc is 0 everywhere and the emitted totals are
// the accumulated updates. `on_row(row, flushing)` sees every emitted row.
// Returns how many elements a sweep emitted while keeping a nonzero rest.
inline uint64_t CheckSweepsConserveUpdates(
    SignificanceFilter& filter, uint32_t width, uint64_t slots, uint32_t seed,
    const std::function<void(const SignificantRow&, bool flushing)>& on_row) {
  ValueTables values({{.width = width, .slots = slots}}, /*initial=*/1.0f);
  std::vector<float> this_sweep(width * slots);
  std::vector<double> emitted(width * slots, 0.0), accumulated(width * slots, 0.0);
  bool flushing = false;
  auto record = [&](const SignificantRow& row) {
    on_row(row, flushing);
    for (size_t i = 0; i < row.cols.size(); ++i) {
      this_sweep[row.slot * width + row.cols[i]] = row.acc[i];
      emitted[row.slot * width + row.cols[i]] += row.acc[i];
    }
  };
  auto acc_snapshot = [&] {
    std::vector<float> acc;
    for (uint64_t slot = 0; slot < slots; ++slot) {
      for (float a : filter.Acc(0, slot)) acc.push_back(a);
    }
    return acc;
  };
  std::mt19937 rng(seed);
  std::normal_distribution<float> delta(0.0f, 0.02f);
  std::uniform_real_distribution<double> threshold(0.0, 0.05);
  uint64_t kept_a_rest = 0;
  for (int step = 0; step <= 200; ++step) {
    for (int u = 0; u < 10; ++u) {
      const uint64_t slot = rng() % slots;
      std::vector<float> d(width);
      for (uint32_t c = 0; c < width; ++c) {
        d[c] = delta(rng);
        accumulated[slot * width + c] += d[c];
      }
      values.Update(filter, 0, slot, d);
    }
    const std::vector<float> before = acc_snapshot();
    std::fill(this_sweep.begin(), this_sweep.end(), 0.0f);
    flushing = step == 200;
    if (flushing) {
      filter.Flush(values.ValueFn(), record);
    } else {
      filter.Sweep(threshold(rng), values.ValueFn(), record);
    }
    const std::vector<float> after = acc_snapshot();
    for (size_t e = 0; e < before.size(); ++e) {
      EXPECT_EQ(this_sweep[e] + after[e], before[e]) << "element " << e << " step " << step;
      kept_a_rest += this_sweep[e] != 0.0f && after[e] != 0.0f;
    }
  }
  for (uint64_t slot = 0; slot < slots; ++slot) {
    for (uint32_t c = 0; c < width; ++c) {
      EXPECT_EQ(filter.Acc(0, slot)[c], 0.0f);
      EXPECT_NEAR(emitted[slot * width + c], accumulated[slot * width + c], 1e-5);
    }
  }
  EXPECT_EQ(filter.dirty_rows(), 0u);
  return kept_a_rest;
}

}  // namespace gaia::significance::test

#endif  // GAIA_TESTS_SIGNIFICANCE_VALUE_TABLES_H_
