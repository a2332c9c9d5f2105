#include "src/server/parameter_store.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "src/common/initializer.h"
#include "src/common/packing.h"
#include "src/common/partition.h"

namespace gaia::server {
namespace {

using common::PackedAt;

// Checks one packed row id of `field` (a uint64 array) of table `table_id`.
absl::Status CheckRow(const ParameterStore& store, uint32_t table_id, uint64_t row,
                      const char* field) {
  const uint64_t num_rows = store.spec(table_id).rows;
  if (row >= num_rows) {
    return absl::InvalidArgumentError(absl::StrCat("table ", table_id, " ", field, ": row ", row,
                                                   " out of range [0, ", num_rows, ")"));
  }
  if (common::ShardOf(table_id, row, store.partition_size()) != store.partition_index()) {
    return absl::NotFoundError(absl::StrCat("table ", table_id, " ", field, ": row ", row,
                                            " is not owned by shard ", store.partition_index(),
                                            " of ", store.partition_size()));
  }
  return absl::OkStatus();
}

// CheckRow for a whole packed array; the common all-owned case costs one
// index load per row when the table has a dense index.
absl::Status CheckRows(const ParameterStore& store, uint32_t table_id, const std::string& ids,
                       const char* field) {
  const uint64_t n = ids.size() / sizeof(uint64_t);
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t row = PackedAt<uint64_t>(ids, i);
    if (store.OwnsFast(table_id, row)) continue;
    if (absl::Status s = CheckRow(store, table_id, row, field); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status SizeError(uint32_t table_id, const char* field, size_t bytes, const char* what) {
  return absl::InvalidArgumentError(
      absl::StrCat("table ", table_id, " ", field, ": ", bytes, " bytes ", what));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ParameterStore>> ParameterStore::Create(
    std::vector<common::TableSpec> tables, uint32_t partition_index, uint32_t partition_size) {
  if (partition_size == 0 || partition_index >= partition_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "partition_index ", partition_index, " not in [0, partition_size ", partition_size, ")"));
  }
  if (tables.empty()) return absl::InvalidArgumentError("tables: at least one table is required");
  for (size_t t = 0; t < tables.size(); ++t) {
    const common::TableSpec& spec = tables[t];
    if (spec.rows == 0 || spec.width == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("table ", t, " (", spec.name, "): rows and width must be > 0"));
    }
    if (spec.rows > std::numeric_limits<uint64_t>::max() / sizeof(float) / spec.width) {
      return absl::InvalidArgumentError(
          absl::StrCat("table ", t, " (", spec.name, "): rows * width overflows"));
    }
  }
  if (tables.size() > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError("too many tables");
  }

  std::unique_ptr<ParameterStore> store(new ParameterStore(partition_index, partition_size));
  try {
    store->tables_.resize(tables.size());
    for (uint32_t t = 0; t < tables.size(); ++t) {
      Table& table = store->tables_[t];
      table.spec = std::move(tables[t]);
      table.owns_all = partition_size == 1;
      if (!table.owns_all) {
        for (uint64_t r = 0; r < table.spec.rows; ++r) {
          if (common::ShardOf(t, r, partition_size) == partition_index) table.rows.push_back(r);
        }
        table.rows.shrink_to_fit();
      }
      if (table.owned() > kMaxRowsPerShard) {
        return absl::InvalidArgumentError(absl::StrCat(
            "table ", t, " (", table.spec.name, "): shard ", partition_index, " of ",
            partition_size, " would hold ", table.owned(), " rows; a shard holds at most ",
            kMaxRowsPerShard, " rows of a table (use more shards)"));
      }
      // A hash map costs ~20-40 bytes per owned row; the dense array 4 bytes
      // per row of the whole table (partition_size rows per owned row).
      const bool dense = !table.owns_all && table.spec.rows <= table.rows.size() * 8;
      if (dense) {
        table.dense.assign(table.spec.rows, kNoDenseSlot);
      } else if (!table.owns_all) {
        table.slots.reserve(table.rows.size());
      }
      const uint32_t width = table.spec.width;
      const uint64_t owned = table.owned();
      table.values.resize(owned * width);
      for (uint64_t slot = 0; slot < owned; ++slot) {
        const uint64_t row = table.RowAt(slot);
        if (dense) {
          table.dense[row] = static_cast<uint32_t>(slot);
        } else if (!table.owns_all) {
          table.slots.emplace(row, slot);
        }
        common::InitializeRow(table.spec, t, row,
                              std::span<float>(table.values.data() + slot * width, width));
      }
    }
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(absl::StrCat("not enough memory for the tables of shard ",
                                                     partition_index, " of ", partition_size));
  } catch (const std::length_error&) {
    return absl::ResourceExhaustedError(
        absl::StrCat("tables of shard ", partition_index, " exceed the addressable size"));
  }
  return store;
}

uint64_t ParameterStore::Table::HashedSlotOf(uint64_t row) const {
  auto it = slots.find(row);
  return it == slots.end() ? kNoSlot : it->second;
}

bool ParameterStore::Owns(uint32_t table_id, uint64_t row) const {
  return table_id < tables_.size() && row < tables_[table_id].spec.rows &&
         common::ShardOf(table_id, row, partition_size_) == partition_index_;
}

uint64_t ParameterStore::rows_owned() const {
  uint64_t n = 0;
  for (const Table& table : tables_) n += table.owned();
  return n;
}

uint64_t ParameterStore::table_bytes() const {
  uint64_t n = 0;
  for (const Table& table : tables_) n += table.values.size() * sizeof(float);
  return n;
}

std::vector<PackedValues> DenseValuesOf(const rpc::PushBatch& batch) {
  std::vector<PackedValues> values;
  values.reserve(batch.tables_size());
  for (const rpc::TableDelta& delta : batch.tables()) values.emplace_back(delta.dense_values());
  return values;
}

absl::Status ParameterStore::ValidatePush(const rpc::PushBatch& batch) const {
  return ValidatePush(batch, DenseValuesOf(batch));
}

absl::Status ParameterStore::ValidatePush(const rpc::PushBatch& batch,
                                          std::span<const PackedValues> values) const {
  if (values.size() != static_cast<size_t>(batch.tables_size())) {
    return absl::InternalError(absl::StrCat("push with ", batch.tables_size(), " tables but ",
                                            values.size(), " value lists"));
  }
  if (batch.clock() < 0) {
    return absl::InvalidArgumentError(absl::StrCat("push clock ", batch.clock(), " < 0"));
  }
  for (int i = 0; i < batch.tables_size(); ++i) {
    if (absl::Status s = ValidateTableDelta(batch.tables(i), values[i].size()); !s.ok()) return s;
    if (absl::Status s = ValidateCounts(batch.tables(i), values[i]); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ParameterStore::ValidateTableDelta(const rpc::TableDelta& delta) const {
  if (absl::Status s = ValidateTableDelta(delta, delta.dense_values().size()); !s.ok()) return s;
  return ValidateCounts(delta, PackedValues(delta.dense_values()));
}

namespace {

// Why `v` cannot be added to a counts table, or "" when it can.
std::string CountDeltaError(float v) {
  if (!(std::abs(v) <= common::kMaxCount)) {
    return absl::StrCat(v, " is beyond +-", common::kMaxCount, " (or not a number)");
  }
  if (v != std::nearbyint(v)) return absl::StrCat(v, " is not a whole number");
  return "";
}

absl::Status CountError(const common::TableSpec& spec, uint64_t row, uint32_t col,
                        absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("table ", spec.name, " holds counts: row ", row,
                                                 " column ", col, ": ", what));
}

// Calls fn(row, col, value) for every value of a validated delta until it
// returns a non-empty error, and returns that error (or OK).
template <typename Fn>
absl::Status ForEachDeltaValue(const rpc::TableDelta& delta, const PackedValues& values,
                               uint32_t width, Fn&& fn) {
  const std::string& dense_ids = delta.dense_row_ids();
  const size_t n = dense_ids.size() / sizeof(uint64_t);
  absl::Status status;
  values.ForEachRow(size_t{width} * sizeof(float), [&](size_t i, const char* src) {
    if (!status.ok() || i >= n) return;
    const uint64_t row = PackedAt<uint64_t>(dense_ids, i);
    for (uint32_t c = 0; c < width && status.ok(); ++c) {
      float v;
      std::memcpy(&v, src + size_t{c} * sizeof(float), sizeof(float));
      status = fn(row, c, v);
    }
  });
  common::ForEachSparseRow(
      delta.sparse_row_ids(), delta.sparse_row_nnz(), delta.sparse_entries(),
      [&](uint64_t row, const char* entries, uint32_t count) {
        for (uint32_t k = 0; k < count && status.ok(); ++k) {
          const common::SparseEntry entry = common::SparseEntryAt(entries, k);
          status = fn(row, entry.col, entry.value);
        }
      });
  return status;
}

}  // namespace

absl::Status ParameterStore::ValidateCounts(const rpc::TableDelta& delta,
                                            const PackedValues& values) const {
  const common::TableSpec& spec = tables_[delta.table_id()].spec;
  if (!spec.counts) return absl::OkStatus();
  return ForEachDeltaValue(delta, values, spec.width, [&](uint64_t row, uint32_t col, float v) {
    const std::string error = CountDeltaError(v);
    return error.empty() ? absl::OkStatus() : CountError(spec, row, col, error);
  });
}

absl::Status ParameterStore::CheckCountsAfterAdd(const rpc::PushBatch& batch,
                                                 std::span<const PackedValues> values) const {
  // Per element of a counts table, the push's sum: one push may name an
  // element more than once (a dense and a sparse row, or a row twice).
  struct Key {
    uint32_t table, col;
    uint64_t row;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      return absl::HashOf(k.table, k.col, k.row);
    }
  };
  absl::flat_hash_map<Key, double, KeyHash> sums;
  for (int i = 0; i < batch.tables_size(); ++i) {
    const rpc::TableDelta& delta = batch.tables(i);
    const common::TableSpec& spec = tables_[delta.table_id()].spec;
    if (!spec.counts) continue;
    (void)ForEachDeltaValue(delta, values[i], spec.width, [&](uint64_t row, uint32_t col, float v) {
      if (v != 0) sums[Key{delta.table_id(), col, row}] += v;
      return absl::OkStatus();
    });
  }
  for (const auto& [key, sum] : sums) {
    const std::span<const float> stored = Row(key.table, key.row);
    const float before = stored.empty() ? 0.0f : stored[key.col];
    if (std::abs(static_cast<double>(before) + sum) <= common::kMaxCount) continue;
    return CountError(tables_[key.table].spec, key.row, key.col,
                      absl::StrCat("adding ", sum, " to ", before, " goes beyond +-",
                                   common::kMaxCount, ", where float32 counts stop being exact"));
  }
  return absl::OkStatus();
}

absl::Status ParameterStore::ValidateTableDelta(const rpc::TableDelta& delta,
                                                size_t dense_value_bytes) const {
  const uint32_t t = delta.table_id();
  if (t >= tables_.size()) {
    return absl::NotFoundError(
        absl::StrCat("unknown table ", t, " (this job has ", tables_.size(), " tables)"));
  }
  if (delta.half_values() || delta.varint_row_ids() || delta.bitmap_sparse() ||
      delta.ternary_rows() || delta.sparse_row_bitmap() || delta.sparse_row_base() != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("table ", t, ": half_values, varint_row_ids, bitmap_sparse, ternary_rows ",
                     "and sparse_row_bitmap are only accepted on mirror links, which decode "
                     "them"));
  }
  const uint64_t width = tables_[t].spec.width;

  // Dense part.
  const std::string& dense_ids = delta.dense_row_ids();
  if (dense_ids.size() % sizeof(uint64_t) != 0) {
    return SizeError(t, "dense_row_ids", dense_ids.size(), "is not a multiple of 8");
  }
  const uint64_t n = dense_ids.size() / sizeof(uint64_t);
  if (dense_value_bytes != n * width * sizeof(float)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "table ", t, " dense_values: ", dense_value_bytes, " bytes, expected ",
        n * width * sizeof(float), " (", n, " rows x width ", width, " x 4)"));
  }
  if (absl::Status s = CheckRows(*this, t, dense_ids, "dense_row_ids"); !s.ok()) return s;

