#include "src/worker/metrics_writer.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace gaia::internal {
namespace {

std::string JsonNumber(std::optional<double> value) {
  if (!value.has_value() || !std::isfinite(*value)) return "null";
  return absl::StrFormat("%.17g", *value);
}

// Minimal JSON string escaping for the DC and held-out names.
std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace

std::string FormatMetricsLine(const ClockMetrics& m) {
  const std::string held_out =
      m.held_out.has_value()
          ? absl::StrCat(",\"held_out\":{\"name\":", JsonString(m.held_out->name),
                         ",\"sum\":", JsonNumber(m.held_out->sum),
                         ",\"count\":", JsonNumber(m.held_out->count),
                         ",\"root\":", m.held_out->root ? "true" : "false", "}")
          : "";
  const std::string input_bytes =
      m.input_bytes.has_value() ? absl::StrCat(",\"input_bytes\":", *m.input_bytes) : "";
  return absl::StrCat(
      "{\"worker\":", m.worker, ",\"dc\":", JsonString(m.dc), ",\"clock\":", m.clock,
      ",\"time_s\":", JsonNumber(m.time_s),
      ",\"unix_time_s\":", JsonNumber(m.unix_time_s), ",\"objective\":", JsonNumber(m.objective),
      ",\"learning_rate\":", JsonNumber(m.learning_rate), held_out,
      ",\"rows_pushed\":", m.rows_pushed, ",\"bytes_pushed\":", m.bytes_pushed,
      ",\"reads\":", m.reads, ",\"read_wait_s\":", JsonNumber(m.read_wait_s), input_bytes,
      "}");
}

absl::StatusOr<std::unique_ptr<MetricsWriter>> MetricsWriter::Open(
    const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (file == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metrics_path: cannot open '", path, "' for appending: ", std::strerror(errno)));
  }
  return std::unique_ptr<MetricsWriter>(new MetricsWriter(path, file));
}

MetricsWriter::~MetricsWriter() { std::fclose(file_); }

absl::Status MetricsWriter::Append(const ClockMetrics& metrics) {
  std::string line = FormatMetricsLine(metrics);
  line += '\n';
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() ||
      std::fflush(file_) != 0) {
    return absl::InternalError(
        absl::StrCat("metrics_path: write to '", path_, "' failed: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace gaia::internal
