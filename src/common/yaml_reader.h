// Validating, typed reads out of a parsed yaml-cpp document, for the job spec
// parser (src/common/job_spec.cc). Internal to gaia_common: yaml-cpp types
// never appear in a header outside src/common.
//
// Errors are sticky, like leveldb's bg_error_: the first failed read records
// "<source>:<line>: <path>: <reason>" (1-based line) and every later read is a
// no-op that leaves its output untouched, so a parser is a straight list of
// reads followed by one `if (!reader.ok()) return reader.status();`.
// Cross-field checks that depend on earlier reads must test ok() first.
//
// Never throws: yaml-cpp is only used through calls that do not throw
// (no operator[] on non-maps, no as<T>()).
//
// Example:
//   YamlReader r("job.yaml");
//   YamlFields f = r.Fields(root, "", {"name", "rows"});
//   if (const YAML::Node* n = f.Get("rows", /*required=*/true))
//     r.Unsigned(*n, f.PathOf("rows"), 1, 1000, &rows);
//   if (!r.ok()) return r.status();
//
// Not thread-safe; one reader per parse.
#ifndef GAIA_SRC_COMMON_YAML_READER_H_
#define GAIA_SRC_COMMON_YAML_READER_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "yaml-cpp/yaml.h"

namespace gaia::common::internal {

// Field paths: Child("dcs[1]", "workers") == "dcs[1].workers",
// Child("", "name") == "name", Index("dcs", 1) == "dcs[1]".
std::string Child(absl::string_view path, absl::string_view key);
std::string Index(absl::string_view path, size_t i);

// 1-based line of `node`, or 1 when yaml-cpp has no position for it.
int LineOf(const YAML::Node& node);

// "a map", "a list", "null", "a string", ... for "expected X, got Y".
std::string Describe(const YAML::Node& node);

// True if `s` is non-empty, at most `max_len` long, and every character is
// an ASCII letter, digit, or one of `extra`.
bool IsName(absl::string_view s, absl::string_view extra, size_t max_len);

// Parses `text` as one YAML document; a trailing empty document ("---" at
// the end) is allowed. An empty text gives a null node. Errors read
// "<source>:<line>: YAML syntax error: <reason>" or
// "<source>:<line>: (top level): only one YAML document is allowed ...".
absl::StatusOr<YAML::Node> LoadOneDocument(const std::string& text, const std::string& source);

class YamlReader;

// One key of a map, in document order.
struct YamlEntry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

// The entries of one map that passed YamlReader::Fields / AnyFields.
class YamlFields {
 public:
  // The value of `key`, or nullptr when absent. When absent and `required`,
  // records "<path.key>: required field missing" at the map's line.
  const YAML::Node* Get(absl::string_view key, bool required = false) const;
  std::string PathOf(absl::string_view key) const { return Child(path_, key); }
  const std::vector<YamlEntry>& entries() const { return entries_; }
  const YAML::Node& node() const { return node_; }
  const std::string& path() const { return path_; }

 private:
  friend class YamlReader;
  YamlFields(YamlReader* reader, YAML::Node node, std::string path)
      : reader_(reader), node_(std::move(node)), path_(std::move(path)) {}

  YamlReader* reader_;
  YAML::Node node_;
  std::string path_;
  std::vector<YamlEntry> entries_;
};

class YamlReader {
 public:
  // `source` names the document in every error ("<string>" if empty).
  explicit YamlReader(std::string source);

  bool ok() const { return status_.ok(); }
  const absl::Status& status() const { return status_; }
  const std::string& source() const { return source_; }

  // Records an error at `at`'s line (the first error wins). Always returns
  // false so callers can write `return r.Fail(...)`.
  bool Fail(const YAML::Node& at, absl::string_view path, absl::string_view reason);
  bool FailAtLine(int line, absl::string_view path, absl::string_view reason);
  // Records `reason` unless `condition` holds. Returns `condition`.
  bool Check(bool condition, const YAML::Node& at, absl::string_view path,
             absl::string_view reason);

  // `node` must be a map whose keys are distinct scalars, each one of
  // `accepted` (the error names the key and lists the accepted ones).
  YamlFields Fields(const YAML::Node& node, absl::string_view path,
                    std::initializer_list<absl::string_view> accepted);
  // A map with free-form (but distinct, scalar) keys.
  YamlFields AnyFields(const YAML::Node& node, absl::string_view path);
  // `node` must be a list; returns its elements (empty on error).
  std::vector<YAML::Node> Sequence(const YAML::Node& node, absl::string_view path);

  // Scalar readers. Numbers must be unquoted; a quoted "10" is a string.
  // Strings may be plain or quoted but not null, a list or a map.
  void String(const YAML::Node& node, absl::string_view path, std::string* out);
  void Bool(const YAML::Node& node, absl::string_view path, bool* out);
  // An integer in [min, max]; integral floats such as 1e6 are accepted.
  void Unsigned(const YAML::Node& node, absl::string_view path, uint64_t min, uint64_t max,
                uint64_t* out);
  template <typename T>
  void Unsigned(const YAML::Node& node, absl::string_view path, uint64_t min, uint64_t max,
                T* out) {
    uint64_t v = 0;
    if (!ok()) return;
    Unsigned(node, path, min, max, &v);
    if (ok()) *out = static_cast<T>(v);
  }
  // A finite number.
  void Number(const YAML::Node& node, absl::string_view path, double* out);
  // One of `names` (exact, case-sensitive); stores its index.
  void Choice(const YAML::Node& node, absl::string_view path,
              std::initializer_list<absl::string_view> names, size_t* out);

 private:
  // The scalar text of a plain (unquoted) scalar, or records an error.
  bool PlainScalar(const YAML::Node& node, absl::string_view path, absl::string_view expected,
                   std::string* out);

  std::string source_;
  absl::Status status_;
};

}  // namespace gaia::common::internal

#endif  // GAIA_SRC_COMMON_YAML_READER_H_
