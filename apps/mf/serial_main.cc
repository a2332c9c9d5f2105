// gaia_mf_serial: the single-process reference for apps/mf. Trains with the
// same SGD and objective as gaia_mf on the union of the given data and prints
// the objective per epoch and the converged objective (DESIGN.md §8), which
// distributed runs are compared against.
//
//   gaia_mf_serial --data=synthetic:users=4000 --epochs=100 [--json]
//
// Exit codes: 0 ok, 2 bad arguments or data, 1 runtime error.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "apps/mf/data_source.h"
#include "apps/mf/flags.h"
#include "apps/mf/sgd.h"

int main(int argc, char** argv) {
  using gaia::mf::Rating;
  CLI::App app{"gaia_mf_serial: serial SGD matrix factorization (reference)"};
  gaia::mf::SerialOptions options;
  std::vector<std::string> data_specs;
  bool json = false;
  app.add_option("--data", data_specs,
                 "data spec(s); several are unioned (e.g. one per DC). "
                 "Default: the default synthetic set");
  app.add_option("--epochs", options.epochs, "passes over the data")
      ->capture_default_str();
  app.add_option("--r-init-stddev", options.r_init_stddev,
                 "stddev of the initial R rows (use the job's R init)")
      ->capture_default_str();
  app.add_flag("--json", json, "print one JSON object instead of text");
  gaia::mf::AddSgdFlags(app, &options.sgd);
  if (int rc = gaia::mf::ParseFlags(app, argc, argv); rc >= 0) return rc;
  if (data_specs.empty()) data_specs.push_back("");

  std::vector<Rating> ratings;
  for (const std::string& spec : data_specs) {
    absl::StatusOr<std::vector<Rating>> part = gaia::mf::LoadData(spec, 0, 1);
    if (!part.ok()) {
      std::cerr << "gaia_mf_serial: " << part.status().message() << "\n";
      return 2;
    }
    ratings.insert(ratings.end(), part->begin(), part->end());
  }
  absl::StatusOr<gaia::mf::SerialResult> result =
      gaia::mf::SerialTrain(ratings, options);
  if (!result.ok()) {
    std::cerr << "gaia_mf_serial: " << result.status().message() << "\n";
    return result.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  const double n = static_cast<double>(result->ratings);
  if (json) {
    nlohmann::json out;
    out["ratings"] = result->ratings;
    out["objectives"] = result->objectives;
    out["converged"] = result->converged_epoch.has_value();
    out["converged_epoch"] =
        result->converged_epoch ? static_cast<int64_t>(*result->converged_epoch) : -1;
    out["converged_objective"] = result->converged_objective;
    out["final_objective"] = result->final_objective;
    std::cout << out.dump() << "\n";
    return 0;
  }
  for (size_t e = 0; e < result->objectives.size(); ++e) {
    std::printf("epoch %zu objective %.6g rmse %.5f\n", e, result->objectives[e],
                std::sqrt(result->squared_errors[e] / n));
  }
  std::printf("ratings %llu\n", static_cast<unsigned long long>(result->ratings));
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
