// The significance filter (DESIGN.md §4.2.1): per-element accumulators of the
// local updates not yet sent to other DCs, and the sweep that picks the
// significant ones.
//
// Rows are addressed by (table, slot): a slot is a dense row index the owner
// chooses (the shard's ParameterStore slot). The filter keeps `acc` for
// every row (src/significance/accumulator_table.h: dense for narrow tables,
// only the nonzero columns of a wide table's sparse rows) and a list of dirty
// slots (updated since last sent), so a sweep costs O(rows updated since they
// were last sent), not O(table).
//
//   SignificanceFilter filter({{.width = 16, .slots = 1000}}, RelativeSignificance(1e-3));
//   filter.Accumulate(0, slot, delta);              // value += delta was done by the caller
//   filter.Sweep(threshold, value_of, [&](const SignificantRow& row) { queue(row); });
//   filter.Flush(value_of, emit);                    // end of job: send everything
//
// Rounds (bounded emission): Sweep and Flush are one round each. An owner
// that must bound what it holds outside the filter opens a round and
// continues it in steps of at most `max_elements` emitted elements; the rows
// not yet scored keep their updates in `acc`, where later updates coalesce
// into them, until the next step:
//
//   filter.BeginRound(/*flush=*/false);             // the rows dirty now
//   while (!filter.ContinueRound(threshold, value_of, emit, 1 << 20)) drain();
//
// Rows dirtied after BeginRound belong to the next round.
//
// Value emission (src/significance/emission.h): a sweep sends each
// significant acc exactly (kExact), rounded to the nearest IEEE binary16
// (kHalf), or per row as +-scale (kTernary), and keeps what it did not send in
// `acc` (error feedback), so nothing is lost, only delayed. A half's residual
// is at most 2^-11 of what was sent, far below any threshold: it does not
// keep the row dirty and goes out with the element's next significant update
// or with the flush. A ternary remainder keeps its row dirty, so the next
// sweep scores it again. Values outside binary16's normal range are emitted
// exactly; a row whose largest significant |acc| is not within the ternary
// scales' range is emitted as with kHalf. Flush always emits exact float32
// sums, so copies agree after a flush.
//
// Not thread-safe: the owner serializes every call (the mirror's sender
// lock, src/mirror/mirror_sender.h). The ValueFn passed to Sweep, Flush and
// ContinueRound reads the table's values, so those run while the owner also
// holds whatever guards the values (the shard's lock: the mirror runs them
// inside server::MirrorTarget::RunWithStoreLocked or an UpdateSink call).
#ifndef GAIA_SRC_SIGNIFICANCE_SIGNIFICANCE_FILTER_H_
#define GAIA_SRC_SIGNIFICANCE_SIGNIFICANCE_FILTER_H_

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "gaia/significance.h"
#include "src/significance/accumulator_table.h"
#include "src/significance/emission.h"

namespace gaia::significance {

struct TableShape {
  uint32_t width = 1;  // floats per row, > 0
  uint64_t slots = 0;  // rows this owner holds, < 2^32
};

// One row's elements leaving the filter: acc values of columns `cols`.
struct SignificantRow {
  uint32_t table = 0;
  uint64_t slot = 0;
  std::span<const uint32_t> cols;
  std::span<const float> acc;
  // The largest significance among cols (+infinity in a flush): the mirror
  // tells updates above the hard threshold from those between the soft and
  // hard ones by it.
  double max_score = 0;
};

// The bar of the thesis's study of updates (§5.2.3, Fig. 5.4): an update
// that changes its parameter by at most 1% is insignificant.
inline constexpr double kStudySignificance = 0.01;

struct FilterCounters {
  uint64_t elements_seen = 0;   // nonzero elements accumulated
  uint64_t elements_sent = 0;   // elements emitted by sweeps and flushes
  uint64_t rows_swept = 0;      // dirty rows scored
  // Of the nonzero elements accumulated with their row's value (the
  // four-argument Accumulate), how many and how many of them scored at most
  // kStudySignificance on their own, against the value before the update:
  // the thesis's "insignificant updates", before any accumulation.
  uint64_t updates_scored = 0;
  uint64_t updates_insignificant = 0;
};

class SignificanceFilter {
 public:
  // The row's current values (including its acc), width floats.
  using ValueFn = std::function<std::span<const float>(uint32_t table, uint64_t slot)>;
  using EmitFn = std::function<void(const SignificantRow&)>;

