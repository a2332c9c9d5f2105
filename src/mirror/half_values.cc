#include "src/mirror/half_values.h"

#include <bit>
#include <cstring>
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

}  // namespace

bool ExactInHalf(float v) { return static_cast<float>(Eigen::half(v)) == v; }

void AppendHalf(std::string* out, float v) {
  const uint16_t bits = std::bit_cast<uint16_t>(Eigen::half(v));
  common::AppendPacked<uint16_t>(out, bits);
}

void AppendHalfEntry(std::string* out, uint32_t col, float v) {
  common::AppendPacked<uint16_t>(out, static_cast<uint16_t>(col));
  AppendHalf(out, v);
}

absl::Status ExpandHalfValues(rpc::TableDelta* delta) {
  if (!delta->half_values()) return absl::OkStatus();
  const std::string& dense = delta->dense_values();
  if (dense.size() % sizeof(Eigen::half) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("table ", delta->table_id(),
                                                   " dense_values: ", dense.size(),
                                                   " bytes is not packed binary16"));
  }
  const std::string& sparse = delta->sparse_entries();
  if (sparse.size() % kHalfEntryBytes != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("table ", delta->table_id(), " sparse_entries: ", sparse.size(),
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

bool HasHalfValues(const rpc::MirrorBatch& batch) {
  for (const rpc::TableDelta& delta : batch.updates()) {
    if (delta.half_values()) return true;
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
