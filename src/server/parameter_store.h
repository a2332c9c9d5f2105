// The rows of every table that one shard owns: dense float32 rows, one
// contiguous arena per table, and a row id -> slot index. A shard that is
// its DC's only shard owns every row, and the slot is the row id: no index
// at all. Otherwise the index is a dense array (row id -> slot, 4 bytes per
// row of the whole table) when that is no larger than a hash map of the owned
// rows would be, else a hash map; a dense lookup is one load, which matters
// for narrow rows (width 1 reads and pushes are dominated by it).
//
//   absl::StatusOr<std::unique_ptr<ParameterStore>> store =
//       ParameterStore::Create(tables, /*partition_index=*/0, /*partition_size=*/2);
//   if (absl::Status s = (*store)->ValidatePush(batch); !s.ok()) { ... reject ... }
//
// Thread-safety: the table layout (specs, owned rows, index) is constant after
// Create(), so Owns(), Validate*() and the accessors of that layout may be
// called concurrently with anything. Row values are not synchronized: callers
// serialize MutableRow() writers against readers (ShardCore holds its lock).
#ifndef GAIA_SRC_SERVER_PARAMETER_STORE_H_
#define GAIA_SRC_SERVER_PARAMETER_STORE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/gaia.pb.h"
#include "src/server/packed_values.h"
#include "src/common/job_spec.h"

namespace gaia::server {

// One PackedValues per delta of `batch`, over the deltas' own dense_values:
// for a batch whose values are all in the message. They point into `batch`.
std::vector<PackedValues> DenseValuesOf(const rpc::PushBatch& batch);

class ParameterStore {
 public:
  // Allocates the rows r of each table with
  // common::ShardOf(table_id, r, partition_size) == partition_index and fills
  // them with common::InitializeRow. INVALID_ARGUMENT for a bad partition or
  // an empty/oversized table or more than kMaxRowsPerShard rows of a table
  // on this shard, RESOURCE_EXHAUSTED if memory runs out.
  static absl::StatusOr<std::unique_ptr<ParameterStore>> Create(
      std::vector<common::TableSpec> tables, uint32_t partition_index, uint32_t partition_size);

  ParameterStore(const ParameterStore&) = delete;
  ParameterStore& operator=(const ParameterStore&) = delete;

  uint32_t num_tables() const { return static_cast<uint32_t>(tables_.size()); }
  // REQUIRES: table_id < num_tables().
  const common::TableSpec& spec(uint32_t table_id) const { return tables_[table_id].spec; }
  uint32_t width(uint32_t table_id) const { return tables_[table_id].spec.width; }
  uint32_t partition_index() const { return partition_index_; }
  uint32_t partition_size() const { return partition_size_; }

  // True iff table_id exists, row < its row count and this shard owns it.
  bool Owns(uint32_t table_id, uint64_t row) const;

  // Owns() when the table has a dense index (one load); otherwise false
  // (the caller then falls back to the full check). REQUIRES: table_id valid.
  bool OwnsFast(uint32_t table_id, uint64_t row) const {
    const Table& table = tables_[table_id];
    if (table.owns_all) return row < table.spec.rows;
    return row < table.dense.size() && table.dense[row] != kNoDenseSlot;
  }

  // The most rows of one table a shard holds (slots fit in 32 bits, which
  // the significance filter's dirty lists rely on).
  static constexpr uint64_t kMaxRowsPerShard = uint64_t{0xFFFFFFFF} - 1;

  // Rows this shard holds in all tables, and the bytes of their values.
  uint64_t rows_owned() const;
  uint64_t table_bytes() const;

  // Whole-message validation, done before anything is applied so a bad
  // message changes nothing. NOT_FOUND: unknown table, or row not owned by
  // this shard. INVALID_ARGUMENT: row id out of range, a packed field whose
  // size is not a multiple of its element, a count mismatch between fields,
  // a sparse column >= width. Messages name the table, row and field.
  // values[i] holds batch.tables(i)'s dense values (the deltas' own
  // dense_values fields are ignored); the one-argument form takes them from
  // the deltas (DenseValuesOf).
  absl::Status ValidatePush(const rpc::PushBatch& batch,
                            std::span<const PackedValues> values) const;
  absl::Status ValidatePush(const rpc::PushBatch& batch) const;
  absl::Status ValidateTableDelta(const rpc::TableDelta& delta) const;
  // With the dense values (dense_value_bytes of them) held elsewhere.
  absl::Status ValidateTableDelta(const rpc::TableDelta& delta, size_t dense_value_bytes) const;
  absl::Status ValidateRead(const rpc::ReadRequest& request) const;
  // For a counts table (TableSpec::counts; OK for any other): every value of
  // a delta that passed ValidateTableDelta is a whole number within
  // +-common::kMaxCount. Part of ValidatePush and of the one-argument
  // ValidateTableDelta.
  absl::Status ValidateCounts(const rpc::TableDelta& delta, const PackedValues& values) const;
  // For the counts tables of a validated push (values as in ValidatePush):
  // adding it to the stored rows keeps every element within
  // +-common::kMaxCount, an element the push names twice counted with its
  // sum. Reads row values: the caller holds what serializes writers
  // (ShardCore's lock).
  absl::Status CheckCountsAfterAdd(const rpc::PushBatch& batch,
                                   std::span<const PackedValues> values) const;