  // Sparse part.
  const std::string& sparse_ids = delta.sparse_row_ids();
  if (sparse_ids.size() % sizeof(uint64_t) != 0) {
    return SizeError(t, "sparse_row_ids", sparse_ids.size(), "is not a multiple of 8");
  }
  const uint64_t m = sparse_ids.size() / sizeof(uint64_t);
  const std::string& nnz = delta.sparse_row_nnz();
  if (nnz.size() != m * sizeof(uint32_t)) {
    return absl::InvalidArgumentError(absl::StrCat("table ", t, " sparse_row_nnz: ", nnz.size(),
                                                   " bytes, expected ", m * sizeof(uint32_t), " (",
                                                   m, " sparse rows x 4)"));
  }
  uint64_t total_nnz = 0;  // < 2^32 * 2^61: no overflow
  for (uint64_t i = 0; i < m; ++i) {
    if (absl::Status s = CheckRow(*this, t, PackedAt<uint64_t>(sparse_ids, i), "sparse_row_ids");
        !s.ok()) {
      return s;
    }
    total_nnz += PackedAt<uint32_t>(nnz, i);
  }
  const std::string& entries = delta.sparse_entries();
  if (entries.size() != total_nnz * sizeof(common::SparseEntry)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "table ", t, " sparse_entries: ", entries.size(), " bytes, expected ",
        total_nnz * sizeof(common::SparseEntry), " (sum of sparse_row_nnz ", total_nnz, " x 8)"));
  }
  for (uint64_t e = 0; e < total_nnz; ++e) {
    const uint32_t col = PackedAt<common::SparseEntry>(entries, e).col;
    if (col >= width) {
      return absl::InvalidArgumentError(
          absl::StrCat("table ", t, " sparse_entries[", e, "]: column ", col, " >= width ", width));
    }
  }
  return absl::OkStatus();
}

