#include "src/mirror/delta_encoding.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "absl/strings/str_cat.h"
#include "src/common/packing.h"
#include "src/significance/emission.h"

namespace gaia::mirror {
namespace {

static_assert(sizeof(Eigen::half) == sizeof(uint16_t));
constexpr size_t kHalfEntryBytes = sizeof(uint16_t) + sizeof(Eigen::half);  // col, value
constexpr size_t kFloatEntryBytes = sizeof(uint32_t) + sizeof(float);

float HalfAt(const char* p) {
  uint16_t bits;
  std::memcpy(&bits, p, sizeof(bits));
  return static_cast<float>(std::bit_cast<Eigen::half>(bits));
}

void AppendVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Reads a varint at `*pos`; nullopt if truncated or longer than 10 bytes.
std::optional<uint64_t> ReadVarint(const std::string& in, size_t* pos) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && *pos < in.size(); shift += 7) {
    const auto byte = static_cast<uint8_t>(in[(*pos)++]);
    if (shift == 63 && byte > 1) return std::nullopt;  // past 64 bits
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return v;
  }
  return std::nullopt;
}

// Zigzag: small deltas of either sign become small unsigned numbers.
uint64_t Zigzag(uint64_t delta) {
  const auto d = static_cast<int64_t>(delta);
  return (static_cast<uint64_t>(d) << 1) ^ static_cast<uint64_t>(d >> 63);
}
uint64_t Unzigzag(uint64_t z) { return (z >> 1) ^ (~(z & 1) + 1); }

size_t BitmapBytes(uint32_t width) { return (static_cast<size_t>(width) + 7) / 8; }

// Decodes a list of zigzag-varint id deltas into packed uint64.
absl::Status ExpandIds(uint32_t table, const char* field, std::string* ids) {
  if (absl::Status s = ExpandVarintRowIds(ids); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("table ", table, " ", field, ": ", s.message()));
  }
  return absl::OkStatus();
}

}  // namespace

void AppendVarintRowId(std::string* out, uint64_t row, uint64_t* last) {
  AppendVarint(out, Zigzag(row - *last));
  *last = row;
}

absl::Status ExpandVarintRowIds(std::string* ids) {
  std::string out;
  size_t pos = 0;
  uint64_t last = 0;
  while (pos < ids->size()) {
    const std::optional<uint64_t> z = ReadVarint(*ids, &pos);
    if (!z) return absl::InvalidArgumentError(absl::StrCat("malformed varint at byte ", pos));
    last += Unzigzag(*z);  // wraps like the sender's subtraction
    common::AppendPacked<uint64_t>(&out, last);
  }
  *ids = std::move(out);
  return absl::OkStatus();
}

RowIdList EncodeAscendingRows(std::span<const uint64_t> rows) {
  RowIdList list;
  uint64_t last = 0;
  for (uint64_t row : rows) AppendVarintRowId(&list.bytes, row, &last);
  if (rows.empty()) return list;
  const uint64_t span = rows.back() - rows.front();  // < 2^64 - 1: rows are distinct
  // The base costs a varint field of its own (up to 11 bytes with its tag).
  if (span / 8 + 1 + 11 >= list.bytes.size()) return list;
  list.bitmap = true;
  list.base = rows.front();
  list.bytes.assign(span / 8 + 1, '\0');
  for (uint64_t row : rows) {
    const uint64_t i = row - list.base;
    char& byte = list.bytes[i / 8];
    byte = static_cast<char>(static_cast<uint8_t>(byte) | (1u << (i % 8)));
  }
  return list;
}

absl::Status ExpandRowBitmap(uint64_t base, uint64_t max_rows, std::string* ids) {
  const uint64_t bits = static_cast<uint64_t>(ids->size()) * 8;
  if (bits != 0 && base > ~uint64_t{0} - (bits - 1)) {
    return absl::InvalidArgumentError(absl::StrCat("row bitmap of ", ids->size(),
                                                   " bytes from row ", base, " passes 2^64"));
  }
  uint64_t set = 0;
  for (char byte : *ids) set += static_cast<uint64_t>(std::popcount(static_cast<uint8_t>(byte)));
  if (set > max_rows) {
    return absl::InvalidArgumentError(
        absl::StrCat("row bitmap names ", set, " rows, more than the ", max_rows, " possible"));
  }
  std::string packed;
  packed.reserve(set * sizeof(uint64_t));
  for (size_t byte = 0; byte < ids->size(); ++byte) {
    const auto bits_of = static_cast<uint8_t>((*ids)[byte]);
    if (bits_of == 0) continue;
    for (uint32_t bit = 0; bit < 8; ++bit) {
      if (bits_of & (1u << bit)) common::AppendPacked<uint64_t>(&packed, base + byte * 8 + bit);
    }
  }
  *ids = std::move(packed);
  return absl::OkStatus();
}