  // Values of an owned row (width floats); empty span if not owned.
  std::span<const float> Row(uint32_t table_id, uint64_t row) const;
  std::span<float> MutableRow(uint32_t table_id, uint64_t row);

  // The slot of an owned row (its index in the table's arena), or kNoSlot.
  static constexpr uint64_t kNoSlot = ~uint64_t{0};
  uint64_t SlotOf(uint32_t table_id, uint64_t row) const {
    return tables_[table_id].SlotOf(row);
  }
  // The values of slot `slot`. REQUIRES: slot < owned rows of the table.
  float* SlotData(uint32_t table_id, uint64_t slot) {
    return tables_[table_id].values.data() + slot * tables_[table_id].spec.width;
  }
  const float* SlotData(uint32_t table_id, uint64_t slot) const {
    return tables_[table_id].values.data() + slot * tables_[table_id].spec.width;
  }
  // The row id held in `slot`. REQUIRES: slot < owned_rows(table_id).
  uint64_t RowAt(uint32_t table_id, uint64_t slot) const { return tables_[table_id].RowAt(slot); }
  // Rows this shard owns in one table. REQUIRES: table_id < num_tables().
  uint64_t owned_rows(uint32_t table_id) const { return tables_[table_id].owned(); }

  // Adds a validated delta into the table at once (dense and sparse parts).
  // Returns the number of row deltas it held.
  // REQUIRES: ValidateTableDelta(delta).ok().
  uint64_t AddDelta(const rpc::TableDelta& delta);
  // With the dense values in `values` (delta's own are ignored).
  uint64_t AddDelta(const rpc::TableDelta& delta, const PackedValues& values);

  // Appends the values of the packed uint64 `row_ids`, in order, to `out`
  // (one reservation, one copy per row). REQUIRES: every row passed Owns().
  void ReadRows(uint32_t table_id, const std::string& row_ids, std::string* out) const;

  // Owned rows of the table in ascending row order, from the first-th on,
  // at most max_rows of them (0: all), and their values.
  // REQUIRES: table_id < num_tables().
  void Dump(uint32_t table_id, std::string* row_ids, std::string* values, uint64_t first = 0,
            uint64_t max_rows = 0) const;

 private:
  static constexpr uint32_t kNoDenseSlot = ~uint32_t{0};
  struct Table {
    common::TableSpec spec;
    // The shard owns every row (partition_size 1): slot == row id, and
    // `rows`, `dense` and `slots` stay empty.
    bool owns_all = false;
    std::vector<uint64_t> rows;  // owned rows, ascending; slot = index
    // row id -> slot: `dense` (size spec.rows, kNoDenseSlot if not owned)
    // when chosen, else `slots`. Exactly one of them is filled.
    std::vector<uint32_t> dense;
    absl::flat_hash_map<uint64_t, uint64_t> slots;
    std::vector<float> values;  // owned() * width, row-major

    uint64_t owned() const { return owns_all ? spec.rows : rows.size(); }
    uint64_t RowAt(uint64_t slot) const { return owns_all ? slot : rows[slot]; }
    uint64_t SlotOf(uint64_t row) const {
      if (owns_all) return row < spec.rows ? row : kNoSlot;
      if (!dense.empty()) {
        if (row >= dense.size() || dense[row] == kNoDenseSlot) return kNoSlot;
        return dense[row];
      }
      return HashedSlotOf(row);
    }
    // The hash index's lookup, out of line so SlotOf inlines.
    uint64_t HashedSlotOf(uint64_t row) const;
  };

  ParameterStore(uint32_t partition_index, uint32_t partition_size)
      : partition_index_(partition_index), partition_size_(partition_size) {}

  const uint32_t partition_index_;
  const uint32_t partition_size_;
  // Layout constant after Create(); `values` are written through MutableRow().
  std::vector<Table> tables_;
};

}  // namespace gaia::server

#endif  // GAIA_SRC_SERVER_PARAMETER_STORE_H_
