// gaia_mf: SGD matrix factorization as a Gaia worker (thesis §5.4.2).
//
// L (user factors) stays in this process; R (item factors, one row per item,
// width = rank) is the parameter table `--table`. Each clock: read this
// worker's R rows (one GetMany), run one SGD pass over the local ratings,
// Inc the change of each row (as the step rule says), score the held-out
// ratings (--test-data), report objective, learning rate and test RMSE,
// Clock().
//
//   gaia_mf --gaia-config=worker.json --clocks=60 --rank=8 --test-data=test.data
//
// Exit codes: 0 ok, 2 bad arguments, data or table, or --device=cuda without a
// CUDA build or GPU (the message names file:line, the table or the reason), 1
// runtime error.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/strings/str_cat.h"
#include "apps/common/flags.h"
#include "apps/common/progress.h"
#include "apps/common/timing.h"
#include "apps/common/worker_table.h"
#include "apps/mf/data_source.h"
#include "apps/mf/engine_flags.h"
#include "apps/mf/flags.h"
#include "apps/mf/held_out.h"
#include "apps/mf/sgd.h"
#include "apps/mf/sgd_engine.h"
#include "gaia/options.h"
#include "gaia/worker.h"

namespace {

using gaia::apps::kExitBadInput;
using gaia::apps::kExitRuntimeError;

int Fail(int code, std::string_view what, const absl::Status& status) {
  std::cerr << "gaia_mf: " << what << (what.empty() ? "" : ": ") << status.message()
            << "\n";
  return code;
}

struct Flags {
  gaia::apps::WorkerFlags common;
  gaia::mf::SgdOptions sgd;
  std::optional<std::string> data;
  std::string test_data;
  std::string table = "R";
  gaia::mf::EngineFlags engine;  // --device, --gpu, --fp16
};

void AddFlags(CLI::App& app, Flags* flags) {
  gaia::apps::AddWorkerFlags(app, &flags->common);
  app.add_option("--data", flags->data, "data spec; overrides the config's data");
  app.add_option("--test-data", flags->test_data,
                 "held-out ratings (a data spec, as --data); test RMSE is reported "
                 "each clock. Default: none");
  app.add_option("--table", flags->table, "name of the R table")->capture_default_str();
  app.add_option("--threads", flags->sgd.threads,
                 "SGD threads per worker (users split over threads)")
      ->capture_default_str();
  gaia::mf::AddSgdFlags(app, &flags->sgd);
  gaia::mf::AddEngineFlags(app, &flags->engine);
}

// What this worker trains and scores: its part of the ratings (as an
// SgdEngine on the chosen device), its users' part of the held-out ratings, and the R rows it
// reads each clock (the trained items, then items only test ratings name).
struct LocalData {
  std::unique_ptr<gaia::mf::SgdEngine> engine;
  const gaia::mf::LocalSgd& sgd() const { return engine->model(); }
  std::optional<gaia::mf::HeldOutSet> test;
  std::vector<uint64_t> rows;
  uint64_t min_table_rows = 0;  // the largest item id + 1
};

absl::StatusOr<LocalData> LoadLocalData(const Flags& flags, const gaia::WorkerOptions& options,
                                        const gaia::mf::SgdEngineFactory& make_engine) {
  absl::StatusOr<std::vector<gaia::mf::Rating>> ratings = gaia::mf::LoadData(
      flags.data.value_or(options.data), options.data_part, options.data_parts);
  if (!ratings.ok()) return ratings.status();
  absl::StatusOr<std::unique_ptr<gaia::mf::SgdEngine>> engine =
      make_engine(*ratings, flags.sgd);
  if (!engine.ok()) return engine.status();
  LocalData local{.engine = std::move(*engine),
                  .test = std::nullopt,
                  .rows = {},
                  .min_table_rows = gaia::mf::RequiredItemRows(*ratings)};
  ratings->clear();
  ratings->shrink_to_fit();
  local.rows = local.sgd().items();
  if (!flags.test_data.empty()) {
    absl::StatusOr<std::vector<gaia::mf::Rating>> test =
        gaia::mf::LoadData(flags.test_data, options.data_part, options.data_parts);
    if (!test.ok()) {
      return absl::Status(test.status().code(),
                          absl::StrCat("test data: ", test.status().message()));
    }
    local.test = gaia::mf::HeldOutSet::Create(*test, local.sgd());
    for (uint64_t item : local.test->extra_items()) {
      local.min_table_rows = std::max(local.min_table_rows, item + 1);
      local.rows.push_back(item);
    }
  }
  return local;
}

void PrintStart(const gaia::WorkerOptions& options, const Flags& flags, const LocalData& local) {
  const gaia::mf::LocalSgd& sgd = local.sgd();
  std::printf("gaia_mf: worker %u (dc %s, part %u/%u): %zu ratings, %zu users, "
              "%zu items, rank %u, step rule %s, on %s",
              options.worker_id, options.dc.c_str(), options.data_part, options.data_parts,
              sgd.num_ratings(), sgd.num_users(), sgd.items().size(), sgd.rank(),
              std::string(gaia::mf::StepRuleName(flags.sgd.step_rule)).c_str(),
              local.engine->Describe().c_str());
  if (local.test.has_value()) {
    std::printf("; %zu test ratings (%zu of users without training ratings here "
                "skipped), %zu extra rows",
                local.test->num_ratings(), local.test->skipped(),
                local.test->extra_items().size());
  }
  std::printf("\n");
  std::fflush(stdout);
}

// One clock's results and where its time went (ms).
struct ClockReport {
  gaia::mf::LocalSgd::ClockResult result;
  std::optional<gaia::mf::HeldOutSet::Error> test_error;
  double read_ms = 0, compute_ms = 0, test_ms = 0, total_ms = 0;
};

// Clock t: read the rows, one SGD pass, push the rows' change, score the
// held-out ratings with the rows as read plus this worker's own change (`r`
// holds both), report, Clock(). Errors say which step failed.
absl::Status RunClock(int64_t t, gaia::Worker& worker, gaia::Table& table, LocalData& local,
                      std::vector<float>& r, std::vector<float>& delta, ClockReport* report) {
  gaia::apps::Stopwatch lap;
  if (!local.rows.empty()) {
    if (absl::Status s = table.GetMany(local.rows, r); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("read R: ", s.message()));
    }
  }
  report->read_ms = lap.LapMs();
  absl::StatusOr<gaia::mf::LocalSgd::ClockResult> result =
      local.engine->RunClock(t, std::span<float>(r.data(), delta.size()), delta);
  if (!result.ok()) {
    return absl::Status(result.status().code(), absl::StrCat("sgd: ", result.status().message()));
  }
  report->result = *result;
  report->compute_ms = lap.LapMs();
  if (!local.sgd().items().empty()) {
    if (absl::Status s = table.IncMany(local.sgd().items(), delta); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("update R: ", s.message()));
    }
  }
  if (local.test.has_value()) {
    if (absl::Status s = local.engine->SyncModel(); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("copy L back: ", s.message()));
    }
    report->test_error = local.test->Evaluate(local.sgd(), r);
    worker.ReportHeldOut("test_rmse", report->test_error->squared_error,
                         static_cast<double>(report->test_error->count),
                         /*root_of_mean=*/true);
  }
  report->test_ms = lap.LapMs();
  worker.ReportObjective(report->result.objective.total());
  worker.ReportLearningRate(report->result.learning_rate);
  if (absl::Status s = worker.Clock(); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("clock: ", s.message()));
  }
  report->total_ms = report->read_ms + report->compute_ms + report->test_ms + lap.LapMs();
  return absl::OkStatus();
}