absl::Status ParameterStore::ValidateRead(const rpc::ReadRequest& request) const {
  const uint32_t t = request.table_id();
  if (t >= tables_.size()) {
    return absl::NotFoundError(
        absl::StrCat("unknown table ", t, " (this job has ", tables_.size(), " tables)"));
  }
  const std::string& ids = request.row_ids();
  if (ids.size() % sizeof(uint64_t) != 0) {
    return SizeError(t, "row_ids", ids.size(), "is not a multiple of 8");
  }
  return CheckRows(*this, t, ids, "row_ids");
}

std::span<const float> ParameterStore::Row(uint32_t table_id, uint64_t row) const {
  if (table_id >= tables_.size()) return {};
  const Table& table = tables_[table_id];
  const uint64_t slot = table.SlotOf(row);
  if (slot == kNoSlot) return {};
  const uint32_t width = table.spec.width;
  return std::span<const float>(table.values.data() + slot * width, width);
}

std::span<float> ParameterStore::MutableRow(uint32_t table_id, uint64_t row) {
  if (table_id >= tables_.size()) return {};
  Table& table = tables_[table_id];
  const uint64_t slot = table.SlotOf(row);
  if (slot == kNoSlot) return {};
  const uint32_t width = table.spec.width;
  return std::span<float>(table.values.data() + slot * width, width);
}

