// Streams a text file line by line through a fixed buffer (no copy of the
// whole file: NYTimes' docword file is ~1 GB) and formats "path:line: why"
// errors.
//
//   TextLines in("docword.kos.txt");
//   if (absl::Status s = in.Open(); !s.ok()) return s;
//   absl::string_view line;
//   while (in.Next(&line)) { ... return in.Error("bad count"); ... }
//   if (!in.status().ok()) return in.status();   // I/O error or line too long
//
// A line is what lies between '\n's, without "\r" at its end; a last line
// without '\n' counts. `line` stays valid until the next call. Not
// thread-safe.
#ifndef GAIA_APPS_LDA_TEXT_LINES_H_
#define GAIA_APPS_LDA_TEXT_LINES_H_

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace gaia::lda {

class TextLines {
 public:
  // Lines longer than max_line_bytes stop reading with an error (a corrupt
  // file without newlines must not grow memory without bound).
  explicit TextLines(std::string path, size_t max_line_bytes = size_t{1} << 20);
  ~TextLines();
  TextLines(const TextLines&) = delete;
  TextLines& operator=(const TextLines&) = delete;

  // NotFound for a missing file, InvalidArgument for a directory.
  absl::Status Open();
  // The next line; false at the end of the file or on an error (status()).
  bool Next(absl::string_view* line);
  // OK, or why Next() stopped early.
  const absl::Status& status() const { return status_; }

  // "path:N: reason" for the line last returned (N = 1 before any line).
  absl::Status Error(absl::string_view reason) const;
  int64_t line_number() const { return line_number_; }
  const std::string& path() const { return path_; }

 private:
  bool Fill();  // reads more bytes after the kept tail; false at EOF/error
  // Returns [begin_, stop) less a final '\r' as the line; continues at `next`.
  bool Emit(size_t stop, size_t next, absl::string_view* line);

  std::string path_;
  size_t max_line_bytes_;
  std::FILE* file_ = nullptr;
  std::string buffer_;
  size_t begin_ = 0;   // start of unread bytes in buffer_
  size_t end_ = 0;     // end of valid bytes in buffer_
  bool eof_ = false;
  int64_t line_number_ = 0;
  absl::Status status_;
};

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_TEXT_LINES_H_
