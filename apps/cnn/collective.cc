#include "apps/cnn/collective.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace gaia::cnn {
namespace {

// A chunk's float count travels as 32 bits; 1 GiB keeps it far below.
constexpr size_t kMaxChunkBytes = size_t{1} << 30;

}  // namespace

SliceRange Collective::Slice(size_t n, int rank, int size) {
  const size_t p = static_cast<size_t>(size);
  const size_t r = static_cast<size_t>(rank);
  const size_t base = n / p;
  const size_t extra = n % p;
  SliceRange range;
  range.begin = r * base + std::min(r, extra);
  range.end = range.begin + base + (r < extra ? 1 : 0);
  return range;
}

absl::Status ValidateCollectiveOptions(const CollectiveOptions& options) {
  if (options.size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("collective options: size must be >= 1, got ", options.size));
  }
  if (options.rank < 0 || options.rank >= options.size) {
    return absl::InvalidArgumentError(absl::StrCat("collective options: rank must be in [0, ",
                                                   options.size, "), got ", options.rank));
  }
  if (options.timeout_ms <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("collective options: timeout_ms must be > 0, got ", options.timeout_ms));
  }
  if (options.chunk_bytes < sizeof(float) || options.chunk_bytes > kMaxChunkBytes) {
    return absl::InvalidArgumentError(absl::StrCat("collective options: chunk_bytes must be in [",
                                                   sizeof(float), ", ", kMaxChunkBytes,
                                                   "], got ", options.chunk_bytes));
  }
  if (options.size > 1 && options.rendezvous_dir.empty()) {
    return absl::InvalidArgumentError(
        "collective options: rendezvous_dir is required when size > 1");
  }
  return absl::OkStatus();
}

}  // namespace gaia::cnn
