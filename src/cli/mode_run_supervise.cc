// ModeRun: supervising the running job, then settling and checking its models.
#include <algorithm>
#include <filesystem>
#include <ostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/cli/mode_run.h"
#include "src/cli/progress.h"

namespace gaia::cli {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(100);

}  // namespace

absl::Status ModeRun::Supervise() {
  metrics_ = std::make_unique<MetricsCollector>(
      worker_sources_, static_cast<uint32_t>(topo_.host_dcs.size()), start_unix_s_);
  metrics_out_.open(layout_.metrics_jsonl(), std::ios::app);
  last_progress_ = Clock::now();
  while (true) {
    const Clock::time_point now = Clock::now();
    const double elapsed = std::chrono::duration<double>(now - t0_).count();
    if (absl::Status st = CheckStillWanted(elapsed); !st.ok()) return st;
    bool all_done = true;
    if (absl::Status st = PollChildren(&all_done); !st.ok()) return st;
    FetchRemoteMetrics(all_done);
    metrics_->Poll();
    const bool progress_due = all_done || now - last_progress_ >= std::chrono::duration<double>(
                                                                      options_.progress_interval_s);
    if (monitor_ && progress_due) mirror_totals_ = monitor_->Poll();
    const RelayStats relay_stats = uses_relays() ? ReadRelayStats(relay_plans_) : RelayStats{};
    const uint64_t wan_bytes = uses_relays() ? relay_stats.total_bytes
                               : monitor_    ? mirror_totals_.bytes()
                                             : 0;
    WriteClockLines(wan_bytes);
    if (options_.progress && progress_due) ShowProgress(now, elapsed, relay_stats, wan_bytes);
    if (all_done) break;
    std::this_thread::sleep_for(kPollInterval);
  }
  if (options_.progress && options_.progress_is_tty && progress_printed_) {
    *options_.progress << "\n";
  }
  return absl::OkStatus();
}

absl::Status ModeRun::CheckStillWanted(double elapsed_s) const {
  if (options_.stop_requested && options_.stop_requested->load()) {
    return absl::CancelledError("interrupted (Ctrl-C); stopped every process");
  }
  if (elapsed_s > spec_.timeout_s) {
    return absl::DeadlineExceededError(
        absl::StrFormat("job exceeded timeout_s = %g; stopped every process", spec_.timeout_s));
  }
  return absl::OkStatus();
}

// Shards and relays must outlive the workers; a worker must end with code 0.
absl::Status ModeRun::PollChildren(bool* all_done) {
  for (auto& shard : children_.shards) {
    if (auto exit = shard->Poll()) return ChildFailed(*shard, *exit);
  }
  for (auto& relay : children_.relays) {
    if (auto exit = relay->Poll()) return ChildFailed(*relay, *exit);
  }
  *all_done = true;
  for (size_t w = 0; w < children_.workers.size(); ++w) {
    if (children_.worker_done[w]) continue;
    if (auto exit = children_.workers[w]->Poll()) {
      if (exit->exit_code != 0) return ChildFailed(*children_.workers[w], *exit);
      children_.worker_done[w] = true;
    } else {
      *all_done = false;
    }
  }
  return absl::OkStatus();
}

// One metrics.jsonl line per clock every worker has completed.
void ModeRun::WriteClockLines(uint64_t wan_bytes) {
  for (const ClockRecord& record : metrics_->TakeCompleted()) {
    json line = {{"mode", mode_name_},
                 {"clock", record.clock},
                 {"time_s", record.time_s},
                 {"rows_pushed", record.rows_pushed},
                 {"bytes_pushed", record.bytes_pushed},
                 {"read_wait_s", record.read_wait_s},
                 {"wan_bytes", wan_bytes}};
    if (record.objective) line["objective"] = *record.objective;
    if (record.held_out) {
      line["held_out"] = {{"name", record.held_out_name}, {"value", *record.held_out}};
    }
    if (monitor_ && mirror_totals_.ok) {
      line["hard_threshold"] = mirror_totals_.hard_threshold;
      line["soft_threshold"] = mirror_totals_.soft_threshold;
      line["filtered_fraction"] = mirror_totals_.filtered_fraction();
    }
    metrics_out_ << line.dump() << "\n";
    result_.clocks_completed = record.clock + 1;
  }
  metrics_out_.flush();
}

