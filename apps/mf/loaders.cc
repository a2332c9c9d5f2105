#include "apps/mf/loaders.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace gaia::mf {
namespace {

namespace fs = std::filesystem;

// Reads a text file line by line and formats "path:line: reason" errors.
class LineReader {
 public:
  explicit LineReader(std::string path) : path_(std::move(path)) {}

  absl::Status Open() {
    std::error_code ec;
    if (!fs::exists(path_, ec)) {
      return absl::NotFoundError(absl::StrCat(path_, ": no such file"));
    }
    if (fs::is_directory(path_, ec)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path_, ": is a directory, expected a file"));
    }
    in_.open(path_, std::ios::binary);
    if (!in_) {
      return absl::NotFoundError(
          absl::StrCat(path_, ": cannot open: ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }

  // Next line without its line terminator ("\n" or "\r\n"); false at end.
  bool Next(absl::string_view* line) {
    if (!std::getline(in_, buffer_)) return false;
    ++line_number_;
    if (!buffer_.empty() && buffer_.back() == '\r') buffer_.pop_back();
    *line = buffer_;
    return true;
  }

  // OK unless reading stopped on an I/O error rather than end of file.
  absl::Status Finish() const {
    if (in_.bad()) {
      return absl::DataLossError(absl::StrCat(path_, ":", line_number_,
                                              ": read error"));
    }
    return absl::OkStatus();
  }

  absl::Status Error(absl::string_view reason) const {
    return absl::InvalidArgumentError(
        absl::StrCat(path_, ":", line_number_, ": ", reason));
  }

  // The error for a file with no ratings at all (not even other parts').
  absl::Status EmptyError() const {
    return absl::InvalidArgumentError(absl::StrCat(
        path_, ":", std::max<int64_t>(line_number_, 1),
        line_number_ == 0 ? ": empty file, no ratings" : ": no ratings in file"));
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::ifstream in_;
  std::string buffer_;
  int64_t line_number_ = 0;
};

absl::StatusOr<uint32_t> ParseId(const LineReader& reader, absl::string_view field,
                                 absl::string_view what, uint32_t max_id) {
  uint64_t id = 0;
  field = absl::StripAsciiWhitespace(field);
  if (field.empty() || field[0] == '-' || field[0] == '+' ||
      !absl::SimpleAtoi(field, &id)) {
    return reader.Error(absl::StrCat("bad ", what, " id '", field,
                                     "' (expected a non-negative integer)"));
  }
  if (id > max_id) {
    return reader.Error(
        absl::StrCat(what, " id ", id, " is too large (max ", max_id, ")"));
  }
  return static_cast<uint32_t>(id);
}

absl::StatusOr<float> ParseValue(const LineReader& reader, absl::string_view field,
                                 const LoadOptions& options) {
  double value = 0;
  field = absl::StripAsciiWhitespace(field);
  if (field.empty() || !absl::SimpleAtod(field, &value) || !std::isfinite(value)) {
    return reader.Error(absl::StrCat("bad rating '", field, "' (expected a number)"));
  }
  if (value < options.min_value || value > options.max_value) {
    return reader.Error(absl::StrCat("rating ", value, " is out of range [",
                                     options.min_value, ", ", options.max_value,
                                     "]"));
  }
  return static_cast<float>(value);
}

absl::Status CheckParts(const LoadOptions& options) {
  if (options.parts == 0 || options.part >= options.parts) {
    return absl::InvalidArgumentError(absl::StrCat(
        "data part ", options.part, " of ", options.parts, " is not a valid part"));
  }
  return absl::OkStatus();
}

// Shared by both MovieLens formats: 4 fields "user item rating timestamp".
absl::StatusOr<std::vector<Rating>> LoadFourColumn(const std::string& path,
                                                   const LoadOptions& options,
                                                   char separator, bool csv) {
  if (absl::Status s = CheckParts(options); !s.ok()) return s;
  LineReader reader(path);
  if (absl::Status s = reader.Open(); !s.ok()) return s;
  std::vector<Rating> out;
  int64_t seen = 0;
  bool first = true;
  absl::string_view line;
  while (reader.Next(&line)) {
    const bool is_first = first;
    first = false;
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line, separator);
    const absl::string_view first_field = absl::StripAsciiWhitespace(fields[0]);
    if (csv && is_first &&
        (first_field.empty() || !absl::ascii_isdigit(first_field[0]))) {
      if (fields.size() != 4 || first_field != "userId") {
        return reader.Error(
            "bad header (expected 'userId,movieId,rating,timestamp')");
      }
      continue;  // the header
    }
    if (fields.size() != 4) {
      return reader.Error(absl::StrCat("expected 4 ",
                                       csv ? "comma" : "tab",
                                       "-separated fields (user, item, rating, "
                                       "timestamp), got ",
                                       fields.size()));
    }
    absl::StatusOr<uint32_t> user = ParseId(reader, fields[0], "user", kMaxUserId);
    if (!user.ok()) return user.status();
    absl::StatusOr<uint32_t> item = ParseId(reader, fields[1], "item", kMaxItemId);
    if (!item.ok()) return item.status();
    absl::StatusOr<float> value = ParseValue(reader, fields[2], options);
    if (!value.ok()) return value.status();
    int64_t timestamp = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(fields[3]), &timestamp)) {
      return reader.Error(absl::StrCat("bad timestamp '", fields[3], "'"));
    }
    ++seen;
    if (PartOf(*user, options.parts) == options.part) {
      out.push_back(Rating{*user, *item, *value});
    }
  }
  if (absl::Status s = reader.Finish(); !s.ok()) return s;
  if (seen == 0) return reader.EmptyError();
  return out;
}

// Parses one Netflix file into `out`; adds the number of ratings to `seen`.
absl::Status LoadNetflixFile(const std::string& path, const LoadOptions& options,
                             std::vector<Rating>* out, int64_t* seen) {
  LineReader reader(path);
  if (absl::Status s = reader.Open(); !s.ok()) return s;
  bool have_movie = false;
  uint32_t movie = 0;
  int64_t lines = 0;
  absl::string_view line;
  while (reader.Next(&line)) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    ++lines;
    if (line.back() == ':') {
      absl::StatusOr<uint32_t> id =
          ParseId(reader, line.substr(0, line.size() - 1), "movie", kMaxItemId);
      if (!id.ok()) return id.status();
      movie = *id;
      have_movie = true;
      continue;
    }
    if (!have_movie) {
      return reader.Error("rating before the first '<movie>:' line");
    }
    std::vector<absl::string_view> fields = absl::StrSplit(line, ',');
    if (fields.size() != 3) {
      return reader.Error(absl::StrCat(
          "expected 3 comma-separated fields (user, rating, date), got ",
          fields.size()));
    }
    absl::StatusOr<uint32_t> user = ParseId(reader, fields[0], "user", kMaxUserId);
    if (!user.ok()) return user.status();
    absl::StatusOr<float> value = ParseValue(reader, fields[1], options);
    if (!value.ok()) return value.status();
    ++*seen;
    if (PartOf(*user, options.parts) == options.part) {
      out->push_back(Rating{*user, movie, *value});
    }
  }
  if (absl::Status s = reader.Finish(); !s.ok()) return s;
  if (lines == 0) return reader.EmptyError();
  return absl::OkStatus();
}

}  // namespace

