// Training throughput (images/s) of apps/cnn's CPU TrainStep on random data,
// for comparison with PyTorch on the same machine (bench/cnn_torch.py):
//
//   build/bin/cnn_train_bench --benchmark_filter=lenet_group
//       --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Arguments per benchmark: batch size, threads. Images are 1x28x28
// (Fashion-MNIST's shape), 10 classes, SGD lr 0.01, momentum 0.9, wd 5e-4.
#include <cstdint>
#include <string>
#include <vector>

#include "apps/cnn/model.h"
#include "apps/cnn/random.h"
#include "apps/cnn/sgd.h"
#include "benchmark/benchmark.h"

namespace gaia::cnn {
namespace {

void TrainStepBench(benchmark::State& state, const std::string& name,
                    const std::string& norm) {
  const int batch = static_cast<int>(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  absl::StatusOr<Model> model =
      Model::Create({.name = name, .norm = norm, .seed = 7, .threads = threads});
  absl::StatusOr<Sgd> sgd = Sgd::Create({.lr = 0.01});
  if (!model.ok() || !sgd.ok()) {
    state.SkipWithError("cannot build the model or optimizer");
    return;
  }
  Random rng(11);
  std::vector<float> images(static_cast<size_t>(batch) * model->sample_size());
  for (float& x : images) x = static_cast<float>(rng.Normal());
  std::vector<int32_t> labels(batch);
  for (int32_t& y : labels) y = static_cast<int32_t>(rng.Next() % 10);
  // One warm-up step sizes every buffer.
  if (!model->TrainStep(images, labels, batch, *sgd).ok()) {
    state.SkipWithError("TrainStep failed");
    return;
  }
  for (auto _ : state) {
    absl::StatusOr<StepResult> r = model->TrainStep(images, labels, batch, *sgd);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

void Args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"batch", "threads"});
  for (int threads : {1, 2}) b->Args({64, threads});
  b->UseRealTime()->Unit(benchmark::kMillisecond);
}

BENCHMARK_CAPTURE(TrainStepBench, lenet_group, std::string("lenet"), std::string("group"))
    ->Apply(Args);
BENCHMARK_CAPTURE(TrainStepBench, lenet_batch, std::string("lenet"), std::string("batch"))
    ->Apply(Args);
BENCHMARK_CAPTURE(TrainStepBench, resnet8_group, std::string("resnet8"), std::string("group"))
    ->Apply(Args);

}  // namespace
}  // namespace gaia::cnn

BENCHMARK_MAIN();
