// The names of everything in a results folder, results/<job>/<time>/
// (README "Using it"). `gaia launch` writes them; `gaia cost`, `gaia bench`
// and `gaia flush` read them. One place spells each name, so a reader never
// drifts from the writer.
//
//   RunLayout layout(run_dir);
//   layout.summary_json();                 // <run>/summary.json
//   layout.worker_config("gaia", 3);       // <run>/work/gaia/worker-3.json
//
// A value: cheap to copy, touches no file.
#ifndef GAIA_SRC_CLI_RUN_LAYOUT_H_
#define GAIA_SRC_CLI_RUN_LAYOUT_H_

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace gaia::cli {

class RunLayout {
 public:
  explicit RunLayout(std::filesystem::path run_dir) : dir_(std::move(run_dir)) {}

  // results/<job>/<time> for a run started now: a folder that does not exist
  // yet (two launches in one second get <time>-2, <time>-3, ...).
  static RunLayout ForNewRun(const std::string& results_dir, const std::string& job,
                             const std::string& timestamp);
  // results/<job>: where every run of `job` goes.
  static std::filesystem::path JobDir(const std::string& results_dir, const std::string& job);

  const std::filesystem::path& dir() const { return dir_; }

  // The whole run's files.
  std::string job_yaml() const;       // the spec as run
  std::string summary_json() const;   // written once every mode ended
  std::string metrics_jsonl() const;  // one line per mode and clock
  std::string logs_dir() const;       // logs/
  std::string work_dir() const;       // work/: one folder per mode

  // One mode's folders. `mode` is a mode name ("lan", "gaia", ...).
  std::string logs_dir(std::string_view mode) const;
  std::string work_dir(std::string_view mode) const;
  // Where checkpoint.save_final puts the mode's model (one folder per DC)
  // when the spec names no checkpoint.dir.
  std::string model_dir(std::string_view mode) const;

  // Process logs under logs/<mode>/.
  std::string shard_log(std::string_view mode, size_t shard) const;
  std::string worker_log(std::string_view mode, size_t worker) const;
  // `relay` is "" for the one relay of wan.emulate: proxy, else the DC whose
  // outgoing connections it carries (wan.emulate: netns).
  std::string relay_log(std::string_view mode, std::string_view relay) const;

  // Files the launcher and its children exchange under work/<mode>/.
  std::string shard_port_file(std::string_view mode, size_t shard) const;
  std::string shard_peers_file(std::string_view mode, size_t shard) const;
  std::string relay_config(std::string_view mode, std::string_view relay) const;
  std::string relay_port_file(std::string_view mode, std::string_view relay) const;
  std::string relay_stats_file(std::string_view mode, std::string_view relay) const;
  std::string mirrors_json(std::string_view mode) const;  // what `gaia flush` reads
  std::string worker_config(std::string_view mode, size_t worker) const;
  std::string worker_metrics(std::string_view mode, size_t worker) const;
  // Shared by the workers holding DC `dc`'s data (WorkerOptions::dc_dir).
  std::string dc_dir(std::string_view mode, std::string_view dc) const;

 private:
  std::string InWork(std::string_view mode, const std::string& name) const;

  std::filesystem::path dir_;
};

}  // namespace gaia::cli

#endif  // GAIA_SRC_CLI_RUN_LAYOUT_H_
