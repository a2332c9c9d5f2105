// cnn_cuda_check: one run on a GPU machine that says whether apps/cnn's GPU
// path agrees with the CPU Model and how fast it trains.
//
//   cnn_cuda_check [--device=0] [--steps=50] [--cpu-steps=3] [--skip-bench]
//
// Part 1, agreement: for each network and norm, the same spec, weights and
// random batch on both paths: forward loss (training and eval mode),
// gradients, parameters after one SGD step, a 20-step loss trajectory and
// Evaluate, each against the tolerances of docs/APP_CNN_GPU.md. Part 2,
// speed: TrainStep images/s for lenet (1x28x28) and resnet20 (3x32x32) at
// batch 64 and 128, GPU (`--steps` timed steps after 5 warm-up steps) and CPU
// (`--cpu-steps`, all cores; 0 skips). Exit status 0 when every agreement
// check passes, 1 when one fails, 2 on an error (no GPU: 2 with the reason).
#include <cuda_runtime_api.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "apps/cnn/cuda/cuda_model.h"
#include "apps/cnn/model.h"
#include "apps/cnn/random.h"

namespace gaia::cnn {
namespace {

// docs/APP_CNN_GPU.md; the same numbers as tests/cnn/cuda_model_test.cc.
constexpr double kLossTolerance = 1e-4;
constexpr double kBlockTolerance = 1e-3;
constexpr double kTrajectoryTolerance = 0.02;

struct Flags {
  int device = 0;
  int steps = 50;
  int cpu_steps = 3;
  bool skip_bench = false;
};

using Batch = RandomImages;

ModelSpec Spec(const std::string& name, const std::string& norm) {
  ModelSpec spec;
  spec.name = name;
  spec.norm = norm;
  spec.in_channels = name == "lenet" ? 1 : 3;
  spec.in_height = name == "lenet" ? 28 : 32;
  spec.in_width = spec.in_height;
  spec.seed = 7;
  return spec;
}

double Relative(double got, double want) {
  return std::abs(got - want) / std::max(std::abs(want), 1e-12);
}

// The largest over blocks of max |a - b| / max |b| (absolute for all-zero blocks).
double WorstBlock(std::span<const float> a, std::span<const float> b,
                  const std::vector<ParamBlock>& layout, size_t limit) {
  double worst = 0;
  for (const ParamBlock& block : layout) {
    if (block.offset + block.size > limit) continue;
    double diff = 0;
    double scale = 0;
    for (size_t i = block.offset; i < block.offset + block.size; ++i) {
      diff = std::max(diff, static_cast<double>(std::abs(a[i] - b[i])));
      scale = std::max(scale, static_cast<double>(std::abs(b[i])));
    }
    worst = std::max(worst, scale > 0 ? diff / scale : diff);
  }
  return worst;
}

// One line of part 1; false when a check fails.
absl::StatusOr<bool> Agree(const ModelSpec& spec, int device) {
  absl::StatusOr<Model> cpu = Model::Create(spec);
  if (!cpu.ok()) return cpu.status();
  absl::StatusOr<CudaModel> gpu = CudaModel::Create(spec, device);
  if (!gpu.ok()) return gpu.status();
  const bool same_init = std::equal(cpu->params().begin(), cpu->params().end(),
                                    gpu->params().begin(), gpu->params().end());
  const int n = 16;
  const Batch b = RandomBatch(spec, n, 11);
  double loss_err = 0;
  for (bool training : {true, false}) {
    absl::StatusOr<double> c = cpu->Loss(b.images, b.labels, n, training);
    absl::StatusOr<double> g = gpu->Loss(b.images, b.labels, n, training);
    if (!c.ok()) return c.status();
    if (!g.ok()) return g.status();
    loss_err = std::max(loss_err, Relative(*g, *c));
  }
  absl::StatusOr<Sgd> cpu_sgd = Sgd::Create({.lr = 0.02});
  absl::StatusOr<Sgd> gpu_sgd = Sgd::Create({.lr = 0.02});
  if (!cpu_sgd.ok()) return cpu_sgd.status();
  if (!gpu_sgd.ok()) return gpu_sgd.status();
  double grad_err = 0;
  double param_err = 0;
  double trajectory_err = 0;
  std::vector<Batch> batches;
  for (int i = 0; i < 4; ++i) batches.push_back(RandomBatch(spec, n, 100 + i));
  for (int step = 0; step < 20; ++step) {
    const Batch& x = batches[step % batches.size()];
    absl::StatusOr<StepResult> c = cpu->TrainStep(x.images, x.labels, n, *cpu_sgd);
    absl::StatusOr<StepResult> g = gpu->TrainStep(x.images, x.labels, n, *gpu_sgd);
    if (!c.ok()) return c.status();
    if (!g.ok()) return g.status();
    trajectory_err = std::max(trajectory_err, Relative(g->loss, c->loss));
    if (step == 0) {
      grad_err = WorstBlock(gpu->grads(), cpu->grads(), cpu->layout(), cpu->num_trainable());
      param_err = WorstBlock(gpu->params(), cpu->params(), cpu->layout(), cpu->params().size());
    }
  }
  const Batch test = RandomBatch(spec, 50, 300);
  absl::StatusOr<EvalResult> ce = cpu->Evaluate(test.images, test.labels, 50, 16);
  absl::StatusOr<EvalResult> ge = gpu->Evaluate(test.images, test.labels, 50, 16);
  if (!ce.ok()) return ce.status();
  if (!ge.ok()) return ge.status();
  const double eval_err = Relative(ge->loss, ce->loss);
  const double acc_diff = std::abs(ge->accuracy - ce->accuracy);
  const bool ok = same_init && loss_err <= kLossTolerance && grad_err <= kBlockTolerance &&
                  param_err <= kBlockTolerance && trajectory_err <= kTrajectoryTolerance &&
                  eval_err <= kLossTolerance && acc_diff <= 1.0 / 50 + 1e-12;
  std::printf(
      "%-9s %-6s init %-4s loss %.1e grad %.1e step %.1e traj20 %.1e eval %.1e "
      "acc %+.2f  %s\n",
      spec.name.c_str(), spec.norm.c_str(), same_init ? "same" : "DIFF", loss_err, grad_err,
      param_err, trajectory_err, eval_err, ge->accuracy - ce->accuracy, ok ? "PASS" : "FAIL");
  return ok;
}

// Mean seconds per TrainStep over `steps` steps after `warmup`.
template <typename M>
absl::StatusOr<double> TimeSteps(M& model, const Batch& b, int batch, int warmup, int steps) {
  absl::StatusOr<Sgd> sgd = Sgd::Create({.lr = 0.01});
  if (!sgd.ok()) return sgd.status();
  std::chrono::steady_clock::time_point start;
  for (int i = 0; i < warmup + steps; ++i) {
    if (i == warmup) start = std::chrono::steady_clock::now();
    absl::StatusOr<StepResult> r = model.TrainStep(b.images, b.labels, batch, *sgd);
    if (!r.ok()) return r.status();
  }
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  return elapsed.count() / std::max(steps, 1);
}

absl::Status Bench(const Flags& flags) {
  std::printf("\n%-9s %-6s %5s  %12s %9s  %12s %9s  %7s\n", "model", "norm", "batch", "gpu img/s",
              "ms/step", "cpu img/s", "ms/step", "speedup");
  for (const char* name : {"lenet", "resnet20"}) {
    for (const char* norm : {"group", "batch"}) {
      const ModelSpec spec = Spec(name, norm);
      absl::StatusOr<CudaModel> gpu = CudaModel::Create(spec, flags.device);
      if (!gpu.ok()) return gpu.status();
      absl::StatusOr<Model> cpu = Model::Create(spec);
      if (!cpu.ok()) return cpu.status();
      for (int batch : {64, 128}) {
        const Batch b = RandomBatch(spec, batch, 5);
        absl::StatusOr<double> g = TimeSteps(*gpu, b, batch, 5, flags.steps);
        if (!g.ok()) return g.status();
        double c = 0;
        if (flags.cpu_steps > 0) {
          absl::StatusOr<double> t = TimeSteps(*cpu, b, batch, 1, flags.cpu_steps);
          if (!t.ok()) return t.status();
          c = *t;
        }
        std::printf("%-9s %-6s %5d  %12.0f %9.3f  %12.0f %9.1f  %6.1fx\n", name, norm, batch,
                    batch / *g, *g * 1e3, c > 0 ? batch / c : 0.0, c * 1e3, c > 0 ? c / *g : 0.0);
        std::fflush(stdout);
      }
    }
  }
  return absl::OkStatus();
}

bool ParseFlags(int argc, char** argv, Flags* flags) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](std::string_view name, int* out) {
      if (arg.substr(0, name.size()) != name) return false;
      return absl::SimpleAtoi(std::string(arg.substr(name.size())), out) && *out >= 0;
    };
    if (value("--device=", &flags->device) || value("--steps=", &flags->steps) ||
        value("--cpu-steps=", &flags->cpu_steps)) {
      continue;
    }
    if (arg == "--skip-bench") {
      flags->skip_bench = true;
      continue;
    }
    std::fprintf(stderr,
                 "cnn_cuda_check: bad argument '%s'\nusage: cnn_cuda_check "
                 "[--device=N] [--steps=N] [--cpu-steps=N] [--skip-bench]\n",
                 argv[i]);
    return false;
  }
  return true;
}