bool ExactInHalf(float v) { return static_cast<float>(Eigen::half(v)) == v; }

bool IsTernaryRow(std::span<const float> values) {
  if (values.empty()) return false;
  const float scale = std::fabs(values[0]);
  for (float v : values) {
    if (std::fabs(v) != scale) return false;
  }
  return significance::IsTernaryScale(scale);
}

DeltaWriter::DeltaWriter(rpc::TableDelta* delta, uint32_t table_id, uint32_t width,
                         DeltaEncoding encoding)
    : delta_(delta), width_(width), encoding_(encoding) {
  delta_->set_table_id(table_id);
  delta_->set_half_values(encoding.half);
  delta_->set_varint_row_ids(encoding.varint_ids);
  delta_->set_bitmap_sparse(encoding.bitmap_sparse);
  delta_->set_ternary_rows(encoding.ternary);
}

size_t DenseRowBytes(uint32_t width, const DeltaEncoding& encoding) {
  return static_cast<size_t>(width) * (encoding.half ? sizeof(Eigen::half) : sizeof(float));
}

size_t SparseRowBytes(uint32_t width, const DeltaEncoding& encoding, size_t n) {
  if (encoding.ternary) return BitmapBytes(width) + 1 + (n + 7) / 8;  // bitmap, scale, signs
  const size_t value_bytes = encoding.half ? sizeof(Eigen::half) : sizeof(float);
  if (encoding.bitmap_sparse) return BitmapBytes(width) + n * value_bytes;
  const size_t col_bytes = encoding.half ? sizeof(uint16_t) : sizeof(uint32_t);
  const size_t count_bytes = encoding.varint_ids ? 1 : sizeof(uint32_t);
  return count_bytes + n * (col_bytes + value_bytes);
}

void DeltaWriter::AppendValue(std::string* out, float v) const {
  if (encoding_.half) {
    common::AppendPacked<uint16_t>(out, std::bit_cast<uint16_t>(Eigen::half(v)));
  } else {
    common::AppendPacked<float>(out, v);
  }
}

void DeltaWriter::AppendId(std::string* out, uint64_t row, uint64_t* last) const {
  if (encoding_.varint_ids) {
    AppendVarintRowId(out, row, last);
  } else {
    common::AppendPacked<uint64_t>(out, row);
  }
}

void DeltaWriter::AddDenseRow(uint64_t row, std::span<const float> values) {
  AppendId(delta_->mutable_dense_row_ids(), row, &last_dense_);
  std::string* out = delta_->mutable_dense_values();
  if (encoding_.half) {
    for (float v : values) AppendValue(out, v);
  } else {
    common::AppendPacked<float>(out, values);
  }
}

void DeltaWriter::AddSparseRow(uint64_t row, std::span<const uint32_t> cols,
                               std::span<const float> values) {
  AppendId(delta_->mutable_sparse_row_ids(), row, &last_sparse_);
  std::string* entries = delta_->mutable_sparse_entries();
  if (encoding_.bitmap_sparse) {
    const size_t at = entries->size();
    entries->resize(at + BitmapBytes(width_), '\0');
    for (uint32_t c : cols) (*entries)[at + c / 8] |= static_cast<char>(1u << (c % 8));
    if (encoding_.ternary) {
      entries->push_back(static_cast<char>(significance::TernaryScaleByte(std::fabs(values[0]))));
      const size_t signs = entries->size();
      entries->resize(signs + (values.size() + 7) / 8, '\0');
      for (size_t k = 0; k < values.size(); ++k) {
        if (std::signbit(values[k])) (*entries)[signs + k / 8] |= static_cast<char>(1u << (k % 8));
      }
      return;
    }
    for (float v : values) AppendValue(entries, v);
    return;
  }
  const auto count = static_cast<uint32_t>(cols.size());
  if (encoding_.varint_ids) {
    AppendVarint(delta_->mutable_sparse_row_nnz(), count);
  } else {
    common::AppendPacked<uint32_t>(delta_->mutable_sparse_row_nnz(), count);
  }
  for (size_t i = 0; i < cols.size(); ++i) {
    if (encoding_.half) {
      common::AppendPacked<uint16_t>(entries, static_cast<uint16_t>(cols[i]));
    } else {
      common::AppendPacked<uint32_t>(entries, cols[i]);
    }
    AppendValue(entries, values[i]);
  }
}

void DeltaWriter::Finish() {
  if (!encoding_.varint_ids || !encoding_.bitmap_sparse) return;
  // The ids written so far, read back from their varints.
  std::string packed = delta_->sparse_row_ids();
  if (!ExpandVarintRowIds(&packed).ok()) return;  // cannot happen: written above
  const std::vector<uint64_t> ids = common::Unpack<uint64_t>(packed);
  if (ids.empty() || std::adjacent_find(ids.begin(), ids.end(), std::greater_equal<>()) !=
                         ids.end()) {
    return;  // not strictly ascending
  }
  RowIdList list = EncodeAscendingRows(ids);
  if (!list.bitmap) return;
  delta_->set_sparse_row_bitmap(true);
  delta_->set_sparse_row_base(list.base);
  delta_->set_sparse_row_ids(std::move(list.bytes));
}

