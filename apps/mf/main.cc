// gaia_mf: SGD matrix factorization as a Gaia worker (thesis §5.4.2).
//
// L (user factors) stays in this process; R (item factors, one row per item,
// width = rank) is the parameter table `--table`. Each clock: read this
// worker's R rows (one GetMany), run one SGD pass over the local ratings,
// Inc the change of each row, report objective and learning rate, Clock().
//
//   gaia_mf --gaia-config=worker.json --clocks=60 --rank=8
//
// Exit codes: 0 ok, 2 bad arguments or data (the message names file:line),
// 1 runtime error.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/strings/match.h"
#include "apps/mf/data_source.h"
#include "apps/mf/flags.h"
#include "apps/mf/sgd.h"
#include "gaia/options.h"
#include "gaia/worker.h"

namespace {

int Fail(int code, std::string_view what, const absl::Status& status) {
  std::cerr << "gaia_mf: " << what << (what.empty() ? "" : ": ") << status.message()
            << "\n";
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gaia_mf: SGD matrix factorization on a Gaia parameter server"};
  gaia::mf::SgdOptions sgd_options;
  std::string gaia_config;
  std::optional<std::string> data;
  int64_t clocks = 60;
  std::string table_name = "R";
  app.add_option("--gaia-config", gaia_config,
                 "worker config written by `gaia launch` (read by the worker library)")
      ->required();
  app.add_option("--data", data, "data spec; overrides the config's data");
  app.add_option("--clocks", clocks, "iterations (SGD passes) to run")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  app.add_option("--table", table_name, "name of the R table")->capture_default_str();
  app.add_option("--threads", sgd_options.threads,
                 "SGD threads per worker (users split over threads)")
      ->capture_default_str();
  gaia::mf::AddSgdFlags(app, &sgd_options);
  if (int rc = gaia::mf::ParseFlags(app, argc, argv); rc >= 0) return rc;

  absl::StatusOr<gaia::WorkerOptions> options =
      gaia::WorkerOptions::FromCommandLine(argc, argv);
  if (!options.ok()) return Fail(2, "worker config", options.status());
  const std::string spec = data.value_or(options->data);

  absl::StatusOr<std::vector<gaia::mf::Rating>> ratings =
      gaia::mf::LoadData(spec, options->data_part, options->data_parts);
  if (!ratings.ok()) return Fail(2, "", ratings.status());
  absl::StatusOr<gaia::mf::LocalSgd> sgd = gaia::mf::LocalSgd::Create(*ratings, sgd_options);
  if (!sgd.ok()) return Fail(2, "", sgd.status());
  const uint64_t needed_rows = gaia::mf::RequiredItemRows(*ratings);
  ratings->clear();
  ratings->shrink_to_fit();

  absl::StatusOr<std::unique_ptr<gaia::Worker>> worker = gaia::Worker::Connect(*options);
  if (!worker.ok()) return Fail(1, "connect", worker.status());
  absl::StatusOr<gaia::Table> table = (*worker)->GetTable(table_name);
  if (!table.ok()) {
    (void)(*worker)->Finish();  // say goodbye so the shards do not wait for us
    return Fail(2, "table", table.status());
  }
  if (table->width() != sgd->rank()) {
    std::cerr << "gaia_mf: --rank=" << sgd->rank() << " but table '" << table_name
              << "' has width " << table->width() << "; they must be equal\n";
    (void)(*worker)->Finish();
    return 2;
  }
  if (needed_rows > table->num_rows()) {
    std::cerr << "gaia_mf: data has item id " << needed_rows - 1 << " but table '"
              << table_name << "' has only " << table->num_rows() << " rows\n";
    (void)(*worker)->Finish();
    return 2;
  }

  // Raw data size for `gaia cost` (docs/COST.md): 12 bytes per rating, the
  // packed (user, item, value) record this app holds, whatever the source
  // format (text files are larger; the packed form is the cheapest to move).
  static_assert(sizeof(gaia::mf::Rating) == 12);
  (*worker)->ReportInputBytes(static_cast<uint64_t>(sgd->num_ratings()) *
                              sizeof(gaia::mf::Rating));

  const std::vector<uint64_t>& items = sgd->items();
  const uint32_t k = sgd->rank();
  std::vector<float> r(items.size() * k);
  std::vector<float> delta(r.size());
  std::printf("gaia_mf: worker %u (dc %s, part %u/%u): %zu ratings, %zu users, "
              "%zu items, rank %u\n",
              options->worker_id, options->dc.c_str(), options->data_part,
              options->data_parts, sgd->num_ratings(), sgd->num_users(), items.size(), k);
  std::fflush(stdout);
  for (int64_t t = 0; t < clocks; ++t) {
    const auto start = std::chrono::steady_clock::now();
    if (!items.empty()) {
      if (absl::Status s = table->GetMany(items, r); !s.ok()) {
        return Fail(1, "read R", s);
      }
    }
    const auto read_done = std::chrono::steady_clock::now();
    gaia::mf::LocalSgd::ClockResult result = sgd->RunClock(t, r, delta);
    const auto compute_done = std::chrono::steady_clock::now();
    for (size_t j = 0; j < items.size(); ++j) {
      std::span<const float> row(&delta[j * k], k);
      if (absl::Status s = table->Inc(items[j], row); !s.ok()) {
        return Fail(1, "update R", s);
      }
    }
    (*worker)->ReportObjective(result.objective.total());
    (*worker)->ReportLearningRate(result.learning_rate);
    if (absl::Status s = (*worker)->Clock(); !s.ok()) return Fail(1, "clock", s);
    const auto ms = [](auto a, auto b) {
      return std::chrono::duration<double, std::milli>(b - a).count();
    };
    const double n = static_cast<double>(std::max<uint64_t>(result.objective.ratings, 1));
    std::printf("clock %lld/%lld objective %.6g rmse %.5f lr %.3g read_ms %.1f "
                "compute_ms %.1f total_ms %.1f\n",
                static_cast<long long>(t + 1), static_cast<long long>(clocks),
                result.objective.total(), std::sqrt(result.objective.squared_error / n),
                result.learning_rate, ms(start, read_done), ms(read_done, compute_done),
                ms(start, std::chrono::steady_clock::now()));
    std::fflush(stdout);
  }
  if (absl::Status s = (*worker)->Finish(); !s.ok()) return Fail(1, "finish", s);
  return 0;
}
