// Parsers for the optional sections of a job spec and the shared field
// readers, split out of job_spec.cc to keep it short. Internal to
// gaia_common; callers use ParseJobSpec / ParseJobSpecFile (job_spec.h).
//
// Each Parse* reads one section into `out` through `r` (sticky errors, see
// yaml_reader.h); fields absent from the YAML keep their defaults.
#ifndef GAIA_SRC_COMMON_JOB_SPEC_SECTIONS_H_
#define GAIA_SRC_COMMON_JOB_SPEC_SECTIONS_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "src/common/job_spec.h"
#include "src/common/yaml_reader.h"

namespace gaia::common::internal {

// Limits, documented in docs/JOB_SPEC.md.
inline constexpr size_t kMaxNameLen = 128;
inline constexpr char kNameChars[] = "_-";      // + letters, digits: tables, DCs, groups
inline constexpr char kJobNameChars[] = "_.-";  // + letters, digits: the job
inline constexpr uint64_t kMaxTables = 1024;
inline constexpr uint64_t kMaxRows = uint64_t{1} << 48;
inline constexpr uint64_t kMaxWidth = uint64_t{1} << 24;  // one row <= 64 MiB
inline constexpr uint64_t kMaxDcs = 64;
inline constexpr uint64_t kMaxShardsPerDc = 1024;
inline constexpr uint64_t kMaxWorkersPerDc = 4096;
inline constexpr uint64_t kMaxStaleness = 1000;
inline constexpr uint64_t kMaxDs = 1000;
inline constexpr uint64_t kMaxConvergenceWindow = 1000000;

// A name of letters, digits and `extra` characters, <= kMaxNameLen long.
void ReadName(YamlReader* r, const YAML::Node& node, absl::string_view path,
              absl::string_view extra, std::string* out);
// ReadName for element `index` of the list `list`, refusing a name an
// earlier element has: "duplicate <kind> name '<name>' (also <list>[j])".
// `seen` maps the names read so far to their indexes.
void ReadUniqueName(YamlReader* r, const YAML::Node& node, absl::string_view path,
                    absl::string_view extra, absl::string_view kind, absl::string_view list,
                    size_t index, std::map<std::string, size_t>* seen, std::string* out);
// A non-empty string (a file or folder path, or a program name).
void ReadPath(YamlReader* r, const YAML::Node& node, absl::string_view path, std::string* out);
// A finite number for which `valid` holds; else "<requirement>, got <text>".
void ReadNumber(YamlReader* r, const YAML::Node& node, absl::string_view path,
                bool (*valid)(double), absl::string_view requirement, double* out);

void ParseConsistency(YamlReader* r, const YAML::Node& node, ConsistencySpec* out);
void ParseAsp(YamlReader* r, const YAML::Node& node, AspSpec* out);
// REQUIRES: `dcs` parsed without error (group members are checked against it).
// On success every group has a hub for every other group; destinations the
// YAML does not list get the group's first DC.
void ParseOverlay(YamlReader* r, const YAML::Node& node, const std::vector<DcSpec>& dcs,
                  std::vector<OverlayGroupSpec>* out);
void ParseWan(YamlReader* r, const YAML::Node& node, WanSpec* out);
void ParseTls(YamlReader* r, const YAML::Node& node, TlsSpec* out);
void ParseCheckpoint(YamlReader* r, const YAML::Node& node, CheckpointSpec* out);
void ParseConvergence(YamlReader* r, const YAML::Node& node, double* window, double* tolerance);

// dcs[].data may be "<format>:<path>" (apps/mf: "movielens:PATH",
// "netflix:PATH"): returns the length of "<format>:" when `data` starts with
// a name of letters, digits, '_', '-' (first a letter) and ':', else 0.
size_t DataFormatPrefixLength(const std::string& data);

// True if `path` (dcs[].data without its format prefix) names a file or
// folder and so is resolved against the spec's folder `base`: it contains
// '/' or '.', or exists in `base`.
bool DataLooksLikePath(const std::filesystem::path& base, const std::string& path);

// Rewrites the relative paths of a spec read from a file in folder `base`
// (absolute) to absolute paths: dcs[].data (the part after any format
// prefix and before the first ',', which starts the source's options, when
// DataLooksLikePath; never values starting with "synthetic"),
// wan.matrix, tls.cert/key/ca, and app.program when it contains '/'.
void ResolveSpecPaths(const std::filesystem::path& base, JobSpec* spec);

}  // namespace gaia::common::internal

#endif  // GAIA_SRC_COMMON_JOB_SPEC_SECTIONS_H_
