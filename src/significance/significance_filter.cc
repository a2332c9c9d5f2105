#include "src/significance/significance_filter.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include <Eigen/Core>

namespace gaia::significance {
namespace {

// binary16's smallest normal and largest finite values. Outside them a half
// keeps too few bits (or none) of the value, so it is sent as float32.
constexpr float kHalfMinNormal = 6.103515625e-05f;  // 2^-14
constexpr float kHalfMax = 65504.0f;

// The value a sweep sends for `acc`: the nearest binary16 (ties to even)
// when `half` and acc is in binary16's normal range, else acc itself.
float ValueToSend(float acc, bool half) {
  const float magnitude = std::fabs(acc);
  if (!half || magnitude < kHalfMinNormal || magnitude > kHalfMax) return acc;
  return static_cast<float>(Eigen::half(acc));
}

}  // namespace

SignificanceFilter::SignificanceFilter(std::vector<TableShape> tables,
                                       gaia::SignificanceFn significance,
                                       ValueEmission emission)
    : significance_(std::move(significance)), emission_(emission) {
  tables_.reserve(tables.size());
  for (const TableShape& shape : tables) tables_.emplace_back(shape.width, shape.slots);
}

void SignificanceFilter::Accumulate(uint32_t table_id, uint64_t slot,
                                    std::span<const float> delta) {
  Table& table = tables_[table_id];
  const uint64_t nonzero = table.acc.Add(slot, delta);
  counters_.elements_seen += nonzero;
  if (nonzero != 0 && !table.dirty[slot]) {
    table.dirty[slot] = 1;
    table.dirty_list.push_back(static_cast<uint32_t>(slot));
  }
}

void SignificanceFilter::Accumulate(uint32_t table_id, uint64_t slot,
                                    std::span<const float> delta,
                                    std::span<const float> value_after) {
  const uint32_t width = tables_[table_id].acc.width();
  before_.resize(width);
  scores_.resize(width);
  for (uint32_t i = 0; i < width; ++i) before_[i] = value_after[i] - delta[i];
  significance_(delta, before_, scores_);
  for (uint32_t i = 0; i < width; ++i) {
    if (delta[i] == 0.0f) continue;
    ++counters_.updates_scored;
    counters_.updates_insignificant += scores_[i] <= kStudySignificance;
  }
  Accumulate(table_id, slot, delta);
}

bool SignificanceFilter::SweepTable(uint32_t table_id, double threshold,
                                    const ValueFn& value_of, const EmitFn& emit,
                                    uint64_t max_elements, uint64_t* emitted) {
  Table& table = tables_[table_id];
  const uint32_t width = table.acc.width();
  scores_.resize(width);
  for (; table.next < table.round_end && *emitted < max_elements; ++table.next) {
    const uint64_t slot = table.dirty_list[table.next];
    float* acc = table.acc.Open(slot);
    ++counters_.rows_swept;
    if (threshold >= 0) {
      significance_(std::span<const float>(acc, width), value_of(table_id, slot), scores_);
    }
    cols_.clear();
    vals_.clear();
    bool remaining = false;
    double max_score = threshold < 0 ? std::numeric_limits<double>::infinity() : 0.0;
    for (uint32_t i = 0; i < width; ++i) {
      if (acc[i] == 0.0f) continue;
      if (threshold < 0 || scores_[i] > threshold) {
        cols_.push_back(i);
        if (threshold >= 0) max_score = std::max<double>(max_score, scores_[i]);
      } else {
        remaining = true;
      }
    }
    if (threshold < 0) {
      for (uint32_t c : cols_) vals_.push_back(std::exchange(acc[c], 0.0f));
    } else if (!cols_.empty()) {
      remaining = EmitValues(acc) || remaining;
    }
    if (!cols_.empty()) {
      counters_.elements_sent += cols_.size();
      *emitted += cols_.size();
      emit(SignificantRow{table_id, slot, cols_, vals_, max_score});
    }
    table.acc.Close(slot);
    if (remaining) {
      table.dirty_list[table.kept++] = static_cast<uint32_t>(slot);  // kept <= next
    } else {
      table.dirty[slot] = 0;
    }
  }
  if (table.next < table.round_end) return false;
  // Round done: the kept rows, then those dirtied since it began.
  table.dirty_list.erase(table.dirty_list.begin() + static_cast<ptrdiff_t>(table.kept),
                         table.dirty_list.begin() + static_cast<ptrdiff_t>(table.round_end));
  table.kept = table.next = table.round_end = 0;
  return true;
}

bool SignificanceFilter::EmitValues(float* acc) {
  if (emission_ == ValueEmission::kTernary) {
    float top = 0.0f;
    for (uint32_t c : cols_) top = std::max(top, std::fabs(acc[c]));
    const float scale = RoundToTernaryScale(top);
    if (scale > 0.0f) {
      size_t kept = 0;
      bool left = false;
      for (uint32_t c : cols_) {
        if (2.0f * std::fabs(acc[c]) < scale) {
          left = true;  // waits for a later sweep
          continue;
        }
        const float sent = std::copysign(scale, acc[c]);
        // Exact (Sterbenz: scale / 2 <= |acc| <= 2 scale).
        acc[c] -= sent;
        left = left || acc[c] != 0.0f;
        cols_[kept++] = c;
        vals_.push_back(sent);
      }
      cols_.resize(kept);  // the largest is always sent
      return left;
    }
  }
  const bool half = emission_ != ValueEmission::kExact;
  for (uint32_t c : cols_) {
    const float sent = ValueToSend(acc[c], half);
    // Exact (Sterbenz): what is left is the rounding error, if any. It does
    // not keep the row dirty; the next update or Flush sends it.
    acc[c] -= sent;
    vals_.push_back(sent);
  }
  return false;
}

void SignificanceFilter::BeginRound(bool flush) {
  round_flush_ = flush || (round_open_ && round_flush_);
  round_open_ = true;
  for (Table& table : tables_) {
    if (round_flush_ && emission_ == ValueEmission::kHalf) {
      // Rows holding only rounding residuals are not on the dirty list.
      const uint64_t slots = table.dirty.size();
      for (uint64_t slot = 0; slot < slots; ++slot) {
        if (table.dirty[slot] || !table.acc.AnyNonzero(slot)) continue;
        table.dirty[slot] = 1;
        table.dirty_list.push_back(static_cast<uint32_t>(slot));
      }
    }
    // Reopening: drop the free slots of the round so far; everything on the
    // list is in the new round.
    table.dirty_list.erase(table.dirty_list.begin() + static_cast<ptrdiff_t>(table.kept),
                           table.dirty_list.begin() + static_cast<ptrdiff_t>(table.next));
    table.kept = table.next = 0;
    table.round_end = table.dirty_list.size();
  }
}

bool SignificanceFilter::ContinueRound(double threshold, const ValueFn& value_of,
                                       const EmitFn& emit, uint64_t max_elements) {
  if (!round_open_) return true;
  const double bar = round_flush_ ? -1.0 : std::max(threshold, 0.0);
  uint64_t emitted = 0;
  for (uint32_t t = 0; t < tables_.size(); ++t) {
    if (!SweepTable(t, bar, value_of, emit, max_elements, &emitted)) return false;
  }
  round_open_ = false;
  round_flush_ = false;
  return true;
}

void SignificanceFilter::Sweep(double threshold, const ValueFn& value_of, const EmitFn& emit) {
  round_open_ = false;
  BeginRound(/*flush=*/false);
  ContinueRound(threshold, value_of, emit, std::numeric_limits<uint64_t>::max());
}

void SignificanceFilter::Flush(const ValueFn& value_of, const EmitFn& emit) {
  BeginRound(/*flush=*/true);
  ContinueRound(0, value_of, emit, std::numeric_limits<uint64_t>::max());
}

uint64_t SignificanceFilter::dirty_rows() const {
  uint64_t n = 0;
  for (const Table& table : tables_) n += table.dirty_list.size() - (table.next - table.kept);
  return n;
}

std::vector<float> SignificanceFilter::Acc(uint32_t table_id, uint64_t slot) const {
  return tables_[table_id].acc.Copy(slot);
}

}  // namespace gaia::significance
