#include "src/mirror/selective_barrier.h"

#include <algorithm>
#include <utility>

#include "src/mirror/delta_encoding.h"

namespace gaia::mirror {

bool SelectiveBarrier::Due(uint64_t backlog_bytes, const LinkCapacity& capacity) const {
  if (backlog_ms_ <= 0) return backlog_bytes > 0;  // any backlog is too long
  return capacity.measured() && capacity.DrainMs(backlog_bytes) > backlog_ms_;
}

std::vector<rpc::AspBarrier> SelectiveBarrier::Check(uint64_t backlog_bytes,
                                                     const LinkCapacity& capacity,
                                                     Outbox& outbox) {
  std::vector<rpc::AspBarrier> barriers;
  if (fresh_.empty()) return barriers;
  std::vector<std::pair<uint32_t, uint64_t>> fresh = std::move(fresh_);
  fresh_.clear();
  if (!Due(backlog_bytes, capacity)) return barriers;
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

}  // namespace gaia::mirror
