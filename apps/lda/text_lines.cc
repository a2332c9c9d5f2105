#include "apps/lda/text_lines.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace gaia::lda {
namespace {
constexpr size_t kChunkBytes = size_t{1} << 20;
}  // namespace

TextLines::TextLines(std::string path, size_t max_line_bytes)
    : path_(std::move(path)), max_line_bytes_(max_line_bytes) {}

TextLines::~TextLines() {
  if (file_ != nullptr) std::fclose(file_);
}

absl::Status TextLines::Open() {
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec)) {
    return absl::NotFoundError(absl::StrCat(path_, ": no such file"));
  }
  if (std::filesystem::is_directory(path_, ec)) {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": is a directory, expected a file"));
  }
  file_ = std::fopen(path_.c_str(), "rb");
  if (file_ == nullptr) {
    return absl::NotFoundError(absl::StrCat(path_, ": cannot open: ", std::strerror(errno)));
  }
  buffer_.resize(kChunkBytes);
  return absl::OkStatus();
}

bool TextLines::Fill() {
  if (eof_ || file_ == nullptr) return false;
  if (begin_ > 0) {  // keep the unfinished line at the front
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ + kChunkBytes > buffer_.size()) buffer_.resize(end_ + kChunkBytes);
  const size_t got = std::fread(buffer_.data() + end_, 1, buffer_.size() - end_, file_);
  end_ += got;
  if (got == 0) {
    eof_ = true;
    if (std::ferror(file_)) {
      status_ = absl::DataLossError(absl::StrCat(path_, ":", line_number_ + 1, ": read error"));
    }
    return false;
  }
  return true;
}

bool TextLines::Next(absl::string_view* line) {
  if (!status_.ok()) return false;
  size_t scanned = 0;  // bytes after begin_ known to hold no '\n'
  for (;;) {
    const char* base = buffer_.data();
    const void* nl = std::memchr(base + begin_ + scanned, '\n', end_ - begin_ - scanned);
    const size_t stop = nl != nullptr ? static_cast<const char*>(nl) - base : end_;
    if (stop - begin_ > max_line_bytes_) {
      status_ = absl::InvalidArgumentError(absl::StrCat(
          path_, ":", line_number_ + 1, ": line longer than ", max_line_bytes_, " bytes"));
      return false;
    }
    if (nl != nullptr) return Emit(stop, stop + 1, line);
    scanned = end_ - begin_;
    if (!Fill()) {
      if (!status_.ok() || end_ == begin_) return false;
      return Emit(end_, end_, line);  // a last line without '\n'
    }
  }
}

bool TextLines::Emit(size_t stop, size_t next, absl::string_view* line) {
  size_t len = stop - begin_;
  if (len > 0 && buffer_[begin_ + len - 1] == '\r') --len;
  *line = absl::string_view(buffer_.data() + begin_, len);
  begin_ = next;
  ++line_number_;
  return true;
}

absl::Status TextLines::Error(absl::string_view reason) const {
  return absl::InvalidArgumentError(
      absl::StrCat(path_, ":", std::max<int64_t>(line_number_, 1), ": ", reason));
}

}  // namespace gaia::lda
