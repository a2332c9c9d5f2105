#include "src/mirror/selective_barrier.h"

#include <algorithm>
#include <utility>

#include "src/mirror/delta_encoding.h"

namespace gaia::mirror {

bool SelectiveBarrier::Due(uint64_t backlog_bytes, double bytes_per_s) const {
  if (bytes_per_s <= 0) return false;  // not measured yet
  const double backlog_s = static_cast<double>(backlog_bytes) / bytes_per_s;
  return backlog_s * 1000.0 > backlog_ms_;
}

std::vector<rpc::AspBarrier> SelectiveBarrier::Check(uint64_t backlog_bytes, double bytes_per_s,
                                                     Outbox& outbox) {
  std::vector<rpc::AspBarrier> barriers;
  if (fresh_.empty()) return barriers;
  std::vector<std::pair<uint32_t, uint64_t>> fresh = std::move(fresh_);
  fresh_.clear();
  if (!Due(backlog_bytes, bytes_per_s)) return barriers;
  std::sort(fresh.begin(), fresh.end());
  fresh.erase(std::unique(fresh.begin(), fresh.end()), fresh.end());
  std::vector<uint64_t> rows;
  for (size_t i = 0; i < fresh.size();) {
    const uint32_t table = fresh[i].first;
    rows.clear();
    for (; i < fresh.size() && fresh[i].first == table; ++i) rows.push_back(fresh[i].second);
    RowIdList list = EncodeAscendingRows(rows);
    rpc::AspBarrier barrier;
    barrier.set_barrier_id(outbox.NextBarrierId());
    barrier.set_table_id(table);
    barrier.set_varint_row_ids(!list.bitmap);
    barrier.set_row_bitmap(list.bitmap);
    barrier.set_row_base(list.base);
    barrier.set_row_ids(std::move(list.bytes));
    barriers.push_back(std::move(barrier));
  }
  return barriers;
}

void LinkBandwidth::OnAcked(uint64_t bytes, absl::Time now) {
  const double dt = absl::ToDoubleSeconds(now - busy_since_);
  if (dt > 1e-4) {
    const double sample = static_cast<double>(bytes) / dt;
    bytes_per_s_ = bytes_per_s_ <= 0 ? sample
                                     : (1 - kSmoothing) * bytes_per_s_ + kSmoothing * sample;
  }
  busy_since_ = now;
}

}  // namespace gaia::mirror
