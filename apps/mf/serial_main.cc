// gaia_mf_serial: the single-process reference for apps/mf. Trains with the
// same SGD and objective as gaia_mf on the union of the given data and prints
// the objective (and, with --test-data, the test RMSE) per epoch and the
// converged objective (DESIGN.md §8), which distributed runs are compared
// against.
//
//   gaia_mf_serial --data=synthetic:users=4000 --epochs=100 [--json] [--device=cuda [--fp16]]
//
// Exit codes: 0 ok, 2 bad arguments or data (or --device=cuda without a CUDA
// build or GPU), 1 runtime error.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "apps/common/flags.h"
#include "apps/common/progress.h"
#include "apps/common/timing.h"
#include "apps/mf/data_source.h"
#include "apps/mf/engine_flags.h"
#include "apps/mf/flags.h"
#include "apps/mf/sgd.h"

namespace {

using gaia::mf::Rating;

// The union of the ratings of every spec; false (after printing why) on error.
bool LoadAll(const std::vector<std::string>& specs, std::string_view what,
             std::vector<Rating>* out) {
  for (const std::string& spec : specs) {
    absl::StatusOr<std::vector<Rating>> part = gaia::mf::LoadData(spec, 0, 1);
    if (!part.ok()) {
      std::cerr << "gaia_mf_serial: " << what << part.status().message() << "\n";
      return false;
    }
    out->insert(out->end(), part->begin(), part->end());
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gaia_mf_serial: serial SGD matrix factorization (reference)"};
  gaia::mf::SerialOptions options;
  std::vector<std::string> data_specs;
  std::vector<std::string> test_specs;
  bool json = false;
  app.add_option("--data", data_specs,
                 "data spec(s); several are unioned (e.g. one per DC). "
                 "Default: the default synthetic set");
  app.add_option("--test-data", test_specs,
                 "held-out spec(s), unioned; test RMSE after each epoch. Default: none");
  app.add_option("--epochs", options.epochs, "passes over the data")
      ->capture_default_str();
  app.add_option("--r-init-stddev", options.r_init_stddev,
                 "stddev of the initial R rows (use the job's R init)")
      ->capture_default_str();
  app.add_option("--r-init-mean", options.r_init_mean,
                 "mean of the initial R rows (use the job's R init)")
      ->capture_default_str();
  app.add_flag("--json", json, "print one JSON object instead of text");
  gaia::mf::AddSgdFlags(app, &options.sgd);
  gaia::mf::EngineFlags engine;
  gaia::mf::AddEngineFlags(app, &engine);
  if (int rc = gaia::apps::ParseFlags(app, argc, argv); rc >= 0) return rc;
  absl::StatusOr<gaia::mf::SgdEngineFactory> make_engine =
      gaia::mf::ChooseEngine(engine, "gaia_mf_serial");
  if (!make_engine.ok()) {
    std::cerr << "gaia_mf_serial: " << make_engine.status().message() << "\n";
    return gaia::apps::kExitBadInput;
  }
  options.engine = *make_engine;
  if (data_specs.empty()) data_specs.push_back("");

  std::vector<Rating> ratings, test;
  if (!LoadAll(data_specs, "", &ratings) || !LoadAll(test_specs, "test data: ", &test)) {
    return gaia::apps::kExitBadInput;
  }
  const gaia::apps::Stopwatch run;
  gaia::apps::Stopwatch lap;
  if (!json) {
    // One progress line per epoch (an epoch is the serial program's clock).
    options.on_epoch = [&](const gaia::mf::EpochReport& report) {
      gaia::apps::ProgressLine line;
      line.clock = report.epoch + 1;
      line.clocks = options.epochs;
      line.objective = report.objective.total();
      if (report.test_rmse.has_value()) {
        line.held_out_name = "test_rmse";
        line.held_out = report.test_rmse;
      }
      line.elapsed_s = run.ElapsedSeconds();
      line.rate_name = "ratings_per_s";
      line.rate = gaia::apps::PerSecond(static_cast<double>(report.updates),
                                        lap.LapMs() * 1e-3);
      const double n = static_cast<double>(std::max<uint64_t>(report.objective.ratings, 1));
      line.extra = {{"rmse", std::sqrt(report.objective.squared_error / n)}};
      gaia::apps::PrintProgressLine(line);
    };
  }
  absl::StatusOr<gaia::mf::SerialResult> result =
      gaia::mf::SerialTrain(ratings, options, test);
  if (!result.ok()) {
    std::cerr << "gaia_mf_serial: " << result.status().message() << "\n";
    return result.status().code() == absl::StatusCode::kInvalidArgument
               ? gaia::apps::kExitBadInput
               : gaia::apps::kExitRuntimeError;
  }
  const bool has_test = !result->test_rmse.empty();
  if (json) {
    nlohmann::json out;
    out["device"] = std::string(gaia::apps::DeviceName(engine.device));
    if (engine.fp16) out["fp16"] = true;
    out["ratings"] = result->ratings;
    out["objectives"] = result->objectives;
    out["converged"] = result->converged_epoch.has_value();
    out["converged_epoch"] =
        result->converged_epoch ? static_cast<int64_t>(*result->converged_epoch) : -1;
    out["converged_objective"] = result->converged_objective;
    out["final_objective"] = result->final_objective;
    if (has_test) {
      out["test_ratings"] = result->test_ratings;
      out["test_rmse"] = result->test_rmse;
      out["final_test_rmse"] = result->test_rmse.back();
    }
    std::cout << out.dump() << "\n";
    return 0;
  }
  std::printf("ratings %llu\n", static_cast<unsigned long long>(result->ratings));
  if (has_test) {
    std::printf("test_ratings %llu\nfinal_test_rmse %.6g\n",
                static_cast<unsigned long long>(result->test_ratings),
                result->test_rmse.back());
  }
  if (result->converged_epoch) {
    std::printf("converged_epoch %zu\n", *result->converged_epoch);
  } else {
    std::printf("converged_epoch none (not converged in %lld epochs)\n",
                static_cast<long long>(options.epochs));
  }
  std::printf("converged_objective %.6g\nfinal_objective %.6g\n",
              result->converged_objective, result->final_objective);
  return 0;
}