void ModeRun::ShowProgress(Clock::time_point now, double elapsed_s, const RelayStats& relay_stats,
                           uint64_t wan_bytes) {
  const double dt = std::max(1e-3, std::chrono::duration<double>(now - last_progress_).count());
  ProgressState state;
  state.mode = options_.mode;
  state.elapsed_s = elapsed_s;
  state.clocks = spec_.app.clocks;
  state.dcs = topo_.host_dcs;
  state.dc_clocks = metrics_->DcClocks();
  if (!metrics_->objective_series().empty()) {
    state.objective = metrics_->objective_series().back().objective;
  }
  if (!metrics_->held_out_series().empty()) {
    state.held_out_name = metrics_->held_out_name();
    state.held_out = metrics_->held_out_series().back().objective;
  }
  state.updates_per_s =
      static_cast<double>(metrics_->total_rows_pushed() - rows_at_last_progress_) / dt;
  rows_at_last_progress_ = metrics_->total_rows_pushed();
  state.wan_bytes = wan_bytes;
  std::map<std::string, uint64_t> link_bytes = LinkBytes(
      uses_relays() ? &relay_stats : nullptr, monitor_ ? &mirror_totals_ : nullptr, topo_);
  state.links = LinkRates(link_bytes, link_bytes_at_last_progress_, dt);
  link_bytes_at_last_progress_ = std::move(link_bytes);
  state.mirror = monitor_ ? &mirror_totals_ : nullptr;
  const std::string line = FormatProgress(state);
  if (options_.progress_is_tty) {
    *options_.progress << "\r\033[K" << line << std::flush;
  } else {
    *options_.progress << line << "\n" << std::flush;
  }
  progress_printed_ = true;
  last_progress_ = now;
}

// Gaia modes: every worker is done, so every shard flushed its accumulators;
// waits until the mirrors delivered everything (DESIGN.md §4.2.5).
absl::Status ModeRun::AwaitMirrorsSettled() {
  if (!monitor_) return absl::OkStatus();
  const double left_s = spec_.timeout_s - SecondsSinceStart();
  if (auto st = monitor_->AwaitSettled(absl::Seconds(std::max(1.0, left_s))); !st.ok()) return st;
  mirror_totals_ = monitor_->Poll();
  result_.mirror = mirror_totals_;
  return absl::OkStatus();
}

// Gaia modes: the DC copies must agree after the final flush. Each clock
// group's model is fetched from its shards.
absl::Status ModeRun::FetchAndCompareModels() {
  if (!gaia_mode() && !spec_.checkpoint.save_final) return absl::OkStatus();
  std::vector<Model> models;
  for (const common::ClockGroup& group : topo_.groups) {
    std::vector<std::string> addresses;
    for (uint32_t s : group.shards) {
      addresses.push_back(LauncherAddress(placement_, s, shard_ports_[s]));
    }
    absl::StatusOr<Model> model = FetchModel(spec_, addresses, *security_);
    if (!model.ok()) return model.status();
    models.push_back(std::move(*model));
  }
  // Every copy against the first; a pair that cannot be compared fails the
  // run (after the checkpoint is saved, so the copies can be inspected).
  absl::Status compared = absl::OkStatus();
  for (size_t g = 1; g < models.size(); ++g) {
    absl::StatusOr<double> diff = MaxAbsDifference(models[0], models[g]);
    if (!diff.ok()) {
      compared = absl::Status(
          diff.status().code(),
          absl::StrCat("the model copies of dc ", topo_.host_dcs[0], " and dc ",
                       topo_.host_dcs[g], " cannot be compared: ", diff.status().message()));
      break;
    }
    result_.dc_max_difference = std::max(result_.dc_max_difference, *diff);
  }
  if (spec_.checkpoint.save_final) {
    if (absl::Status saved = SaveCheckpoint(models); !saved.ok()) return saved;
  }
  return compared;
}

absl::Status ModeRun::SaveCheckpoint(const std::vector<Model>& models) {
  const fs::path base = spec_.checkpoint.dir.empty() ? fs::path(layout_.model_dir(mode_name_))
                                                     : fs::path(spec_.checkpoint.dir) / mode_name_;
  for (size_t g = 0; g < models.size(); ++g) {
    // In gaia modes each clock group is one DC; otherwise one global model.
    const std::string dc = gaia_mode() ? topo_.host_dcs[g] : std::string("global");
    if (auto st = SaveModel(spec_, models[g], dc, (base / dc).string()); !st.ok()) return st;
  }
  result_.model_dir = base.string();
  return absl::OkStatus();
}

}  // namespace gaia::cli
