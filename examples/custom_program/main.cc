// A minimal custom ML program on Gaia: logistic regression by data-parallel
// gradient descent, the weights held in a Gaia table.
//
// The job needs one table (default name "weights") with at least 1 row; its
// width is the model dimension (the last weight is the bias). Every worker
// generates its own part of a synthetic data set (seeded by its data_part, so
// runs are reproducible) from one hidden "true" model shared by all.
//
// Flags (besides --gaia-config, which the launcher passes):
//   --clocks=N       iterations (default 20)
//   --lr=X           learning rate (default 1.0)
//   --samples=N      samples this worker generates (default 2000)
//   --table=NAME     weights table (default "weights")
//
// Run it with `gaia launch job.yaml`, or by hand with a --gaia-config file
// (docs/WORKER_API.md).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "gaia/worker.h"

namespace {

struct Flags {
  int clocks = 20;
  double learning_rate = 1.0;
  int samples = 2000;
  std::string table = "weights";
};

// Reads --name=value flags it knows; leaves the rest (e.g. --gaia-config).
bool ParseFlags(int argc, char** argv, Flags* flags) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](std::string_view name) -> const char* {
      if (arg.size() > name.size() + 1 && arg.substr(0, name.size()) == name &&
          arg[name.size()] == '=') {
        return argv[i] + name.size() + 1;
      }
      return nullptr;
    };
    if (const char* v = value("--clocks")) {
      flags->clocks = std::atoi(v);
    } else if (const char* v = value("--lr")) {
      flags->learning_rate = std::atof(v);
    } else if (const char* v = value("--samples")) {
      flags->samples = std::atoi(v);
    } else if (const char* v = value("--table")) {
      flags->table = v;
    }
  }
  return flags->clocks > 0 && flags->samples > 0 && flags->learning_rate > 0;
}

double Sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

struct Data {
  size_t dim = 0;
  std::vector<float> x;  // samples * dim, row-major; last feature is 1 (bias)
  std::vector<float> y;  // 0 or 1
  size_t samples() const { return y.size(); }
};

Data Generate(size_t dim, int samples, uint32_t part) {
  std::normal_distribution<double> normal(0.0, 1.0);
  std::mt19937_64 truth_rng(42);  // the same hidden model in every worker
  std::vector<double> truth(dim);
  for (double& w : truth) w = 2.0 * normal(truth_rng);

  std::mt19937_64 rng(1000 + part);  // each worker its own samples
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  Data data;
  data.dim = dim;
  data.x.resize(static_cast<size_t>(samples) * dim);
  data.y.resize(samples);
  for (int s = 0; s < samples; ++s) {
    float* x = &data.x[static_cast<size_t>(s) * dim];
    double z = 0;
    for (size_t j = 0; j < dim; ++j) {
      x[j] = j + 1 == dim ? 1.0f : static_cast<float>(normal(rng));
      z += truth[j] * x[j];
    }
    data.y[s] = uniform(rng) < Sigmoid(z) ? 1.0f : 0.0f;
  }
  return data;
}

// Mean log-loss of `w` on `data`; adds the mean gradient into `grad`.
double LossAndGradient(const Data& data, const std::vector<float>& w,
                       std::vector<double>* grad) {
  double loss = 0;
  for (size_t s = 0; s < data.samples(); ++s) {
    const float* x = &data.x[s * data.dim];
    double z = 0;
    for (size_t j = 0; j < data.dim; ++j) z += w[j] * x[j];
    const double p = Sigmoid(z);
    const double y = data.y[s];
    loss -= y * std::log(p + 1e-12) + (1 - y) * std::log(1 - p + 1e-12);
    for (size_t j = 0; j < data.dim; ++j) (*grad)[j] += (p - y) * x[j];
  }
  const double n = static_cast<double>(data.samples());
  for (double& g : *grad) g /= n;
  return loss / n;
}

int Fail(const char* what, const absl::Status& status) {
  std::fprintf(stderr, "custom_program: %s: %s\n", what, status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) {
    std::fprintf(stderr, "custom_program: --clocks, --samples and --lr must be > 0\n");
    return 2;
  }
  absl::StatusOr<gaia::WorkerOptions> options =
      gaia::WorkerOptions::FromCommandLine(argc, argv);
  if (!options.ok()) {
    Fail("options", options.status());
    return 2;
  }
  absl::StatusOr<std::unique_ptr<gaia::Worker>> connected = gaia::Worker::Connect(*options);
  if (!connected.ok()) return Fail("connect", connected.status());
  gaia::Worker& worker = **connected;
  absl::StatusOr<gaia::Table> table = worker.GetTable(flags.table);
  if (!table.ok()) return Fail("table", table.status());

  const size_t dim = table->width();
  const Data data = Generate(dim, flags.samples, options->data_part);
  // Each worker adds its share of the averaged gradient step.
  const double scale = flags.learning_rate / options->data_parts;

  std::vector<float> w(dim);
  std::vector<double> grad(dim);
  std::vector<float> delta(dim);
  for (int c = 0; c < flags.clocks; ++c) {
    if (absl::Status s = table->Get(0, w); !s.ok()) return Fail("get", s);
    std::fill(grad.begin(), grad.end(), 0.0);
    const double loss = LossAndGradient(data, w, &grad);
    for (size_t j = 0; j < dim; ++j) delta[j] = static_cast<float>(-scale * grad[j]);
    if (absl::Status s = table->Inc(0, delta); !s.ok()) return Fail("inc", s);
    worker.ReportObjective(loss);
    worker.ReportLearningRate(flags.learning_rate);
    std::printf("worker %u clock %d loss %.6f\n", options->worker_id, c, loss);
    std::fflush(stdout);
    if (absl::Status s = worker.Clock(); !s.ok()) return Fail("clock", s);
  }
  if (absl::Status s = worker.Finish(); !s.ok()) return Fail("finish", s);
  return 0;
}