  SignificanceFilter(std::vector<TableShape> tables, gaia::SignificanceFn significance,
                     ValueEmission emission = ValueEmission::kExact);

  // acc += delta for the row. REQUIRES: table and slot in range,
  // delta.size() == width.
  void Accumulate(uint32_t table, uint64_t slot, std::span<const float> delta);
  // The same, and scores the update itself against the row's value before it
  // (`value_after` - delta) for the updates_* counters. REQUIRES:
  // value_after.size() == width.
  void Accumulate(uint32_t table, uint64_t slot, std::span<const float> delta,
                  std::span<const float> value_after);

  // Scores every dirty row; elements with significance > threshold are
  // emitted (one call per row, columns ascending) and their acc set to 0.
  // One whole round (closes a round still open).
  void Sweep(double threshold, const ValueFn& value_of, const EmitFn& emit);

  // Emits every nonzero acc regardless of significance (residuals of
  // half-precision sweeps included) and clears them all. With kHalf it scans
  // every row.
  // One whole round (closes a round still open).
  void Flush(const ValueFn& value_of, const EmitFn& emit);

  // Opens a round over the rows dirty now; a flush round emits every nonzero
  // acc (and with kHalf first scans every row for rounding residuals). Opening a
  // round while one is open restarts it over all dirty rows, a flush if
  // either is.
  void BeginRound(bool flush);
  // Scores rows of the open round until at least `max_elements` elements
  // were emitted by this call (a row is never split) or the round is done.
  // Returns true when the round is done (or none was open).
  bool ContinueRound(double threshold, const ValueFn& value_of, const EmitFn& emit,
                     uint64_t max_elements);
  bool round_open() const { return round_open_; }

  // Rows updated since they were last swept clean. A row whose acc cancelled
  // to exactly 0 counts until the next Sweep/Flush (which skips it).
  uint64_t dirty_rows() const;
  const FilterCounters& counters() const { return counters_; }

  // The accumulated update of a row (for tests and invariant checks).
  std::vector<float> Acc(uint32_t table, uint64_t slot) const;

 private:
  struct Table {
    Table(uint32_t width, uint64_t slots) : acc(width, slots), dirty(slots, 0) {}
    AccumulatorTable acc;
    std::vector<uint8_t> dirty;   // per slot
    std::vector<uint32_t> dirty_list;  // slots (< 2^32: TableShape)
    // The open round: dirty_list[next, round_end) is still to be scored;
    // dirty_list[0, kept) are its scored rows that still have insignificant
    // updates (written back in place), [kept, next) free slots, and
    // [round_end, end) rows dirtied since the round began.
    size_t kept = 0;
    size_t next = 0;
    size_t round_end = 0;
  };
  // Scores the table's unswept rows until *emitted reaches max_elements;
  // threshold < 0 emits every nonzero element exactly. True when none is
  // left.
  bool SweepTable(uint32_t table_id, double threshold, const ValueFn& value_of,
                  const EmitFn& emit, uint64_t max_elements, uint64_t* emitted);

  const gaia::SignificanceFn significance_;
  // Picks the row's elements to send among the significant ones (cols_) and
  // sets vals_ to what is sent; returns true when some acc is left nonzero
  // that must keep the row dirty.
  bool EmitValues(float* acc);

  const ValueEmission emission_;
  std::vector<Table> tables_;
  FilterCounters counters_;
  bool round_open_ = false;
  bool round_flush_ = false;
  // Scratch reused by sweeps.
  std::vector<float> scores_;
  std::vector<uint32_t> cols_;
  std::vector<float> vals_;
  std::vector<float> before_;
};

}  // namespace gaia::significance

#endif  // GAIA_SRC_SIGNIFICANCE_SIGNIFICANCE_FILTER_H_
