#include "apps/cnn/param_rows.h"

namespace gaia::cnn {

std::vector<uint64_t> ParamRows::RowIds(RowRange range) const {
  std::vector<uint64_t> ids;
  ids.reserve(range.size());
  for (uint64_t r = range.begin; r < range.end; ++r) ids.push_back(r);
  return ids;
}

RowRange ParamRows::Share(uint32_t rank, uint32_t ranks) const {
  const uint64_t n = rows();
  const uint64_t base = n / ranks;
  const uint64_t extra = n % ranks;
  const uint64_t begin = rank * base + (rank < extra ? rank : extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

}  // namespace gaia::cnn