uint64_t ParameterStore::AddDelta(const rpc::TableDelta& delta) {
  return AddDelta(delta, PackedValues(delta.dense_values()));
}

uint64_t ParameterStore::AddDelta(const rpc::TableDelta& delta, const PackedValues& values) {
  const uint32_t t = delta.table_id();
  Table& table = tables_[t];
  const uint32_t width = table.spec.width;
  const size_t row_bytes = size_t{width} * sizeof(float);
  const std::string& dense_ids = delta.dense_row_ids();
  const size_t n = std::min(dense_ids.size() / sizeof(uint64_t), values.size() / row_bytes);
  values.ForEachRow(row_bytes, [&](size_t i, const char* src) __attribute__((always_inline)) {
    if (i >= n) return;  // validated by the caller; stay memory-safe
    const uint64_t slot = table.SlotOf(PackedAt<uint64_t>(dense_ids, i));
    if (slot == kNoSlot) return;
    common::AddPackedFloats(table.values.data() + slot * width, src, width);
  });
  common::ForEachSparseRow(
      delta.sparse_row_ids(), delta.sparse_row_nnz(), delta.sparse_entries(),
      [&](uint64_t row, const char* entries, uint32_t count) {
        const uint64_t slot = table.SlotOf(row);
        if (slot == kNoSlot) return;
        float* dst = table.values.data() + slot * width;
        for (uint32_t k = 0; k < count; ++k) {
          const common::SparseEntry entry = common::SparseEntryAt(entries, k);
          if (entry.col < width) dst[entry.col] += entry.value;
        }
      });
  return n + delta.sparse_row_ids().size() / sizeof(uint64_t);
}