const char* DataFormatName(DataFormat format) {
  switch (format) {
    case DataFormat::kAuto: return "auto";
    case DataFormat::kMovieLensData: return "movielens-data";
    case DataFormat::kMovieLensCsv: return "movielens-csv";
    case DataFormat::kNetflix: return "netflix";
  }
  return "unknown";
}

absl::StatusOr<DataFormat> DetectFormat(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  }
  if (fs::is_directory(path, ec)) return DataFormat::kNetflix;
  const std::string name = fs::path(path).filename().string();
  if (absl::EndsWith(name, ".csv")) return DataFormat::kMovieLensCsv;
  if (name == "u.data" || absl::EndsWith(name, ".data")) {
    return DataFormat::kMovieLensData;
  }
  if (absl::StartsWith(name, "mv_") || absl::StartsWith(name, "combined_data")) {
    return DataFormat::kNetflix;
  }
  LineReader reader(path);
  if (absl::Status s = reader.Open(); !s.ok()) return s;
  absl::string_view line;
  while (reader.Next(&line)) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    if (line.back() == ':') return DataFormat::kNetflix;
    if (absl::StartsWith(line, "userId,")) return DataFormat::kMovieLensCsv;
    if (std::count(line.begin(), line.end(), '\t') == 3) {
      return DataFormat::kMovieLensData;
    }
    if (std::count(line.begin(), line.end(), ',') == 3) {
      return DataFormat::kMovieLensCsv;
    }
    return reader.Error(
        "cannot tell the data format from this line (expected MovieLens "
        "u.data, MovieLens ratings.csv or Netflix)");
  }
  if (absl::Status s = reader.Finish(); !s.ok()) return s;
  return reader.EmptyError();
}

absl::StatusOr<std::vector<Rating>> LoadMovieLensData(const std::string& path,
                                                      const LoadOptions& options) {
  return LoadFourColumn(path, options, '\t', /*csv=*/false);
}

absl::StatusOr<std::vector<Rating>> LoadMovieLensCsv(const std::string& path,
                                                     const LoadOptions& options) {
  return LoadFourColumn(path, options, ',', /*csv=*/true);
}

absl::StatusOr<std::vector<Rating>> LoadNetflix(const std::string& path,
                                                const LoadOptions& options) {
  if (absl::Status s = CheckParts(options); !s.ok()) return s;
  std::error_code ec;
  std::vector<std::string> files;
  if (fs::is_directory(path, ec)) {
    for (const fs::directory_entry& entry : fs::directory_iterator(path, ec)) {
      const std::string name = entry.path().filename().string();
      if (entry.is_regular_file(ec) && absl::StartsWith(name, "mv_") &&
          absl::EndsWith(name, ".txt")) {
        files.push_back(entry.path().string());
      }
    }
    if (ec) {
      return absl::NotFoundError(
          absl::StrCat(path, ": cannot list directory: ", ec.message()));
    }
    if (files.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": directory has no mv_*.txt files"));
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }
  std::vector<Rating> out;
  int64_t seen = 0;
  for (const std::string& file : files) {
    if (absl::Status s = LoadNetflixFile(file, options, &out, &seen); !s.ok()) {
      return s;
    }
  }
  if (seen == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no ratings"));
  }
  return out;
}

absl::StatusOr<std::vector<Rating>> LoadRatings(const std::string& path,
                                                const LoadOptions& options) {
  DataFormat format = options.format;
  if (format == DataFormat::kAuto) {
    absl::StatusOr<DataFormat> detected = DetectFormat(path);
    if (!detected.ok()) return detected.status();
    format = *detected;
  }
  switch (format) {
    case DataFormat::kMovieLensData: return LoadMovieLensData(path, options);
    case DataFormat::kMovieLensCsv: return LoadMovieLensCsv(path, options);
    case DataFormat::kNetflix: return LoadNetflix(path, options);
    case DataFormat::kAuto: break;
  }
  return absl::InternalError("unreachable data format");
}

}  // namespace gaia::mf
