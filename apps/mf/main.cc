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
// Exit codes: 0 ok, 2 bad arguments, data or table (the message names
// file:line or the table), 1 runtime error.
#include <cmath>
#include <cstdio>
#include <iostream>
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
#include "apps/mf/flags.h"
#include "apps/mf/held_out.h"
#include "apps/mf/sgd.h"
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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gaia_mf: SGD matrix factorization on a Gaia parameter server"};
  gaia::apps::WorkerFlags common;
  gaia::mf::SgdOptions sgd_options;
  std::optional<std::string> data;
  std::string test_data;
  std::string table_name = "R";
  gaia::apps::AddWorkerFlags(app, &common);
  app.add_option("--data", data, "data spec; overrides the config's data");
  app.add_option("--test-data", test_data,
                 "held-out ratings (a data spec, as --data); test RMSE is reported "
                 "each clock. Default: none");
  app.add_option("--table", table_name, "name of the R table")->capture_default_str();
  app.add_option("--threads", sgd_options.threads,
                 "SGD threads per worker (users split over threads)")
      ->capture_default_str();
  gaia::mf::AddSgdFlags(app, &sgd_options);
  if (int rc = gaia::apps::ParseFlags(app, argc, argv); rc >= 0) return rc;

  absl::StatusOr<gaia::WorkerOptions> options =
      gaia::WorkerOptions::FromCommandLine(argc, argv);
  if (!options.ok()) return Fail(kExitBadInput, "worker config", options.status());
  const std::string spec = data.value_or(options->data);

  absl::StatusOr<std::vector<gaia::mf::Rating>> ratings =
      gaia::mf::LoadData(spec, options->data_part, options->data_parts);
  if (!ratings.ok()) return Fail(kExitBadInput, "", ratings.status());
  absl::StatusOr<gaia::mf::LocalSgd> sgd = gaia::mf::LocalSgd::Create(*ratings, sgd_options);
  if (!sgd.ok()) return Fail(kExitBadInput, "", sgd.status());
  uint64_t needed_rows = gaia::mf::RequiredItemRows(*ratings);
  ratings->clear();
  ratings->shrink_to_fit();

  // This worker's share of the held-out ratings: the same users' part.
  std::optional<gaia::mf::HeldOutSet> test;
  if (!test_data.empty()) {
    absl::StatusOr<std::vector<gaia::mf::Rating>> test_ratings =
        gaia::mf::LoadData(test_data, options->data_part, options->data_parts);
    if (!test_ratings.ok()) return Fail(kExitBadInput, "test data", test_ratings.status());
    test = gaia::mf::HeldOutSet::Create(*test_ratings, *sgd);
    for (uint64_t item : test->extra_items()) needed_rows = std::max(needed_rows, item + 1);
  }

  absl::StatusOr<std::unique_ptr<gaia::Worker>> worker = gaia::Worker::Connect(*options);
  if (!worker.ok()) return Fail(kExitRuntimeError, "connect", worker.status());
  const uint32_t k = sgd->rank();
  gaia::apps::TableNeeds needs;
  needs.name = table_name;
  needs.width = k;
  needs.width_source = absl::StrCat("--rank=", k);
  needs.min_rows = needed_rows;
  needs.rows_source = absl::StrCat("the data has item id ", needed_rows - 1);
  absl::StatusOr<gaia::Table> table = gaia::apps::OpenTable(**worker, needs);
  if (!table.ok()) {
    (void)(*worker)->Finish();  // say goodbye so the shards do not wait for us
    return Fail(kExitBadInput, "table", table.status());
  }

  // Raw data size for `gaia cost` (docs/COST.md): 12 bytes per rating, the
  // packed (user, item, value) record this app holds, whatever the source
  // format (text files are larger; the packed form is the cheapest to move).
  static_assert(sizeof(gaia::mf::Rating) == 12);
  (*worker)->ReportInputBytes(static_cast<uint64_t>(sgd->num_ratings()) *
                              sizeof(gaia::mf::Rating));

  // Rows read each clock: the trained items, then items only test ratings name.
  const std::vector<uint64_t>& items = sgd->items();
  std::vector<uint64_t> rows = items;
  if (test.has_value()) {
    rows.insert(rows.end(), test->extra_items().begin(), test->extra_items().end());
  }
  std::vector<float> r(rows.size() * k);
  std::vector<float> delta(items.size() * k);
  std::printf("gaia_mf: worker %u (dc %s, part %u/%u): %zu ratings, %zu users, "
              "%zu items, rank %u, step rule %s",
              options->worker_id, options->dc.c_str(), options->data_part,
              options->data_parts, sgd->num_ratings(), sgd->num_users(), items.size(), k,
              std::string(gaia::mf::StepRuleName(sgd_options.step_rule)).c_str());
  if (test.has_value()) {
    std::printf("; %zu test ratings (%zu of users without training ratings here "
                "skipped), %zu extra rows",
                test->num_ratings(), test->skipped(), test->extra_items().size());
  }
  std::printf("\n");
  std::fflush(stdout);

  const gaia::apps::Stopwatch run;
  for (int64_t t = 0; t < common.clocks; ++t) {
    gaia::apps::Stopwatch lap;
    if (!rows.empty()) {
      if (absl::Status s = table->GetMany(rows, r); !s.ok()) {
        return Fail(kExitRuntimeError, "read R", s);
      }
    }
    const double read_ms = lap.LapMs();
    gaia::mf::LocalSgd::ClockResult result =
        sgd->RunClock(t, std::span<float>(r.data(), delta.size()), delta);
    const double compute_ms = lap.LapMs();
    if (!items.empty()) {
      if (absl::Status s = table->IncMany(items, delta); !s.ok()) {
        return Fail(kExitRuntimeError, "update R", s);
      }
    }
    // Held-out error after this clock's pass, with the rows as read plus this
    // worker's own change (r holds both).
    std::optional<gaia::mf::HeldOutSet::Error> test_error;
    if (test.has_value()) {
      test_error = test->Evaluate(*sgd, r);
      (*worker)->ReportHeldOut("test_rmse", test_error->squared_error,
                               static_cast<double>(test_error->count),
                               /*root_of_mean=*/true);
    }
    const double test_ms = lap.LapMs();
    (*worker)->ReportObjective(result.objective.total());
    (*worker)->ReportLearningRate(result.learning_rate);
    if (absl::Status s = (*worker)->Clock(); !s.ok()) {
      return Fail(kExitRuntimeError, "clock", s);
    }
    const double clock_ms = read_ms + compute_ms + test_ms + lap.LapMs();

    gaia::apps::ProgressLine line;
    line.clock = t + 1;
    line.clocks = common.clocks;
    line.objective = result.objective.total();
    if (test_error.has_value()) {
      line.held_out_name = "test_rmse";
      line.held_out = gaia::mf::Rmse(*test_error);
    }
    line.elapsed_s = run.ElapsedSeconds();
    line.rate_name = "ratings_per_s";
    line.rate = gaia::apps::PerSecond(static_cast<double>(result.updates), clock_ms * 1e-3);
    const double n = static_cast<double>(std::max<uint64_t>(result.objective.ratings, 1));
    line.extra = {{"rmse", std::sqrt(result.objective.squared_error / n)},
                  {"lr", result.learning_rate},
                  {"read_ms", read_ms},
                  {"compute_ms", compute_ms}};
    if (test_error.has_value()) line.extra.emplace_back("test_ms", test_ms);
    line.extra.emplace_back("total_ms", clock_ms);
    gaia::apps::PrintProgressLine(line);
  }
  if (absl::Status s = (*worker)->Finish(); !s.ok()) {
    return Fail(kExitRuntimeError, "finish", s);
  }
  return 0;
}
