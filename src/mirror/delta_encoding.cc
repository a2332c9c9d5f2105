#include "src/mirror/delta_encoding.h"

#include <bit>
#include <cstring>
#include <optional>
#include <utility>

#include <Eigen/Core>

#include "absl/strings/str_cat.h"
#include "src/common/packing.h"

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

// Decodes a list of zigzag-varint id deltas into packed uint64.
absl::Status ExpandIds(uint32_t table, const char* field, std::string* ids) {
  std::string out;
  size_t pos = 0;
  uint64_t last = 0;
  while (pos < ids->size()) {
    const std::optional<uint64_t> z = ReadVarint(*ids, &pos);
    if (!z) {
      return absl::InvalidArgumentError(
          absl::StrCat("table ", table, " ", field, ": malformed varint at byte ", pos));
    }
    last += Unzigzag(*z);  // wraps like the sender's subtraction
    common::AppendPacked<uint64_t>(&out, last);
  }
  *ids = std::move(out);
  return absl::OkStatus();
}

}  // namespace

bool ExactInHalf(float v) { return static_cast<float>(Eigen::half(v)) == v; }

DeltaWriter::DeltaWriter(rpc::TableDelta* delta, uint32_t table_id, bool half, bool varint_ids)
    : delta_(delta), half_(half), varint_ids_(varint_ids) {
  delta_->set_table_id(table_id);
  delta_->set_half_values(half);
  delta_->set_varint_row_ids(varint_ids);
}

void DeltaWriter::AppendValue(std::string* out, float v) const {
  if (half_) {
    common::AppendPacked<uint16_t>(out, std::bit_cast<uint16_t>(Eigen::half(v)));
  } else {
    common::AppendPacked<float>(out, v);
  }
}

void DeltaWriter::AppendId(std::string* out, uint64_t row, uint64_t* last) const {
  if (varint_ids_) {
    AppendVarint(out, Zigzag(row - *last));
    *last = row;
  } else {
    common::AppendPacked<uint64_t>(out, row);
  }
}

void DeltaWriter::AddDenseRow(uint64_t row, std::span<const float> values) {
  AppendId(delta_->mutable_dense_row_ids(), row, &last_dense_);
  std::string* out = delta_->mutable_dense_values();
  if (half_) {
    for (float v : values) AppendValue(out, v);
  } else {
    common::AppendPacked<float>(out, values);
  }
}

void DeltaWriter::AddSparseRow(uint64_t row, std::span<const uint32_t> cols,
                               std::span<const float> values) {
  AppendId(delta_->mutable_sparse_row_ids(), row, &last_sparse_);
  const auto count = static_cast<uint32_t>(cols.size());
  if (varint_ids_) {
    AppendVarint(delta_->mutable_sparse_row_nnz(), count);
  } else {
    common::AppendPacked<uint32_t>(delta_->mutable_sparse_row_nnz(), count);
  }
  std::string* entries = delta_->mutable_sparse_entries();
  for (size_t i = 0; i < cols.size(); ++i) {
    if (half_) {
      common::AppendPacked<uint16_t>(entries, static_cast<uint16_t>(cols[i]));
    } else {
      common::AppendPacked<uint32_t>(entries, cols[i]);
    }
    AppendValue(entries, values[i]);
  }
}

absl::Status ExpandDelta(rpc::TableDelta* delta) {
  const uint32_t t = delta->table_id();
  if (delta->varint_row_ids()) {
    if (absl::Status s = ExpandIds(t, "dense_row_ids", delta->mutable_dense_row_ids()); !s.ok()) {
      return s;
    }
    if (absl::Status s = ExpandIds(t, "sparse_row_ids", delta->mutable_sparse_row_ids());
        !s.ok()) {
      return s;
    }
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
    delta->set_varint_row_ids(false);
  }
  if (!delta->half_values()) return absl::OkStatus();
  const std::string& dense = delta->dense_values();
  if (dense.size() % sizeof(Eigen::half) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("table ", t, " dense_values: ", dense.size(),
                                                   " bytes is not packed binary16"));
  }
  const std::string& sparse = delta->sparse_entries();
  if (sparse.size() % kHalfEntryBytes != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("table ", t, " sparse_entries: ", sparse.size(),
                     " bytes is not packed (uint16 column, binary16 value) pairs"));
  }
  std::string dense_out;
  dense_out.reserve(dense.size() * 2);
  for (size_t i = 0; i < dense.size(); i += sizeof(Eigen::half)) {
    common::AppendPacked<float>(&dense_out, HalfAt(dense.data() + i));
  }
  std::string sparse_out;
  sparse_out.reserve(sparse.size() / kHalfEntryBytes * kFloatEntryBytes);
  for (size_t i = 0; i < sparse.size(); i += kHalfEntryBytes) {
    uint16_t col;
    std::memcpy(&col, sparse.data() + i, sizeof(col));
    common::AppendPacked<uint32_t>(&sparse_out, col);
    common::AppendPacked<float>(&sparse_out, HalfAt(sparse.data() + i + sizeof(col)));
  }
  delta->set_dense_values(std::move(dense_out));
  delta->set_sparse_entries(std::move(sparse_out));
  delta->set_half_values(false);
  return absl::OkStatus();
}

bool HasCompactDeltas(const rpc::MirrorBatch& batch) {
  for (const rpc::TableDelta& delta : batch.updates()) {
    if (delta.half_values() || delta.varint_row_ids()) return true;
  }
  return false;
}

uint64_t DeltaElements(const rpc::TableDelta& delta) {
  if (delta.half_values()) {
    return delta.dense_values().size() / sizeof(Eigen::half) +
           delta.sparse_entries().size() / kHalfEntryBytes;
  }
  return delta.dense_values().size() / sizeof(float) +
         delta.sparse_entries().size() / kFloatEntryBytes;
}

}  // namespace gaia::mirror