namespace {

// Row ids (bitmap or varint) and varint nnz back to packed uint64 / uint32.
absl::Status ExpandRowIdLists(rpc::TableDelta* delta) {
  const uint32_t t = delta->table_id();
  if (delta->sparse_row_bitmap()) {
    if (!delta->bitmap_sparse()) {
      return absl::InvalidArgumentError(
          absl::StrCat("table ", t, " sparse_row_bitmap: needs bitmap_sparse"));
    }
    // Every bitmap-sparse row takes at least one byte of sparse_entries.
    if (absl::Status s = ExpandRowBitmap(delta->sparse_row_base(), delta->sparse_entries().size(),
                                         delta->mutable_sparse_row_ids());
        !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("table ", t, " sparse_row_ids: ", s.message()));
    }
    delta->set_sparse_row_bitmap(false);
    delta->set_sparse_row_base(0);
  } else if (delta->sparse_row_base() != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("table ", t, " sparse_row_base: set without sparse_row_bitmap"));
  } else if (delta->varint_row_ids()) {
    if (absl::Status s = ExpandIds(t, "sparse_row_ids", delta->mutable_sparse_row_ids());
        !s.ok()) {
      return s;
    }
  }
  if (delta->varint_row_ids()) {
    if (absl::Status s = ExpandIds(t, "dense_row_ids", delta->mutable_dense_row_ids()); !s.ok()) {
      return s;
    }
    if (!delta->bitmap_sparse()) {
      const std::string& nnz = delta->sparse_row_nnz();
      std::string counts;
      for (size_t pos = 0; pos < nnz.size();) {
        const std::optional<uint64_t> n = ReadVarint(nnz, &pos);
        if (!n || *n > UINT32_MAX) {
          return absl::InvalidArgumentError(
              absl::StrCat("table ", t, " sparse_row_nnz: malformed varint at byte ", pos));
        }
        common::AppendPacked<uint32_t>(&counts, static_cast<uint32_t>(*n));
      }
      delta->set_sparse_row_nnz(std::move(counts));
    }
    delta->set_varint_row_ids(false);
  }
  return absl::OkStatus();
}

// Dense binary16 values back to float32.
absl::Status ExpandDenseHalves(rpc::TableDelta* delta) {
  const uint32_t t = delta->table_id();
  const std::string& dense = delta->dense_values();
  if (dense.size() % sizeof(Eigen::half) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("table ", t, " dense_values: ", dense.size(),
                                                   " bytes is not packed binary16"));
  }
  std::string dense_out;
  dense_out.reserve(dense.size() * 2);
  for (size_t i = 0; i < dense.size(); i += sizeof(Eigen::half)) {
    common::AppendPacked<float>(&dense_out, HalfAt(dense.data() + i));
  }
  delta->set_dense_values(std::move(dense_out));
  return absl::OkStatus();
}

