// Randomised checks of SignificanceFilter against a simple model, for each
// built-in function and several seeds:
//  - conservation: for every element, Σ deltas == Σ emitted + remaining acc
//    (float tolerance), and after Flush nothing remains;
//  - a sweep emits exactly the nonzero-acc elements whose score (computed on
//    the acc and value before the sweep) exceeds the threshold, with those
//    acc values, and keeps the rest unchanged;
//  - after a sweep every remaining element scores <= the threshold;
//  - dirty_rows() and the counters agree with the model.
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "src/significance/significance_filter.h"
#include "src/significance/registry.h"
#include "tests/significance/value_tables.h"

namespace gaia::significance {
namespace {

using test::ValueTables;

constexpr double kFloor = 1e-3;
constexpr int kClocks = 25;
constexpr int kMaxUpdatesPerClock = 40;
constexpr float kFloatEps = std::numeric_limits<float>::epsilon();

// Per element of every table, what the test knows independently of the
// filter. Index: Model::Index(table, slot, col).
struct ElementModel {
  double delta_sum = 0;      // Σ deltas accumulated
  double delta_abs_sum = 0;  // Σ |deltas|, scales the float tolerance
  double sent_sum = 0;       // Σ values emitted
  int additions = 0;         // nonzero deltas added (float roundings in acc)
};

class Model {
 public:
  explicit Model(const std::vector<TableShape>& shapes) {
    for (const TableShape& shape : shapes) {
      offsets_.push_back(elements_.size());
      widths_.push_back(shape.width);
      elements_.resize(elements_.size() + shape.slots * shape.width);
    }
  }
  ElementModel& At(uint32_t table, uint64_t slot, uint32_t col) {
    return elements_[offsets_[table] + slot * widths_[table] + col];
  }