void ParameterStore::ReadRows(uint32_t table_id, const std::string& row_ids,
                              std::string* out) const {
  const Table& table = tables_[table_id];
  const size_t row_bytes = size_t{table.spec.width} * sizeof(float);
  const size_t n = row_ids.size() / sizeof(uint64_t);
  if (row_bytes >= 256) {
    // Wide rows: reserve + append writes each byte once (resize would
    // zero-fill the whole reply first).
    out->reserve(out->size() + n * row_bytes);
    for (size_t i = 0; i < n; ++i) {
      const uint64_t slot = table.SlotOf(PackedAt<uint64_t>(row_ids, i));
      // Validated by the caller; stay memory-safe regardless.
      if (slot == kNoSlot) {
        out->append(row_bytes, '\0');
      } else {
        out->append(reinterpret_cast<const char*>(table.values.data() + slot * table.spec.width),
                    row_bytes);
      }
    }
    return;
  }
  // Narrow rows: per-row append overhead dominates; one resize, then copies.
  const size_t start = out->size();
  out->resize(start + n * row_bytes);
  char* dst = out->data() + start;
  for (size_t i = 0; i < n; ++i, dst += row_bytes) {
    const uint64_t slot = table.SlotOf(PackedAt<uint64_t>(row_ids, i));
    if (slot == kNoSlot) {
      std::memset(dst, 0, row_bytes);
    } else {
      std::memcpy(dst, table.values.data() + slot * table.spec.width, row_bytes);
    }
  }
}

void ParameterStore::Dump(uint32_t table_id, std::string* row_ids, std::string* values,
                          uint64_t first, uint64_t max_rows) const {
  const Table& table = tables_[table_id];
  const uint64_t owned = table.owned();
  const uint64_t begin = std::min(first, owned);
  const uint64_t end = max_rows == 0 ? owned : begin + std::min(max_rows, owned - begin);
  const size_t width = table.spec.width;
  if (table.owns_all) {
    row_ids->resize((end - begin) * sizeof(uint64_t));
    for (uint64_t row = begin; row < end; ++row) {
      std::memcpy(row_ids->data() + (row - begin) * sizeof(uint64_t), &row, sizeof(row));
    }
  } else {
    row_ids->assign(reinterpret_cast<const char*>(table.rows.data() + begin),
                    (end - begin) * sizeof(uint64_t));
  }
  values->assign(reinterpret_cast<const char*>(table.values.data() + begin * width),
                 (end - begin) * width * sizeof(float));
}

}  // namespace gaia::server
