// SignificanceFilter (src/significance/significance_filter.h): accumulate, sweep, flush,
// dirty rows and counters, on small hand-checked cases.
#include "src/significance/significance_filter.h"

#include <cstdint>
#include <span>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/significance/registry.h"
#include "tests/significance/value_tables.h"

namespace gaia::significance {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using test::RecordInto;
using test::Sent;
using test::ValueTables;

constexpr double kFloor = 1e-3;

TEST(SignificanceFilter, SweepEmitsExactlyTheSignificantElementsAndZeroesThem) {
  const std::vector<TableShape> shapes = {{.width = 4, .slots = 3}};
  SignificanceFilter filter(shapes, RelativeSignificance(kFloor));
  ValueTables values(shapes, /*initial=*/10.0f);
  // value -> {12, 10.5, 10, 7}: scores {2/12, 0.5/10.5, 0, 3/7}.
  const std::vector<float> delta = {2.0f, 0.5f, 0.0f, -3.0f};
  values.Update(filter, 0, 1, delta);
  EXPECT_THAT(filter.Acc(0, 1), ElementsAre(2.0f, 0.5f, 0.0f, -3.0f));

  std::vector<Sent> sent;
  filter.Sweep(0.1, values.ValueFn(), RecordInto(sent));
  EXPECT_THAT(sent, ElementsAre(Sent{0, 1, 0, 2.0f}, Sent{0, 1, 3, -3.0f}));
  EXPECT_THAT(filter.Acc(0, 1), ElementsAre(0.0f, 0.5f, 0.0f, 0.0f));
  // The other rows were never touched.
  EXPECT_THAT(filter.Acc(0, 0), ElementsAre(0.0f, 0.0f, 0.0f, 0.0f));
  EXPECT_THAT(filter.Acc(0, 2), ElementsAre(0.0f, 0.0f, 0.0f, 0.0f));
  EXPECT_EQ(filter.dirty_rows(), 1u);  // column 1 still waits
}

TEST(SignificanceFilter, OneEmitPerRowWithColumnsAscending) {
  const std::vector<TableShape> shapes = {{.width = 5, .slots = 4}};
  SignificanceFilter filter(shapes, AbsoluteSignificance());
  ValueTables values(shapes);
  // Slots updated out of order; the sweep order of rows is not specified.
  values.Update(filter, 0, 3, std::vector<float>{0.0f, 1.0f, 0.0f, 1.0f, 1.0f});
  values.Update(filter, 0, 0, std::vector<float>{1.0f, 0.0f, 1.0f, 0.0f, 0.0f});
  std::vector<std::vector<uint32_t>> rows;
  std::vector<uint64_t> slots;
  filter.Sweep(
      0.5, values.ValueFn(), [&](const SignificantRow& row) {
        EXPECT_EQ(row.cols.size(), row.acc.size());
        rows.emplace_back(row.cols.begin(), row.cols.end());
        slots.push_back(row.slot);
      });
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_THAT(slots, UnorderedElementsAre(0u, 3u));
  for (size_t i = 0; i < rows.size(); ++i) {
    if (slots[i] == 0) {
      EXPECT_THAT(rows[i], ElementsAre(0u, 2u));
    } else {
      EXPECT_THAT(rows[i], ElementsAre(1u, 3u, 4u));
    }
  }
}

TEST(SignificanceFilter, KeptAccAddsUpAndBecomesSignificantLater) {
  const std::vector<TableShape> shapes = {{.width = 1, .slots = 1}};
  SignificanceFilter filter(shapes, RelativeSignificance(kFloor));
  ValueTables values(shapes, /*initial=*/9.5f);
  std::vector<Sent> sent;
  const std::vector<float> half = {0.5f};

  values.Update(filter, 0, 0, half);  // 0.5 / 10 = 0.05
  filter.Sweep(0.1, values.ValueFn(), RecordInto(sent));
  EXPECT_THAT(sent, IsEmpty());
  EXPECT_THAT(filter.Acc(0, 0), ElementsAre(0.5f));

  values.Update(filter, 0, 0, half);  // 1.0 / 10.5 = 0.095
  filter.Sweep(0.1, values.ValueFn(), RecordInto(sent));
  EXPECT_THAT(sent, IsEmpty());
  EXPECT_THAT(filter.Acc(0, 0), ElementsAre(1.0f));
  EXPECT_EQ(filter.dirty_rows(), 1u);

  values.Update(filter, 0, 0, half);  // 1.5 / 11 = 0.136
  filter.Sweep(0.1, values.ValueFn(), RecordInto(sent));
  EXPECT_THAT(sent, ElementsAre(Sent{0, 0, 0, 1.5f}));
  EXPECT_THAT(filter.Acc(0, 0), ElementsAre(0.0f));
  EXPECT_EQ(filter.dirty_rows(), 0u);
}

// A lower threshold (the soft one) sends what the hard one kept.
TEST(SignificanceFilter, LowerThresholdSendsWhatAHigherOneKept) {
  const std::vector<TableShape> shapes = {{.width = 2, .slots = 1}};
  SignificanceFilter filter(shapes, AbsoluteSignificance());
  ValueTables values(shapes);
  values.Update(filter, 0, 0, std::vector<float>{0.3f, 0.05f});
  std::vector<Sent> sent;
  filter.Sweep(0.5, values.ValueFn(), RecordInto(sent));
  EXPECT_THAT(sent, IsEmpty());
  filter.Sweep(0.2, values.ValueFn(), RecordInto(sent));
  EXPECT_THAT(sent, ElementsAre(Sent{0, 0, 0, 0.3f}));
  EXPECT_THAT(filter.Acc(0, 0), ElementsAre(0.0f, 0.05f));
}

TEST(SignificanceFilter, AllZeroDeltaLeavesTheRowClean) {
  const std::vector<TableShape> shapes = {{.width = 3, .slots = 2}};
  SignificanceFilter filter(shapes, RelativeSignificance(kFloor));
  ValueTables values(shapes, 1.0f);
  values.Update(filter, 0, 1, std::vector<float>{0.0f, 0.0f, 0.0f});
  EXPECT_EQ(filter.dirty_rows(), 0u);
  int emits = 0;
  filter.Sweep(0.0, values.ValueFn(), [&](const SignificantRow&) { ++emits; });
  filter.Flush(values.ValueFn(), [&](const SignificantRow&) { ++emits; });
  EXPECT_EQ(emits, 0);
  EXPECT_EQ(filter.counters().rows_swept, 0u);
  EXPECT_EQ(filter.counters().elements_seen, 0u);
}

// Updates that cancel out leave nothing to send.
TEST(SignificanceFilter, CancelledAccIsNeverEmitted) {
  const std::vector<TableShape> shapes = {{.width = 2, .slots = 1}};
  SignificanceFilter filter(shapes, RelativeSignificance(kFloor));
  ValueTables values(shapes, 1.0f);
  values.Update(filter, 0, 0, std::vector<float>{0.5f, 0.25f});
  values.Update(filter, 0, 0, std::vector<float>{-0.5f, -0.25f});
  ASSERT_THAT(filter.Acc(0, 0), ElementsAre(0.0f, 0.0f));
  std::vector<Sent> sent;
  filter.Sweep(0.0, values.ValueFn(), RecordInto(sent));
  filter.Flush(values.ValueFn(), RecordInto(sent));
  EXPECT_THAT(sent, IsEmpty());
  EXPECT_EQ(filter.dirty_rows(), 0u);
}

// significance_filter.h documents dirty_rows() as "Rows with a nonzero acc".
// significance_filter.h: a row whose acc cancelled to exactly 0 stays dirty until the
// next sweep, which sends nothing for it and cleans it.
TEST(SignificanceFilter, CancelledRowIsDirtyUntilTheNextSweep) {
  const std::vector<TableShape> shapes = {{.width = 2, .slots = 1}};
  SignificanceFilter filter(shapes, RelativeSignificance(kFloor));
  ValueTables values(shapes, 1.0f);
  values.Update(filter, 0, 0, std::vector<float>{0.5f, 0.0f});
  EXPECT_EQ(filter.dirty_rows(), 1u);
  values.Update(filter, 0, 0, std::vector<float>{-0.5f, 0.0f});
  ASSERT_THAT(filter.Acc(0, 0), ElementsAre(0.0f, 0.0f));
  EXPECT_EQ(filter.dirty_rows(), 1u);
  std::vector<Sent> sent;
  filter.Sweep(0.0, values.ValueFn(), RecordInto(sent));
  EXPECT_THAT(sent, IsEmpty());
  EXPECT_EQ(filter.dirty_rows(), 0u);
}

TEST(SignificanceFilter, DirtyRowsCountsRowsNotUpdates) {
  const std::vector<TableShape> shapes = {{.width = 2, .slots = 10}};
  SignificanceFilter filter(shapes, AbsoluteSignificance());
  ValueTables values(shapes);
  EXPECT_EQ(filter.dirty_rows(), 0u);
  const std::vector<float> small = {0.1f, 0.0f};
  values.Update(filter, 0, 7, small);
  values.Update(filter, 0, 2, small);
  values.Update(filter, 0, 7, small);
  values.Update(filter, 0, 9, std::vector<float>{0.0f, 0.1f});
  EXPECT_EQ(filter.dirty_rows(), 3u);

  std::vector<Sent> sent;
  filter.Sweep(1.0, values.ValueFn(), RecordInto(sent));  // nothing reaches 1
  EXPECT_THAT(sent, IsEmpty());
  EXPECT_EQ(filter.dirty_rows(), 3u);
  EXPECT_EQ(filter.counters().rows_swept, 3u);

  // Only slot 7 (acc 0.2) passes 0.15.
  filter.Sweep(0.15, values.ValueFn(), RecordInto(sent));
  EXPECT_THAT(sent, ElementsAre(Sent{0, 7, 0, 0.2f}));
  EXPECT_EQ(filter.dirty_rows(), 2u);
  // Updating a row that is already dirty does not count it twice.
  values.Update(filter, 0, 2, small);
  EXPECT_EQ(filter.dirty_rows(), 2u);
  filter.Sweep(0.0, values.ValueFn(), RecordInto(sent));
  EXPECT_EQ(filter.dirty_rows(), 0u);
  EXPECT_EQ(sent.size(), 3u);
}

// A sweep looks only at the dirty rows, not the whole table.
TEST(SignificanceFilter, SweepScoresOnlyDirtyRows) {
  const std::vector<TableShape> shapes = {{.width = 3, .slots = 1000}};
  SignificanceFilter filter(shapes, RelativeSignificance(kFloor));
  ValueTables values(shapes, 1.0f);
  values.Update(filter, 0, 17, std::vector<float>{0.01f, 0.0f, 0.0f});
  values.Update(filter, 0, 900, std::vector<float>{0.0f, 0.5f, 0.0f});
  std::vector<uint64_t> asked;
  auto value_of = [&](uint32_t table, uint64_t slot) {
    asked.push_back(slot);
    return values.Row(table, slot);
  };
  std::vector<Sent> sent;
  filter.Sweep(0.1, value_of, RecordInto(sent));
  EXPECT_THAT(asked, UnorderedElementsAre(17u, 900u));
  EXPECT_THAT(sent, ElementsAre(Sent{0, 900, 1, 0.5f}));
  asked.clear();
  filter.Sweep(0.1, value_of, RecordInto(sent));
  EXPECT_THAT(asked, ElementsAre(17u));
}

TEST(SignificanceFilter, TablesOfDifferentWidthsAreIndependent) {
  const std::vector<TableShape> shapes = {{.width = 1, .slots = 3}, {.width = 5, .slots = 2}};
  SignificanceFilter filter(shapes, AbsoluteSignificance());
  ValueTables values(shapes);
  values.Update(filter, 0, 1, std::vector<float>{2.0f});
  values.Update(filter, 0, 2, std::vector<float>{0.1f});
  values.Update(filter, 1, 1, std::vector<float>{0.0f, 3.0f, 0.1f, 0.0f, -4.0f});
  EXPECT_EQ(filter.dirty_rows(), 3u);
  EXPECT_THAT(filter.Acc(0, 1), ElementsAre(2.0f));
  EXPECT_THAT(filter.Acc(1, 0), ElementsAre(0.0f, 0.0f, 0.0f, 0.0f, 0.0f));
  EXPECT_THAT(filter.Acc(1, 1), ElementsAre(0.0f, 3.0f, 0.1f, 0.0f, -4.0f));

  std::vector<Sent> sent;
  filter.Sweep(1.0, values.ValueFn(), RecordInto(sent));
  EXPECT_THAT(sent, UnorderedElementsAre(Sent{0, 1, 0, 2.0f}, Sent{1, 1, 1, 3.0f},
                                         Sent{1, 1, 4, -4.0f}));
  EXPECT_THAT(filter.Acc(0, 2), ElementsAre(0.1f));
  EXPECT_THAT(filter.Acc(1, 1), ElementsAre(0.0f, 0.0f, 0.1f, 0.0f, 0.0f));
  EXPECT_EQ(filter.dirty_rows(), 2u);
}

TEST(SignificanceFilter, FlushEmitsEveryNonzeroAccAndLeavesAllClean) {
  const std::vector<TableShape> shapes = {{.width = 3, .slots = 4}, {.width = 2, .slots = 2}};
  SignificanceFilter filter(shapes, RelativeSignificance(kFloor));
  ValueTables values(shapes, 100.0f);
  values.Update(filter, 0, 0, std::vector<float>{1e-3f, 0.0f, -2e-3f});
  values.Update(filter, 0, 3, std::vector<float>{0.0f, 5e-3f, 0.0f});
  values.Update(filter, 1, 1, std::vector<float>{-1e-3f, 1e-3f});
  std::vector<Sent> sent;
  filter.Sweep(0.01, values.ValueFn(), RecordInto(sent));  // all below 1e-4
  ASSERT_THAT(sent, IsEmpty());

  filter.Flush(values.ValueFn(), RecordInto(sent));
  EXPECT_THAT(sent, UnorderedElementsAre(Sent{0, 0, 0, 1e-3f}, Sent{0, 0, 2, -2e-3f},
                                         Sent{0, 3, 1, 5e-3f}, Sent{1, 1, 0, -1e-3f},
                                         Sent{1, 1, 1, 1e-3f}));
  EXPECT_EQ(filter.dirty_rows(), 0u);
  for (uint64_t slot = 0; slot < 4; ++slot) {
    EXPECT_THAT(filter.Acc(0, slot), ElementsAre(0.0f, 0.0f, 0.0f)) << slot;
  }
  for (uint64_t slot = 0; slot < 2; ++slot) {
    EXPECT_THAT(filter.Acc(1, slot), ElementsAre(0.0f, 0.0f)) << slot;
  }
  // Nothing left for a second flush.
  sent.clear();
  filter.Flush(values.ValueFn(), RecordInto(sent));
  EXPECT_THAT(sent, IsEmpty());
}

// Flush does not ask the function: even elements scoring 0 (a zero factor
// of a product, say) leave.
TEST(SignificanceFilter, FlushIgnoresTheSignificanceFunction) {
  const std::vector<TableShape> shapes = {{.width = 2, .slots = 2}};
  const gaia::SignificanceFn never = [](std::span<const float>, std::span<const float>,
                                        std::span<float> out) {
    for (float& o : out) o = 0.0f;
  };
  SignificanceFilter filter(shapes, never);
  ValueTables values(shapes);
  values.Update(filter, 0, 0, std::vector<float>{5.0f, 0.0f});
  values.Update(filter, 0, 1, std::vector<float>{0.0f, -7.0f});
  std::vector<Sent> sent;
  filter.Sweep(0.0, values.ValueFn(), RecordInto(sent));
  ASSERT_THAT(sent, IsEmpty());
  EXPECT_EQ(filter.dirty_rows(), 2u);
  filter.Flush(values.ValueFn(), RecordInto(sent));
  EXPECT_THAT(sent, UnorderedElementsAre(Sent{0, 0, 0, 5.0f}, Sent{0, 1, 1, -7.0f}));
  EXPECT_EQ(filter.dirty_rows(), 0u);
}

TEST(SignificanceFilter, CountersCountNonzeroDeltasAndSentElements) {
  const std::vector<TableShape> shapes = {{.width = 4, .slots = 2}};
  SignificanceFilter filter(shapes, AbsoluteSignificance());
  ValueTables values(shapes);
  EXPECT_EQ(filter.counters().elements_seen, 0u);
  EXPECT_EQ(filter.counters().elements_sent, 0u);

  values.Update(filter, 0, 0, std::vector<float>{1.0f, 0.0f, 0.1f, 0.0f});
  EXPECT_EQ(filter.counters().elements_seen, 2u);
  values.Update(filter, 0, 0, std::vector<float>{1.0f, 0.0f, 0.0f, 0.0f});
  values.Update(filter, 0, 1, std::vector<float>{0.0f, -2.0f, 0.0f, 0.0f});
  values.Update(filter, 0, 1, std::vector<float>{0.0f, 0.0f, 0.0f, 0.0f});
  EXPECT_EQ(filter.counters().elements_seen, 4u);  // re-updated elements count again

  std::vector<Sent> sent;
  filter.Sweep(0.5, values.ValueFn(), RecordInto(sent));
  EXPECT_EQ(sent.size(), 2u);
  EXPECT_EQ(filter.counters().elements_sent, 2u);
  EXPECT_EQ(filter.counters().rows_swept, 2u);

  filter.Flush(values.ValueFn(), RecordInto(sent));  // the 0.1
  EXPECT_EQ(sent.size(), 3u);
  EXPECT_EQ(filter.counters().elements_sent, 3u);
  EXPECT_EQ(filter.counters().elements_seen, 4u);
}

TEST(SignificanceFilter, UpdatesAreScoredOnTheirOwnAgainstTheValueBeforeThem) {
  const std::vector<TableShape> shapes = {{.width = 4, .slots = 1}};
  SignificanceFilter filter(shapes, RelativeSignificance(kFloor));
  ValueTables values(shapes, /*initial=*/10.0f);
  // Against 10: 0.05 is 0.5% and 0.08 is 0.8% (insignificant), 0.2 is 2%, 0
  // is not an update.
  const std::vector<float> first = {0.05f, 0.08f, -0.2f, 0.0f};
  std::span<float> row = values.Row(0, 0);
  for (size_t i = 0; i < row.size(); ++i) row[i] += first[i];
  filter.Accumulate(0, 0, first, row);
  EXPECT_EQ(filter.counters().updates_scored, 3u);
  EXPECT_EQ(filter.counters().updates_insignificant, 2u);
  EXPECT_EQ(filter.counters().elements_seen, 3u);  // and accumulated as usual
  EXPECT_THAT(filter.Acc(0, 0), ElementsAre(0.05f, 0.08f, -0.2f, 0.0f));

  // A second 0.05 is again 0.5% of its value on its own, though the
  // accumulated 0.1 is 1%: the count is of updates, not of what accumulates.
  const std::vector<float> second = {0.05f, 0.0f, 0.0f, 0.0f};
  row[0] += second[0];
  filter.Accumulate(0, 0, second, row);
  EXPECT_EQ(filter.counters().updates_scored, 4u);
  EXPECT_EQ(filter.counters().updates_insignificant, 3u);

  // The three-argument form scores nothing.
  values.Update(filter, 0, 0, std::vector<float>{5.0f, 0.0f, 0.0f, 0.0f});
  EXPECT_EQ(filter.counters().updates_scored, 4u);
  EXPECT_EQ(filter.counters().elements_seen, 5u);
}

TEST(SignificanceFilter, RowRelativeSweepSendsTheRowWhole) {
  const std::vector<TableShape> shapes = {{.width = 3, .slots = 1}};
  SignificanceFilter filter(shapes, RowRelativeSignificance(kFloor));
  ValueTables values(shapes, /*initial=*/0.0f);
  // value = acc = (3, 0, 4e-3): ratio 1 for every element.
  values.Update(filter, 0, 0, std::vector<float>{3.0f, 0.0f, 4e-3f});
  std::vector<Sent> sent;
  filter.Sweep(0.5, values.ValueFn(), RecordInto(sent));
  EXPECT_THAT(sent, ElementsAre(Sent{0, 0, 0, 3.0f}, Sent{0, 0, 2, 4e-3f}));
  EXPECT_EQ(filter.dirty_rows(), 0u);
}

// A round emits at most about max_elements per step (whole rows), keeps the
// rest in acc, and covers only the rows dirty when it began.
TEST(SignificanceFilterRounds, StepsEmitBoundedSlicesOfTheRound) {
  const std::vector<TableShape> shapes = {{.width = 2, .slots = 10}};
  SignificanceFilter filter(shapes, AbsoluteSignificance());
  ValueTables values(shapes);
  for (uint64_t slot = 0; slot < 6; ++slot) {
    values.Update(filter, 0, slot, std::vector<float>{1.0f, 1.0f});
  }
  filter.BeginRound(/*flush=*/false);
  EXPECT_TRUE(filter.round_open());
  std::vector<Sent> sent;
  EXPECT_FALSE(filter.ContinueRound(0.5, values.ValueFn(), RecordInto(sent), 3));
  EXPECT_EQ(sent.size(), 4u);  // two whole rows: the step stops after reaching 3
  EXPECT_EQ(filter.dirty_rows(), 4u);  // the two sent rows are clean
  // Updated during the round: slot 0 (already sent) and slot 9 (new) wait
  // for the next round; slot 5 (not yet scored) is sent with its new acc.
  values.Update(filter, 0, 0, std::vector<float>{2.0f, 0.0f});
  values.Update(filter, 0, 9, std::vector<float>{2.0f, 0.0f});
  values.Update(filter, 0, 5, std::vector<float>{1.0f, 0.0f});
  EXPECT_FALSE(filter.ContinueRound(0.5, values.ValueFn(), RecordInto(sent), 3));
  EXPECT_TRUE(filter.ContinueRound(0.5, values.ValueFn(), RecordInto(sent), 3));
  EXPECT_FALSE(filter.round_open());
  EXPECT_EQ(sent.size(), 12u);
  float slot5 = 0;
  for (const Sent& s : sent) slot5 += s.slot == 5 ? s.acc : 0.0f;
  EXPECT_EQ(slot5, 3.0f);
  EXPECT_THAT(filter.Acc(0, 0), ElementsAre(2.0f, 0.0f));
  EXPECT_THAT(filter.Acc(0, 9), ElementsAre(2.0f, 0.0f));
  EXPECT_EQ(filter.dirty_rows(), 2u);
  // The next round sends them.
  sent.clear();
  filter.Sweep(0.5, values.ValueFn(), RecordInto(sent));
  EXPECT_THAT(sent, UnorderedElementsAre(Sent{0, 0, 0, 2.0f}, Sent{0, 9, 0, 2.0f}));
  EXPECT_EQ(filter.dirty_rows(), 0u);
}

// Rows a step scores but keeps (insignificant updates left) stay dirty
// through the round and are scored again by the next one.
TEST(SignificanceFilterRounds, KeptRowsSurviveTheRoundInOrder) {
  const std::vector<TableShape> shapes = {{.width = 2, .slots = 5}};
  SignificanceFilter filter(shapes, AbsoluteSignificance());
  ValueTables values(shapes);
  for (uint64_t slot = 0; slot < 5; ++slot) {
    values.Update(filter, 0, slot, std::vector<float>{1.0f, 0.25f});
  }
  std::vector<Sent> sent;
  filter.BeginRound(false);
  int steps = 0;
  while (!filter.ContinueRound(0.5, values.ValueFn(), RecordInto(sent), 1)) {
    ASSERT_LT(++steps, 10);
    EXPECT_EQ(filter.dirty_rows(), 5u);
    if (steps == 2) values.Update(filter, 0, 4, std::vector<float>{0.0f, 0.125f});  // unscored
  }
  EXPECT_EQ(sent.size(), 5u);  // column 0 of every row
  EXPECT_EQ(filter.dirty_rows(), 5u);
  EXPECT_THAT(filter.Acc(0, 4), ElementsAre(0.0f, 0.375f));
  sent.clear();
  filter.Sweep(0.1, values.ValueFn(), RecordInto(sent));
  EXPECT_EQ(sent.size(), 5u);  // now column 1 of every row
  EXPECT_EQ(filter.dirty_rows(), 0u);
}

// Reopening an open round restarts it over every dirty row; a flush round
// (or a reopen as flush) emits everything, insignificant updates included.
TEST(SignificanceFilterRounds, ReopenAndFlushRounds) {
  const std::vector<TableShape> shapes = {{.width = 1, .slots = 4}};
  SignificanceFilter filter(shapes, AbsoluteSignificance());
  ValueTables values(shapes);
  for (uint64_t slot = 0; slot < 4; ++slot) {
    values.Update(filter, 0, slot, std::vector<float>{slot == 3 ? 0.1f : 1.0f});
  }
  std::vector<Sent> sent;
  filter.BeginRound(false);
  EXPECT_FALSE(filter.ContinueRound(0.5, values.ValueFn(), RecordInto(sent), 1));
  EXPECT_EQ(sent.size(), 1u);
  filter.BeginRound(true);  // e.g. the job ended meanwhile
  EXPECT_TRUE(filter.ContinueRound(0.5, values.ValueFn(), RecordInto(sent), 100));
  EXPECT_EQ(sent.size(), 4u);  // slot 3's 0.1 too
  for (uint64_t slot = 0; slot < 4; ++slot) EXPECT_THAT(filter.Acc(0, slot), ElementsAre(0.0f));
  EXPECT_TRUE(filter.ContinueRound(0.5, values.ValueFn(), RecordInto(sent), 100));  // none open
}

}  // namespace
}  // namespace gaia::significance
