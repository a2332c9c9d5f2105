// Little-endian packing of ids and values into protobuf `bytes` fields
// (DESIGN.md §3). The build requires a little-endian host (checked below), so
// packing is a memcpy.
#ifndef GAIA_SRC_COMMON_PACKING_H_
#define GAIA_SRC_COMMON_PACKING_H_

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

// A sparse delta entry on the wire: 8 bytes, (uint32 column, float32 value).
struct SparseEntry {
  uint32_t col;
  float value;
};
static_assert(sizeof(SparseEntry) == 8);

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
