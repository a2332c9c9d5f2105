// A read-only view of a shard's tables for the ASP mirror (DESIGN.md §4.2):
// their layout, and the values of the rows the shard owns. Rows are
// addressed by (table, slot), the slot being the row's dense index among the
// shard's own rows (the significance filter keeps its accumulators by slot).
//
// The layout (every method but Values) is constant: callable from any thread
// without a lock. Values change under the shard's lock, so they may be read
// only while it is held: inside an UpdateSink call or a function given to
// MirrorTarget::RunWithStoreLocked (src/server/mirror_target.h).
#ifndef GAIA_SRC_SERVER_STORE_VIEW_H_
#define GAIA_SRC_SERVER_STORE_VIEW_H_

#include <cstdint>
#include <span>

namespace gaia::server {

class StoreView {
 public:
  static constexpr uint64_t kNoSlot = ~uint64_t{0};

  virtual ~StoreView() = default;

  virtual uint32_t num_tables() const = 0;
  // Floats per row. REQUIRES (all below): table < num_tables().
  virtual uint32_t width(uint32_t table) const = 0;
  // Rows of `table` this shard owns: slots are [0, owned_rows).
  virtual uint64_t owned_rows(uint32_t table) const = 0;
  // Whether this shard owns `row` (a barrier may name only owned rows).
  virtual bool Owns(uint32_t table, uint64_t row) const = 0;
  // The slot of an owned row, kNoSlot for any other row.
  virtual uint64_t SlotOf(uint32_t table, uint64_t row) const = 0;
  // The row id held in `slot`. REQUIRES: slot < owned_rows(table).
  virtual uint64_t RowAt(uint32_t table, uint64_t slot) const = 0;

  // The row's current values (width floats). REQUIRES: slot <
  // owned_rows(table), and the shard's lock held (see above).
  virtual std::span<const float> Values(uint32_t table, uint64_t slot) const = 0;
};

}  // namespace gaia::server

#endif  // GAIA_SRC_SERVER_STORE_VIEW_H_