// Bitmap-sparse rows (values, or ternary scale and signs) back to
// (column, value) pairs with per-row counts.
absl::Status ExpandBitmapRows(rpc::TableDelta* delta, uint32_t width, bool half) {
  const uint32_t t = delta->table_id();
  const bool ternary = delta->ternary_rows();
  const size_t value_bytes = half ? sizeof(Eigen::half) : sizeof(float);
  auto value_at = [half](const char* p) {
    if (half) return HalfAt(p);
    float v;
    std::memcpy(&v, p, sizeof(v));
    return v;
  };
  const std::string& sparse = delta->sparse_entries();
  std::string sparse_out;
  if (!delta->sparse_row_nnz().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("table ", t, " sparse_row_nnz: must be empty with bitmap_sparse"));
  }
  if (delta->sparse_row_ids().size() % sizeof(uint64_t) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("table ", t, " sparse_row_ids: not packed uint64"));
  }
  const size_t rows = delta->sparse_row_ids().size() / sizeof(uint64_t);
  const size_t bitmap_bytes = BitmapBytes(width);
  std::string counts;
  size_t pos = 0;
  for (size_t r = 0; r < rows; ++r) {
    if (sparse.size() - pos < bitmap_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "table ", t, " sparse_entries: row ", r, "'s bitmap runs past the end"));
    }
    const char* bitmap = sparse.data() + pos;
    pos += bitmap_bytes;
    float scale = 0.0f;
    const char* signs = nullptr;
    if (ternary) {
      size_t set = 0;
      for (size_t b = 0; b < bitmap_bytes; ++b) {
        set += static_cast<size_t>(std::popcount(static_cast<uint8_t>(bitmap[b])));
      }
      if (sparse.size() - pos < 1 + (set + 7) / 8) {
        return absl::InvalidArgumentError(absl::StrCat(
            "table ", t, " sparse_entries: row ", r, "'s scale and signs run past the end"));
      }
      const std::optional<float> s =
          significance::ScaleFromTernaryByte(static_cast<uint8_t>(sparse[pos]));
      if (!s) {
        return absl::InvalidArgumentError(
            absl::StrCat("table ", t, " sparse_entries: row ", r, "'s scale byte ",
                         static_cast<unsigned>(static_cast<uint8_t>(sparse[pos])),
                         " is not a ternary scale"));
      }
      scale = *s;
      signs = sparse.data() + pos + 1;
      pos += 1 + (set + 7) / 8;
    }
    uint32_t count = 0;
    for (uint32_t c = 0; c < bitmap_bytes * 8; ++c) {
      if (!(static_cast<uint8_t>(bitmap[c / 8]) & (1u << (c % 8)))) continue;
      float value;
      if (ternary) {
        const bool negative = static_cast<uint8_t>(signs[count / 8]) & (1u << (count % 8));
        value = negative ? -scale : scale;
      } else {
        if (sparse.size() - pos < value_bytes) {
          return absl::InvalidArgumentError(absl::StrCat(
              "table ", t, " sparse_entries: row ", r, "'s values run past the end"));
        }
        value = value_at(sparse.data() + pos);
        pos += value_bytes;
      }
      common::AppendPacked<uint32_t>(&sparse_out, c);  // c >= width: the store rejects it
      common::AppendPacked<float>(&sparse_out, value);
      ++count;
    }
    common::AppendPacked<uint32_t>(&counts, count);
  }
  if (pos != sparse.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "table ", t, " sparse_entries: ", sparse.size() - pos, " bytes after the last row"));
  }
  delta->set_sparse_row_nnz(std::move(counts));
  delta->set_sparse_entries(std::move(sparse_out));
  return absl::OkStatus();
}

// (uint16 column, binary16 value) pairs back to (uint32, float32) pairs.
absl::Status ExpandHalfPairs(rpc::TableDelta* delta) {
  const uint32_t t = delta->table_id();
  const std::string& sparse = delta->sparse_entries();
  std::string sparse_out;
  if (sparse.size() % kHalfEntryBytes != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("table ", t, " sparse_entries: ", sparse.size(),
                     " bytes is not packed (uint16 column, binary16 value) pairs"));
  }
  sparse_out.reserve(sparse.size() / kHalfEntryBytes * kFloatEntryBytes);
  for (size_t i = 0; i < sparse.size(); i += kHalfEntryBytes) {
    uint16_t col;
    std::memcpy(&col, sparse.data() + i, sizeof(col));
    common::AppendPacked<uint32_t>(&sparse_out, col);
    common::AppendPacked<float>(&sparse_out, HalfAt(sparse.data() + i + sizeof(col)));
  }
  delta->set_sparse_entries(std::move(sparse_out));
  return absl::OkStatus();
}

}  // namespace

absl::Status ExpandDelta(rpc::TableDelta* delta, uint32_t width) {
  const uint32_t t = delta->table_id();
  const bool ternary = delta->ternary_rows();
  if (ternary && (!delta->bitmap_sparse() || delta->half_values() ||
                  !delta->dense_row_ids().empty() || !delta->dense_values().empty())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "table ", t, " ternary_rows: needs bitmap_sparse, no half_values and no dense rows"));
  }
  if (absl::Status s = ExpandRowIdLists(delta); !s.ok()) return s;
  const bool half = delta->half_values();
  if (half) {
    if (absl::Status s = ExpandDenseHalves(delta); !s.ok()) return s;
  }
  if (delta->bitmap_sparse()) {
    if (absl::Status s = ExpandBitmapRows(delta, width, half); !s.ok()) return s;
  } else if (half) {
    if (absl::Status s = ExpandHalfPairs(delta); !s.ok()) return s;
  }
  delta->set_half_values(false);
  delta->set_bitmap_sparse(false);
  delta->set_ternary_rows(false);
  return absl::OkStatus();
}

bool HasCompactDeltas(const rpc::MirrorBatch& batch) {
  for (const rpc::TableDelta& delta : batch.updates()) {
    if (delta.half_values() || delta.varint_row_ids() || delta.bitmap_sparse() ||
        delta.ternary_rows() || delta.sparse_row_bitmap()) {
      return true;
    }
  }
  return false;
}

uint64_t PlainDeltaElements(const rpc::TableDelta& delta) {
  return delta.dense_values().size() / sizeof(float) +
         delta.sparse_entries().size() / kFloatEntryBytes;
}

}  // namespace gaia::mirror