 private:
  std::vector<uint64_t> offsets_;
  std::vector<uint32_t> widths_;
  std::vector<ElementModel> elements_;
};

// Checks Σ deltas == Σ sent + acc for every element of every table.
void ExpectConservation(const std::vector<TableShape>& shapes, const SignificanceFilter& filter,
                        Model& model) {
  for (uint32_t t = 0; t < shapes.size(); ++t) {
    for (uint64_t slot = 0; slot < shapes[t].slots; ++slot) {
      const std::vector<float> acc = filter.Acc(t, slot);
      for (uint32_t c = 0; c < shapes[t].width; ++c) {
        const ElementModel& e = model.At(t, slot, c);
        // Each float addition into acc rounds by at most eps/2 of a value
        // bounded by Σ|delta|; the emitted values are exact copies of acc.
        const double tolerance = (e.additions + 1) * kFloatEps * e.delta_abs_sum + 1e-12;
        ASSERT_NEAR(e.delta_sum, e.sent_sum + acc[c], tolerance)
            << "table " << t << " slot " << slot << " col " << c;
      }
    }
  }
}

class FilterProperty : public ::testing::TestWithParam<std::tuple<std::string, uint32_t>> {};

TEST_P(FilterProperty, ConservesUpdatesAndSendsExactlyTheSignificant) {
  const auto& [fn_name, seed] = GetParam();
  Registry registry(kFloor);
  absl::StatusOr<gaia::SignificanceFn> found = registry.Find(fn_name);
  ASSERT_TRUE(found.ok()) << found.status();
  const gaia::SignificanceFn fn = *found;

  std::mt19937 rng(seed);
  auto uniform = [&rng](double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng);
  };
  auto uniform_int = [&rng](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  auto chance = [&](double p) { return uniform(0, 1) < p; };

  std::vector<TableShape> shapes;
  const int num_tables = uniform_int(1, 3);
  for (int t = 0; t < num_tables; ++t) {
    // Narrow tables (one dense block) and wide ones (sparse rows that turn
    // dense: src/significance/accumulator_table.h).
    const int width = chance(0.5) ? uniform_int(1, 8)
                                  : uniform_int(AccumulatorTable::kSparseMinWidth, 160);
    shapes.push_back({.width = static_cast<uint32_t>(width),
                      .slots = static_cast<uint64_t>(uniform_int(1, 20))});
  }
  SignificanceFilter filter(shapes, fn);
  ValueTables values(shapes);
  Model model(shapes);
  // Initial values in [-2, 2], a quarter of them exactly 0 (the floor path).
  for (uint32_t t = 0; t < shapes.size(); ++t) {
    for (uint64_t slot = 0; slot < shapes[t].slots; ++slot) {
      for (float& v : values.Row(t, slot)) {
        v = chance(0.25) ? 0.0f : static_cast<float>(uniform(-2, 2));
      }
    }
  }

  uint64_t seen = 0;
  uint64_t sent_count = 0;
  uint64_t kept_count = 0;  // nonzero elements a sweep left behind, summed
  for (int clock = 0; clock < kClocks; ++clock) {
    SCOPED_TRACE("clock " + std::to_string(clock));
    const int updates = uniform_int(0, kMaxUpdatesPerClock);
    for (int u = 0; u < updates; ++u) {
      const uint32_t t = static_cast<uint32_t>(uniform_int(0, num_tables - 1));
      const uint64_t slot = static_cast<uint64_t>(
          uniform_int(0, static_cast<int>(shapes[t].slots) - 1));
      std::vector<float> delta(shapes[t].width, 0.0f);
      // Most updates of a wide row touch a few columns, some half of them.
      const double density = shapes[t].width >= 64 && chance(0.8) ? 0.03 : 0.5;
      for (uint32_t c = 0; c < delta.size(); ++c) {
        if (!chance(density)) continue;
        // Log-uniform magnitudes 1e-4 .. 0.5, either sign.
        const float d = static_cast<float>((chance(0.5) ? 1 : -1) *
                                           std::pow(10.0, uniform(-4, std::log10(0.5))));
        delta[c] = d;
        ElementModel& e = model.At(t, slot, c);
        e.delta_sum += d;
        e.delta_abs_sum += std::abs(d);
        ++e.additions;
        ++seen;
      }
      values.Update(filter, t, slot, delta);
    }
    EXPECT_EQ(filter.counters().elements_seen, seen);

    // The oracle: acc and scores of every row before the sweep.
    const double threshold = chance(0.1) ? 0.0 : std::pow(10.0, uniform(-3, 0));
    std::vector<std::vector<std::vector<float>>> acc_before(shapes.size());
    std::vector<std::vector<std::vector<float>>> score_before(shapes.size());
    for (uint32_t t = 0; t < shapes.size(); ++t) {
      for (uint64_t slot = 0; slot < shapes[t].slots; ++slot) {
        const std::vector<float> acc = filter.Acc(t, slot);
        acc_before[t].emplace_back(acc.begin(), acc.end());
        score_before[t].emplace_back(shapes[t].width, 0.0f);
        fn(acc, values.Row(t, slot), score_before[t].back());
      }
    }

    std::vector<std::vector<std::vector<uint8_t>>> emitted(shapes.size());
    for (uint32_t t = 0; t < shapes.size(); ++t) {
      emitted[t].assign(shapes[t].slots, std::vector<uint8_t>(shapes[t].width, 0));
    }
    filter.Sweep(threshold, values.ValueFn(), [&](const SignificantRow& row) {
      ASSERT_LT(row.table, shapes.size());
      ASSERT_LT(row.slot, shapes[row.table].slots);
      ASSERT_EQ(row.cols.size(), row.acc.size());
      ASSERT_FALSE(row.cols.empty()) << "an emit with no elements";
      for (size_t i = 0; i < row.cols.size(); ++i) {
        const uint32_t c = row.cols[i];
        ASSERT_LT(c, shapes[row.table].width);
        if (i > 0) {
          ASSERT_LT(row.cols[i - 1], c) << "columns not strictly ascending";
        }
        ASSERT_EQ(emitted[row.table][row.slot][c], 0) << "element emitted twice";
        emitted[row.table][row.slot][c] = 1;
        EXPECT_EQ(row.acc[i], acc_before[row.table][row.slot][c]);
        model.At(row.table, row.slot, c).sent_sum += row.acc[i];
        ++sent_count;
      }
    });
    if (HasFatalFailure()) return;

    uint64_t rows_with_acc = 0;
    for (uint32_t t = 0; t < shapes.size(); ++t) {
      for (uint64_t slot = 0; slot < shapes[t].slots; ++slot) {
        const std::vector<float> acc = filter.Acc(t, slot);
        std::vector<float> score_after(shapes[t].width, 0.0f);
        fn(acc, values.Row(t, slot), score_after);
        bool any = false;
        for (uint32_t c = 0; c < shapes[t].width; ++c) {
          const float before = acc_before[t][slot][c];
          const bool significant = before != 0.0f && score_before[t][slot][c] > threshold;
          EXPECT_EQ(emitted[t][slot][c] == 1, significant)
              << "table " << t << " slot " << slot << " col " << c << " acc " << before
              << " score " << score_before[t][slot][c] << " threshold " << threshold;
          EXPECT_EQ(acc[c], significant ? 0.0f : before);
          if (acc[c] != 0.0f) {
            any = true;
            ++kept_count;
            EXPECT_LE(score_after[c], threshold)
                << "table " << t << " slot " << slot << " col " << c;
          }
        }
        rows_with_acc += any;
      }
    }
    // A sweep leaves exactly the rows that still hold something dirty.
    EXPECT_EQ(filter.dirty_rows(), rows_with_acc);
    EXPECT_EQ(filter.counters().elements_sent, sent_count);
    ExpectConservation(shapes, filter, model);
    if (HasFatalFailure()) return;
  }

  // The run exercised both outcomes of a sweep, so the checks above bite.
  EXPECT_GT(sent_count, 0u);
  EXPECT_GT(kept_count, 0u);

  filter.Flush(values.ValueFn(), [&](const SignificantRow& row) {
    for (size_t i = 0; i < row.cols.size(); ++i) {
      EXPECT_NE(row.acc[i], 0.0f) << "flush emitted a zero acc";
      model.At(row.table, row.slot, row.cols[i]).sent_sum += row.acc[i];
      ++sent_count;
    }
  });
  EXPECT_EQ(filter.dirty_rows(), 0u);
  EXPECT_EQ(filter.counters().elements_sent, sent_count);
  for (uint32_t t = 0; t < shapes.size(); ++t) {
    for (uint64_t slot = 0; slot < shapes[t].slots; ++slot) {
      for (float a : filter.Acc(t, slot)) ASSERT_EQ(a, 0.0f) << "table " << t << " slot " << slot;
    }
  }
  ExpectConservation(shapes, filter, model);
}

INSTANTIATE_TEST_SUITE_P(
    BuiltIns, FilterProperty,
    ::testing::Combine(::testing::Values("relative", "absolute", "row_relative"),
                       ::testing::Values(1u, 2u, 3u, 42u, 2024u, 77777u)),
    [](const ::testing::TestParamInfo<FilterProperty::ParamType>& info) {
      return std::get<0>(info.param) + "_seed" + std::to_string(std::get<1>(info.param));
    });

}  // namespace
}  // namespace gaia::significance