void PrintClock(int64_t t, int64_t clocks, const gaia::apps::Stopwatch& run,
                const ClockReport& report) {
  const gaia::mf::LocalSgd::ClockResult& result = report.result;
  gaia::apps::ProgressLine line;
  line.clock = t + 1;
  line.clocks = clocks;
  line.objective = result.objective.total();
  if (report.test_error.has_value()) {
    line.held_out_name = "test_rmse";
    line.held_out = gaia::mf::Rmse(*report.test_error);
  }
  line.elapsed_s = run.ElapsedSeconds();
  line.rate_name = "ratings_per_s";
  line.rate =
      gaia::apps::PerSecond(static_cast<double>(result.updates), report.total_ms * 1e-3);
  const double n = static_cast<double>(std::max<uint64_t>(result.objective.ratings, 1));
  line.extra = {{"rmse", std::sqrt(result.objective.squared_error / n)},
                {"lr", result.learning_rate},
                {"read_ms", report.read_ms},
                {"compute_ms", report.compute_ms}};
  if (report.test_error.has_value()) line.extra.emplace_back("test_ms", report.test_ms);
  line.extra.emplace_back("total_ms", report.total_ms);
  gaia::apps::PrintProgressLine(line);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gaia_mf: SGD matrix factorization on a Gaia parameter server"};
  Flags flags;
  AddFlags(app, &flags);
  if (int rc = gaia::apps::ParseFlags(app, argc, argv); rc >= 0) return rc;

  // Before the config is read: a worker that cannot use its device says so
  // first, whatever else is wrong.
  absl::StatusOr<gaia::mf::SgdEngineFactory> make_engine =
      gaia::mf::ChooseEngine(flags.engine, "gaia_mf");
  if (!make_engine.ok()) return Fail(kExitBadInput, "", make_engine.status());
  absl::StatusOr<gaia::WorkerOptions> options =
      gaia::WorkerOptions::FromCommandLine(argc, argv);
  if (!options.ok()) return Fail(kExitBadInput, "worker config", options.status());
  absl::StatusOr<LocalData> local = LoadLocalData(flags, *options, *make_engine);
  if (!local.ok()) return Fail(kExitBadInput, "", local.status());

  absl::StatusOr<std::unique_ptr<gaia::Worker>> worker = gaia::Worker::Connect(*options);
  if (!worker.ok()) return Fail(kExitRuntimeError, "connect", worker.status());
  const uint32_t k = local->sgd().rank();
  gaia::apps::TableNeeds needs;
  needs.name = flags.table;
  needs.width = k;
  needs.width_source = absl::StrCat("--rank=", k);
  needs.min_rows = local->min_table_rows;
  needs.rows_source = absl::StrCat("the data has item id ", local->min_table_rows - 1);
  absl::StatusOr<gaia::Table> table = gaia::apps::OpenTable(**worker, needs);
  if (!table.ok()) {
    (void)(*worker)->Finish();  // say goodbye so the shards do not wait for us
    return Fail(kExitBadInput, "table", table.status());
  }

  // Raw data size for `gaia cost` (docs/COST.md): 12 bytes per rating, the
  // packed (user, item, value) record this app holds, whatever the source
  // format (text files are larger; the packed form is the cheapest to move).
  static_assert(sizeof(gaia::mf::Rating) == 12);
  (*worker)->ReportInputBytes(static_cast<uint64_t>(local->sgd().num_ratings()) *
                              sizeof(gaia::mf::Rating));
  PrintStart(*options, flags, *local);

  std::vector<float> r(local->rows.size() * k);
  std::vector<float> delta(local->sgd().items().size() * k);
  const gaia::apps::Stopwatch run;
  for (int64_t t = 0; t < flags.common.clocks; ++t) {
    ClockReport report;
    if (absl::Status s = RunClock(t, **worker, *table, *local, r, delta, &report); !s.ok()) {
      return Fail(kExitRuntimeError, "", s);
    }
    PrintClock(t, flags.common.clocks, run, report);
  }
  if (absl::Status s = (*worker)->Finish(); !s.ok()) {
    return Fail(kExitRuntimeError, "finish", s);
  }
  return 0;
}
