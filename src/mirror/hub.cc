#include "src/mirror/hub.h"

#include <cstring>

#include "src/common/packing.h"

namespace gaia::mirror {

void ForwardThroughHub(const std::vector<Overlay::Forward>& targets, const rpc::MirrorBatch& batch,
                       std::span<const uint32_t> widths, ForwardRowFn row, ForwardClockFn clock) {
  if (targets.empty()) return;
  std::vector<uint32_t> cols;
  std::vector<float> vals;
  for (const rpc::TableDelta& delta : batch.updates()) {
    const uint32_t table = delta.table_id();
    const uint32_t width = widths[table];
    const size_t dense_rows = delta.dense_row_ids().size() / sizeof(uint64_t);
    cols.resize(width);
    for (uint32_t c = 0; c < width; ++c) cols[c] = c;
    vals.resize(width);
    for (size_t r = 0; r < dense_rows; ++r) {
      const uint64_t row_id = common::PackedAt<uint64_t>(delta.dense_row_ids(), r);
      std::memcpy(vals.data(), delta.dense_values().data() + r * width * sizeof(float),
                  width * sizeof(float));
      for (const Overlay::Forward& to : targets) row(to, table, row_id, cols, vals);
    }
    common::ForEachSparseRow(
        delta.sparse_row_ids(), delta.sparse_row_nnz(), delta.sparse_entries(),
        [&](uint64_t row_id, const char* entries, uint32_t count) {
          cols.resize(count);
          vals.resize(count);
          for (uint32_t k = 0; k < count; ++k) {
            const common::SparseEntry entry = common::SparseEntryAt(entries, k);
            cols[k] = entry.col;
            vals[k] = entry.value;
          }
          for (const Overlay::Forward& to : targets) row(to, table, row_id, cols, vals);
        });
  }
  for (const rpc::MirrorClock& c : batch.clocks()) {
    for (const Overlay::Forward& to : targets) {
      if (c.origin_dc() != to.dc) clock(to, c.origin_dc(), c.clock());
    }
  }
}

}  // namespace gaia::mirror
