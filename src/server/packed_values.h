// A TableDelta's packed float32 dense values, wherever they are: in the
// message's own `dense_values` string, or still in the slices gRPC received
// (a push decoded in place, shard_message_encoding.h), in pieces that may cut
// a row anywhere. The shard reads them row by row, without first copying the
// whole push into one string.
//
//   PackedValues values(delta.dense_values());          // or from a decoded push
//   values.ForEachRow(row_bytes, [&](size_t i, const char* row) { ... });
#ifndef GAIA_SRC_SERVER_PACKED_VALUES_H_
#define GAIA_SRC_SERVER_PACKED_VALUES_H_

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace gaia::server {

class PackedValues {
 public:
  PackedValues() = default;
  // Values in one piece (not owned).
  explicit PackedValues(absl::string_view bytes) { Append(bytes); }

  // Adds the next piece (not owned).
  void Append(absl::string_view piece) {
    if (piece.empty()) return;
    pieces_.push_back(piece);
    size_ += piece.size();
  }

  size_t size() const { return size_; }

  // Calls fn(i, row) for every row i < size() / row_bytes in order; `row`
  // points at its row_bytes bytes (unaligned), valid during the call. A row
  // that spans pieces is gathered into a scratch copy first.
  // REQUIRES: row_bytes > 0.
  template <typename Fn>
  void ForEachRow(size_t row_bytes, Fn&& fn) const {
    const size_t rows = size_ / row_bytes;
    std::string scratch;
    size_t carried = 0;  // bytes of row i gathered in scratch
    size_t i = 0;
    for (absl::string_view piece : pieces_) {
      const char* data = piece.data();
      size_t left = piece.size();
      if (carried > 0) {
        const size_t take = std::min(row_bytes - carried, left);
        std::memcpy(scratch.data() + carried, data, take);
        carried += take;
        data += take;
        left -= take;
        if (carried < row_bytes) continue;
        fn(i++, static_cast<const char*>(scratch.data()));
        carried = 0;
      }
      // The piece's whole rows, in place: the loop that carries the bulk.
      const size_t whole = std::min(left / row_bytes, rows - i);
      for (size_t k = 0; k < whole; ++k) fn(i + k, data + k * row_bytes);
      i += whole;
      data += whole * row_bytes;
      left -= whole * row_bytes;
      if (left > 0 && i < rows) {
        scratch.resize(row_bytes);
        std::memcpy(scratch.data(), data, left);
        carried = left;
      }
    }
  }

 private:
  std::vector<absl::string_view> pieces_;
  size_t size_ = 0;
};

}  // namespace gaia::server

#endif  // GAIA_SRC_SERVER_PACKED_VALUES_H_
