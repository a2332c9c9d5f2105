#include "src/mirror/asp_gate.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace gaia::mirror {

AspGate::AspGate(uint32_t self, uint32_t num_dcs, int32_t ds, bool barriers)
    : self_(self),
      ds_(ds),
      barriers_(barriers),
      peers_(num_dcs),
      mirror_clocks_(num_dcs, 0),
      barrier_blocked_s_(num_dcs, 0.0),
      clock_stall_s_(num_dcs, 0.0) {}

server::ReadGate::Hold AspGate::Check(uint32_t table_id, std::string_view packed_row_ids,
                                      int64_t shard_clock) const {
  common::ReaderMutexLock lock(&mu_);
  // The mirror clock every other DC must have reached for this read. DS
  // bound: reads stop once shard_clock - mirror_clock reaches ds (thesis
  // §5.2.4); with ds_ >= 1 and shard_clock >= 0 this cannot overflow. The
  // start line alone (gaia_async): lockstep for the first clock only.
  const int64_t needed = ds_ < 0 ? std::min<int64_t>(shard_clock, 1) : shard_clock - (ds_ - 1);
  for (uint32_t dc = 0; dc < mirror_clocks_.size(); ++dc) {
    if (dc != self_ && mirror_clocks_[dc] < needed) return Hold{Hold::kClock, dc};
  }
  if (blocked_.empty()) return {};
  const size_t n = packed_row_ids.size() / sizeof(uint64_t);
  for (size_t i = 0; i < n; ++i) {
    uint64_t row;
    std::memcpy(&row, packed_row_ids.data() + i * sizeof(uint64_t), sizeof(row));
    auto it = blocked_.find(RowKey{table_id, row});
    if (it != blocked_.end()) return Hold{Hold::kBarrier, it->second.peer};
  }
  return {};
}

void AspGate::ReadReleased(const Hold& hold, double waited_s) {
  common::MutexLock lock(&mu_);
  if (hold.peer >= mirror_clocks_.size()) return;
  if (hold.kind == Hold::kBarrier) barrier_blocked_s_[hold.peer] += waited_s;
  if (hold.kind == Hold::kClock) clock_stall_s_[hold.peer] += waited_s;
}

bool AspGate::AddBarrier(uint32_t from, const rpc::AspBarrier& barrier) {
  if (!barriers_) return false;
  common::MutexLock lock(&mu_);
  PeerBarriers& peer = peers_[from];
  if (barrier.barrier_id() <= peer.released_through) return false;
  std::vector<RowKey>& rows = peer.pending[barrier.barrier_id()];
  const size_t n = barrier.row_ids().size() / sizeof(uint64_t);
  for (size_t i = 0; i < n; ++i) {
    uint64_t row;
    std::memcpy(&row, barrier.row_ids().data() + i * sizeof(uint64_t), sizeof(row));
    const RowKey key{barrier.table_id(), row};
    rows.push_back(key);
    Blocked& blocked = blocked_[key];
    ++blocked.count;
    blocked.peer = from;
  }
  return true;
}

uint64_t AspGate::ReleaseBarriers(uint32_t from, uint64_t through) {
  common::MutexLock lock(&mu_);
  PeerBarriers& peer = peers_[from];
  if (through <= peer.released_through) return 0;
  peer.released_through = through;
  uint64_t released = 0;
  while (!peer.pending.empty() && peer.pending.begin()->first <= through) {
    released += UnblockLocked(peer.pending.begin()->second);
    peer.pending.erase(peer.pending.begin());
  }
  return released;
}

uint64_t AspGate::ForgetBarriers(uint32_t from) {
  common::MutexLock lock(&mu_);
  if (from >= peers_.size()) return 0;
  PeerBarriers& peer = peers_[from];
  uint64_t released = 0;
  for (const auto& [id, rows] : peer.pending) released += UnblockLocked(rows);
  peer = PeerBarriers();
  return released;
}

uint64_t AspGate::UnblockLocked(const std::vector<RowKey>& rows) {
  uint64_t unblocked = 0;
  for (const RowKey& key : rows) {
    auto it = blocked_.find(key);
    if (it == blocked_.end()) continue;
    if (--it->second.count == 0) {
      blocked_.erase(it);
      ++unblocked;
    }
  }
  return unblocked;
}

void AspGate::SetMirrorClock(uint32_t origin, int64_t clock) {
  common::MutexLock lock(&mu_);
  if (origin < mirror_clocks_.size() && clock > mirror_clocks_[origin]) {
    mirror_clocks_[origin] = clock;
  }
}

int64_t AspGate::mirror_clock(uint32_t origin) const {
  common::ReaderMutexLock lock(&mu_);
  return origin < mirror_clocks_.size() ? mirror_clocks_[origin] : 0;
}

uint64_t AspGate::blocked_rows() const {
  common::ReaderMutexLock lock(&mu_);
  return blocked_.size();
}

double AspGate::barrier_blocked_s(uint32_t dc) const {
  common::ReaderMutexLock lock(&mu_);
  return dc < barrier_blocked_s_.size() ? barrier_blocked_s_[dc] : 0.0;
}

double AspGate::clock_stall_s(uint32_t dc) const {
  common::ReaderMutexLock lock(&mu_);
  return dc < clock_stall_s_.size() ? clock_stall_s_[dc] : 0.0;
}

}  // namespace gaia::mirror
