// The IDX file format of MNIST and Fashion-MNIST (yann.lecun.com/exdb/mnist):
// a 4-byte magic 00 00 TYPE NDIMS, NDIMS big-endian uint32 sizes, then the
// elements in row-major order. Only TYPE 0x08 (unsigned byte) is read, which
// is what image files (idx3: count, rows, columns) and label files (idx1:
// count) hold. A file may be gzip-compressed or plain; the reader tells them
// apart by content, not by name.
//
//   absl::StatusOr<IdxArray> a = ReadIdxFile("/data/train-labels-idx1-ubyte.gz");
//   if (!a.ok()) return a.status();  // "…/train-labels-idx1-ubyte.gz: truncated at byte 20…"
//   a->dims == std::vector<uint32_t>{60000};  a->data.size() == 60000;
//
// Every error is an absl::Status whose message starts with the file's name
// (or the `name` given to ParseIdx) and says what is wrong: the file cannot
// be opened, corrupt or truncated gzip data, bad magic, unsupported element
// type, truncated at byte N, trailing bytes. Nothing here aborts on bad input,
// and no allocation is sized by the header: a header that claims more data
// than the file holds is an error before any buffer is made for it.
// Thread-compatible free functions.
#ifndef GAIA_APPS_CNN_IDX_FILE_H_
#define GAIA_APPS_CNN_IDX_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gaia::cnn {

// IDX element type codes (the third magic byte).
inline constexpr uint8_t kIdxUnsignedByte = 0x08;

// The largest file (after decompression) the reader accepts: 1 GiB, 20x the
// Fashion-MNIST training images. A cap, so a gzip bomb or a wrong path
// (a disk image) fails cleanly instead of exhausting memory.
inline constexpr uint64_t kMaxIdxFileBytes = uint64_t{1} << 30;

// One IDX array of unsigned bytes.
struct IdxArray {
  std::vector<uint32_t> dims;  // sizes, outermost first; at least one
  std::vector<uint8_t> data;   // product(dims) elements, row-major
};

// The whole content of `path`, gunzipped when it is gzip data (plain bytes
// otherwise). Errors: cannot open, not a regular file, corrupt or truncated
// gzip stream, larger than `max_bytes`.
absl::StatusOr<std::vector<uint8_t>> ReadMaybeGzipFile(const std::string& path,
                                                       uint64_t max_bytes = kMaxIdxFileBytes);

// Parses the IDX bytes in `bytes` (consumed: its storage becomes the data).
// `name` (the file's path) starts every error message.
absl::StatusOr<IdxArray> ParseIdx(std::vector<uint8_t> bytes, absl::string_view name);

// ReadMaybeGzipFile then ParseIdx.
absl::StatusOr<IdxArray> ReadIdxFile(const std::string& path);

// Encodes an unsigned-byte IDX array (for tests and tools that write data).
// REQUIRES: data.size() == product(dims), 1 <= dims.size() <= 255.
std::vector<uint8_t> EncodeIdx(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data);

// Writes `bytes` to `path`, gzip-compressed when `gzip` (tests and tools
// that make small datasets). Errors name the file.
absl::Status WriteMaybeGzipFile(const std::string& path, const std::vector<uint8_t>& bytes,
                                bool gzip);

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_IDX_FILE_H_
