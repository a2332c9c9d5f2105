#include "apps/cnn/idx_file.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace gaia::cnn {
namespace {

// Large reads: the Fashion-MNIST training images are 47 MB unpacked.
constexpr unsigned kChunkBytes = 1u << 20;

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};
using GzHandle = std::unique_ptr<gzFile_s, GzCloser>;

uint32_t BigEndian32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

std::string TypeName(uint8_t type) {
  switch (type) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "short";
    case 0x0C: return "int";
    case 0x0D: return "float";
    case 0x0E: return "double";
    default: return "unknown";
  }
}

// The unpacked size to reserve: a gzip file's ISIZE trailer (the size mod
// 2^32 of its last member; right for every IDX file a gzip tool made) up to
// 64x the packed size, else the file's size. Only a hint: a wrong one costs
// reallocations, not errors.
uint64_t SizeHint(const std::string& path) {
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return 0;
  std::ifstream in(path, std::ios::binary);
  uint8_t head[2] = {0, 0};
  uint8_t tail[4] = {0, 0, 0, 0};
  if (size < 18 || !in.read(reinterpret_cast<char*>(head), 2) || head[0] != 0x1F ||
      head[1] != 0x8B) {
    return size;
  }
  in.seekg(static_cast<std::streamoff>(size - 4));
  if (!in.read(reinterpret_cast<char*>(tail), 4)) return size;
  const uint64_t isize = uint64_t{tail[0]} | (uint64_t{tail[1]} << 8) | (uint64_t{tail[2]} << 16) |
                         (uint64_t{tail[3]} << 24);
  // A damaged trailer must not reserve a gigabyte for a small file.
  return std::min(isize, 64 * size);
}

absl::Status Error(absl::string_view name, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(name, ": ", what));
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> ReadMaybeGzipFile(const std::string& path,
                                                       uint64_t max_bytes) {
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open: no such file"));
  }
  if (!std::filesystem::is_regular_file(st)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  errno = 0;
  GzHandle file(gzopen(path.c_str(), "rb"));
  if (file == nullptr) {
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot open: ", errno != 0 ? std::strerror(errno) : "out of memory"));
  }
  gzbuffer(file.get(), 256 * 1024);
  std::vector<uint8_t> out;
  out.reserve(std::min<uint64_t>(SizeHint(path), max_bytes) + kChunkBytes);
  for (;;) {
    const size_t have = out.size();
    if (have > max_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat(path, ": larger than ", max_bytes, " bytes (unpacked); not an IDX file?"));
    }
    out.resize(have + kChunkBytes);
    const int got = gzread(file.get(), out.data() + have, kChunkBytes);
    if (got < 0) {
      int code = 0;
      const char* message = gzerror(file.get(), &code);
      return absl::DataLossError(
          absl::StrCat(path, ": corrupt gzip data after ", have, " unpacked bytes: ", message));
    }
    out.resize(have + static_cast<size_t>(got));
    if (static_cast<unsigned>(got) < kChunkBytes) break;
  }
  // A short read can also end in an error (gzread reports a truncated
  // stream only through gzerror).
  int code = Z_OK;
  const char* message = gzerror(file.get(), &code);
  if (code == Z_BUF_ERROR) {
    return absl::DataLossError(absl::StrCat(path, ": gzip stream truncated after ", out.size(),
                                            " unpacked bytes (unexpected end of file)"));
  }
  if (code != Z_OK) {
    return absl::DataLossError(
        absl::StrCat(path, ": corrupt gzip data after ", out.size(), " unpacked bytes: ", message));
  }
  if (out.size() > max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat(path, ": larger than ", max_bytes, " bytes (unpacked); not an IDX file?"));
  }
  return out;
}

absl::StatusOr<IdxArray> ParseIdx(std::vector<uint8_t> bytes, absl::string_view name) {
  const size_t size = bytes.size();
  if (size < 4) {
    return Error(name, absl::StrCat("truncated at byte ", size,
                                    ": an IDX file starts with a 4-byte magic number"));
  }
  const uint32_t magic = BigEndian32(bytes.data());
  const uint8_t type = bytes[2];
  const uint32_t ndims = bytes[3];
  if (bytes[0] != 0 || bytes[1] != 0 || ndims == 0) {
    return Error(name, absl::StrFormat("bad magic 0x%08X (an IDX file starts 00 00 TYPE NDIMS "
                                       "with NDIMS >= 1)",
                                       magic));
  }
  if (type != kIdxUnsignedByte) {
    return Error(name, absl::StrFormat("bad magic 0x%08X: element type 0x%02X (%s); only "
                                       "unsigned byte (0x08) images and labels are read",
                                       magic, type, TypeName(type)));
  }
  const size_t header = 4 + 4 * size_t{ndims};
  if (size < header) {
    return Error(name, absl::StrCat("truncated at byte ", size, ": the header of ", ndims,
                                    " dimensions needs ", header, " bytes"));
  }
  IdxArray out;
  out.dims.reserve(ndims);
  // The element count, saturated at the file size + 1 so that it cannot
  // overflow: any product beyond the file's data is "truncated" anyway.
  const uint64_t available = size - header;
  uint64_t count = 1;
  for (uint32_t d = 0; d < ndims; ++d) {
    const uint32_t dim = BigEndian32(bytes.data() + 4 + 4 * d);
    out.dims.push_back(dim);
    if (count != 0 && dim != 0 && count > (available + 1) / dim) {
      count = available + 1;
    } else {
      count *= dim;
    }
  }
  if (count > available) {
    return Error(name, absl::StrCat("truncated at byte ", size, ": dims ",
                                    absl::StrJoin(out.dims, "x"), " need more than the ", available,
                                    " data bytes after the ", header, "-byte header"));
  }
  if (count < available) {
    return Error(name, absl::StrCat(available - count, " unexpected bytes after the data (dims ",
                                    absl::StrJoin(out.dims, "x"), " end at byte ", header + count,
                                    " of ", size, ")"));
  }
  bytes.erase(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(header));
  out.data = std::move(bytes);
  return out;
}

absl::StatusOr<IdxArray> ReadIdxFile(const std::string& path) {
  absl::StatusOr<std::vector<uint8_t>> bytes = ReadMaybeGzipFile(path);
  if (!bytes.ok()) return bytes.status();
  return ParseIdx(std::move(*bytes), path);
}

std::vector<uint8_t> EncodeIdx(const std::vector<uint32_t>& dims,
                               const std::vector<uint8_t>& data) {
  std::vector<uint8_t> out = {0, 0, kIdxUnsignedByte, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(d >> shift));
  }
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

absl::Status WriteMaybeGzipFile(const std::string& path, const std::vector<uint8_t>& bytes,
                                bool gzip) {
  errno = 0;
  // "wbT": zlib's transparent (uncompressed) write mode.
  GzHandle file(gzopen(path.c_str(), gzip ? "wb6" : "wbT"));
  if (file == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat(
        path, ": cannot create: ", errno != 0 ? std::strerror(errno) : "out of memory"));
  }
  size_t done = 0;
  while (done < bytes.size()) {
    const unsigned n = static_cast<unsigned>(std::min<size_t>(bytes.size() - done, kChunkBytes));
    if (gzwrite(file.get(), bytes.data() + done, n) != static_cast<int>(n)) {
      int code = 0;
      return absl::DataLossError(
          absl::StrCat(path, ": write failed: ", gzerror(file.get(), &code)));
    }
    done += n;
  }
  if (gzclose(file.release()) != Z_OK) {
    return absl::DataLossError(absl::StrCat(path, ": write failed on close"));
  }
  return absl::OkStatus();
}

}  // namespace gaia::cnn
