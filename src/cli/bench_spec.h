// The job specs `gaia bench` runs: one per setting and consistency model,
// derived from the user's spec (docs/BENCH.md).
//
// A setting is one of the thesis's WAN configurations, a shipped link-matrix
// preset (tools/wan_emulator/presets). Deriving renames the spec's DCs, in
// order, to the preset's regions (overlay groups follow), replaces `wan:`
// with {emulate, preset, bandwidth_scale}, sets `consistency:`, the mode list,
// `results_dir` and optionally `app.clocks`, and turns every path the spec
// holds into an absolute one so the derived file runs from any folder.
// Everything else is kept as the user wrote it.
//
//   SpecVariant v;
//   v.setting = "vc";
//   v.modes = {common::Mode::kLan, common::Mode::kGaia};
//   absl::StatusOr<DerivedSpec> d = DeriveSpec("examples/mf-2dc.yaml", v);
//   if (d.ok()) std::ofstream("vc-bsp.yaml") << d->yaml;
#ifndef GAIA_SRC_CLI_BENCH_SPEC_H_
#define GAIA_SRC_CLI_BENCH_SPEC_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/common/job_spec.h"

namespace gaia::cli {

struct BenchSetting {
  std::string name;     // what --settings takes: "vc", "ss", "ec2-11"
  std::string preset;   // the link-matrix preset: "vc-2dc", ...
  std::string label;    // for tables and plot titles: "2-DC V/C"
  std::string example;  // a shipped spec with the right number of DCs
};

// Every setting, in the order the table lists them.
const std::vector<BenchSetting>& BenchSettings();
// InvalidArgument listing the known names when `name` is not one.
absl::StatusOr<BenchSetting> FindBenchSetting(const std::string& name);

// One derived spec's choices.
struct SpecVariant {
  std::string setting;  // a BenchSettings() name
  common::ConsistencyModel model = common::ConsistencyModel::kBsp;
  int32_t staleness = 0;            // ssp only; bsp always gets 0
  std::vector<common::Mode> modes;  // run in this order; non-empty
  common::WanEmulation emulate = common::WanEmulation::kProxy;
  double bandwidth_scale = 1;  // multiplies the preset's real-world Mbit/s; > 0
  uint32_t clocks = 0;         // app.clocks; 0 keeps the spec's
  std::string results_dir;     // "" keeps the spec's
  std::string header;          // comment lines written atop the YAML ("" = none)
};

struct DerivedSpec {
  std::string yaml;                            // the spec text, ready to write
  std::vector<std::string> regions;            // the derived DC names, in spec order
  std::map<std::string, std::string> renamed;  // the spec's DC name -> region
};

// Reads and validates `spec_path` (errors as ParseJobSpecFile's), then
// derives. InvalidArgument when the spec's DC count differs from the
// setting's region count (naming the setting, the count it needs and a
// shipped spec that fits), or when the variant's values are out of range.
absl::StatusOr<DerivedSpec> DeriveSpec(const std::string& spec_path, const SpecVariant& variant);

// The staleness `gaia bench` gives ssp runs when --staleness is not set: the
// spec's own if it asks for ssp, else 2.
int32_t DefaultSspStaleness(const common::JobSpec& spec);

}  // namespace gaia::cli

#endif  // GAIA_SRC_CLI_BENCH_SPEC_H_