int Main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) return 2;
  absl::StatusOr<int> count = CudaDeviceCount();
  if (!count.ok()) {
    std::fprintf(stderr, "cnn_cuda_check: %s\n", std::string(count.status().message()).c_str());
    return 2;
  }
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, flags.device) == cudaSuccess) {
    std::printf("device %d of %d: %s, sm_%d%d, %.1f GiB\n", flags.device, *count, prop.name,
                prop.major, prop.minor, prop.totalGlobalMem / double(1 << 30));
  }
  std::printf(
      "tolerances: loss %.0e relative, grad/step %.0e of each block's max, "
      "20-step losses %.0f%%\n\n",
      kLossTolerance, kBlockTolerance, kTrajectoryTolerance * 100);
  bool all_ok = true;
  for (const ModelSpec& spec :
       {Spec("lenet", "group"), Spec("lenet", "batch"), Spec("lenet", "none"),
        Spec("resnet8", "group"), Spec("resnet8", "batch"), Spec("resnet8", "none"),
        Spec("resnet20", "group"), Spec("resnet20", "batch")}) {
    absl::StatusOr<bool> ok = Agree(spec, flags.device);
    if (!ok.ok()) {
      std::fprintf(stderr, "cnn_cuda_check: %s/%s: %s\n", spec.name.c_str(), spec.norm.c_str(),
                   std::string(ok.status().message()).c_str());
      return 2;
    }
    all_ok = all_ok && *ok;
    std::fflush(stdout);
  }
  std::printf("agreement: %s\n", all_ok ? "PASS" : "FAIL");
  if (!flags.skip_bench) {
    if (absl::Status s = Bench(flags); !s.ok()) {
      std::fprintf(stderr, "cnn_cuda_check: bench: %s\n", std::string(s.message()).c_str());
      return 2;
    }
  }
  return all_ok ? 0 : 1;
}

}  // namespace
}  // namespace gaia::cnn

int main(int argc, char** argv) { return gaia::cnn::Main(argc, argv); }
