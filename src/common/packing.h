// Little-endian packing of ids and values into protobuf `bytes` fields
// (DESIGN.md §3). The build requires a little-endian host (checked below), so
// packing is a memcpy.
#ifndef GAIA_SRC_COMMON_PACKING_H_
#define GAIA_SRC_COMMON_PACKING_H_

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace gaia::common {

static_assert(std::endian::native == std::endian::little,
              "Gaia's wire format is little-endian; big-endian hosts are not supported");

template <typename T>
void AppendPacked(std::string* out, std::span<const T> values) {
  out->append(reinterpret_cast<const char*>(values.data()), values.size_bytes());
}

template <typename T>
void AppendPacked(std::string* out, const T& value) {
  out->append(reinterpret_cast<const char*>(&value), sizeof(T));
}

// Copies element i of a packed array (unaligned-safe).
template <typename T>
T PackedAt(const std::string& bytes, size_t i) {
  T value;
  std::memcpy(&value, bytes.data() + i * sizeof(T), sizeof(T));
  return value;
}

// Copies a whole packed array into a vector.
template <typename T>
std::vector<T> Unpack(const std::string& bytes) {
  std::vector<T> out(bytes.size() / sizeof(T));
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
  return out;
}

// dst[j] += the j-th packed float of `src`, for j < n. `src` may be
// unaligned (it usually points into a protobuf `bytes` field) but must not
// overlap dst.
//
// Eight floats per step: a fixed-length inner loop the compiler turns into
// vector adds at -O2, where its default cost model leaves a plain loop of
// unknown length over possibly-overlapping arrays scalar (measured: the
// shard's apply of a 4 MB push was a scalar add per float).
inline void AddPackedFloats(float* dst, const char* src, size_t n) {
  constexpr size_t kBlock = 8;
  size_t j = 0;
  for (; j + kBlock <= n; j += kBlock) {
    float v[kBlock];
    std::memcpy(v, src + j * sizeof(float), sizeof(v));
    for (size_t k = 0; k < kBlock; ++k) dst[j + k] += v[k];
  }
  for (; j < n; ++j) {
    float v;
    std::memcpy(&v, src + j * sizeof(float), sizeof(float));
    dst[j] += v;
  }
}

// dst[j] += src[j] for j < n. REQUIRES: the arrays do not overlap.
inline void AddFloats(float* dst, const float* src, size_t n) {
  AddPackedFloats(dst, reinterpret_cast<const char*>(src), n);
}

// Pushes of a table at least this many floats wide may carry rows sparse:
// the worker sends mostly-zero rows as entries (src/worker/update_buffer.h)
// and a shard buffers them so (src/server/pending_updates.h).
inline constexpr uint32_t kSparseRowsMinWidth = 64;

// A sparse delta entry on the wire: 8 bytes, (uint32 column, float32 value).
struct SparseEntry {
  uint32_t col;
  float value;
};
static_assert(sizeof(SparseEntry) == 8);

// Sums `incoming` into `row` and writes the result to `*merged`: ascending
// columns, one entry per column. `row` must already be so; `incoming` may
// come in any column order with repeats (it is sorted in place, stably). A
// column sums row's value first, then incoming's in their order, as adding
// them one by one into a dense row would. Entries that cancel to 0 stay.
inline void MergeSparseRow(const std::vector<SparseEntry>& row,
                           std::vector<SparseEntry>& incoming,
                           std::vector<SparseEntry>* merged) {
  auto by_col = [](const SparseEntry& a, const SparseEntry& b) { return a.col < b.col; };
  if (!std::is_sorted(incoming.begin(), incoming.end(), by_col)) {
    std::stable_sort(incoming.begin(), incoming.end(), by_col);
  }
  merged->clear();
  merged->reserve(row.size() + incoming.size());
  auto a = row.begin();
  auto b = incoming.begin();
  while (a != row.end() || b != incoming.end()) {
    const bool from_row = b == incoming.end() || (a != row.end() && a->col <= b->col);
    const SparseEntry next = from_row ? *a++ : *b++;
    if (!merged->empty() && merged->back().col == next.col) {
      merged->back().value += next.value;
    } else {
      merged->push_back(next);
    }
  }
}

// Entry k of a row's packed entries (unaligned-safe).
inline SparseEntry SparseEntryAt(const char* entries, size_t k) {
  SparseEntry entry;
  std::memcpy(&entry, entries + k * sizeof(SparseEntry), sizeof(SparseEntry));
  return entry;
}

// Calls fn(row_id, entries, count) for every sparse row of a delta in its
// wire layout (TableDelta: packed uint64 row ids, packed uint32 entry counts,
// packed SparseEntry); `entries` points at the row's `count` entries (read
// them with SparseEntryAt). REQUIRES: the three sizes agree
// (ParameterStore::ValidatePush).
template <typename Fn>
void ForEachSparseRow(const std::string& row_ids, const std::string& nnz,
                      const std::string& entries, Fn&& fn) {
  const size_t rows = row_ids.size() / sizeof(uint64_t);
  const char* entry = entries.data();
  for (size_t i = 0; i < rows; ++i) {
    const uint32_t count = PackedAt<uint32_t>(nnz, i);
    fn(PackedAt<uint64_t>(row_ids, i), static_cast<const char*>(entry), count);
    entry += size_t{count} * sizeof(SparseEntry);
  }
}

}  // namespace gaia::common

#endif  // GAIA_SRC_COMMON_PACKING_H_
