#include "apps/cnn/idx_file.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
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
    return absl::NotFoundError(absl::StrCat(
        path, ": cannot open: ", errno != 0 ? std::strerror(errno) : "out of memory"));
  }
  gzbuffer(file.get(), 256 * 1024);
  std::vector<uint8_t> out;
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
      return absl::DataLossError(absl::StrCat(path, ": corrupt gzip data after ", have,
                                              " unpacked bytes: ", message));
    }
    out.resize(have + static_cast<size_t>(got));
    if (static_cast<unsigned>(got) < kChunkBytes) break;
  }
  int code = Z_OK;
  gzerror(file.get(), &code);
  if (code == Z_BUF_ERROR) {
    return absl::DataLossError(absl::StrCat(path, ": gzip stream truncated after ", out.size(),
                                            " unpacked bytes (unexpected end of file)"));
  }
  if (out.size() > max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat(path, ": larger than ", max_bytes, " bytes (unpacked); not an IDX file?"));
  }
  out.shrink_to_fit();
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
                                    absl::StrJoin(out.dims, "x"), " need more than the ",
                                    available, " data bytes after the ", header,
                                    "-byte header"));
  }
  if (count < available) {
    return Error(name, absl::StrCat(available - count, " unexpected bytes after the data (dims ",
                                    absl::StrJoin(out.dims, "x"), " end at byte ",
                                    header + count, " of ", size, ")"));
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

}  // namespace gaia::cnn
