// apps/cnn's GPU path (CudaModel) against the CPU Model with the same spec
// and parameters: layout and initial weights, forward loss, gradients, one
// SGD step, 20-step loss trajectories, Evaluate, BatchNorm running
// statistics, the host/device contract. Tolerances are those of
// docs/APP_CNN_GPU.md. Without a GPU these skip, saying so; the no-device
// error and spec validation are checked on every machine.
#include "apps/cnn/cuda/cuda_model.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "apps/cnn/model.h"
#include "apps/cnn/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gaia::cnn {
namespace {

using ::testing::HasSubstr;

constexpr char kNoGpu[] =
    "no CUDA device visible: the GPU path's checks run on a GPU machine (bench/gpu or the "
    "device tool)";

// The stated tolerances (docs/APP_CNN_GPU.md).
constexpr double kLossTolerance = 1e-4;        // relative, forward loss and Evaluate loss
constexpr double kBlockTolerance = 1e-3;       // per block, max-norm relative (grads, params)
constexpr double kTrajectoryTolerance = 0.02;  // relative, each of 20 training losses

bool HaveGpu() { return CudaDeviceCount().ok(); }

using Batch = RandomImages;

ModelSpec Spec(const std::string& name, const std::string& norm) {
  ModelSpec spec;
  spec.name = name;
  spec.norm = norm;
  spec.in_channels = name == "lenet" ? 1 : 3;
  spec.in_height = name == "lenet" ? 28 : 32;
  spec.in_width = spec.in_height;
  spec.classes = 10;
  spec.seed = 7;
  spec.threads = 2;
  return spec;
}

std::vector<ModelSpec> AllSpecs() {
  std::vector<ModelSpec> specs;
  for (const char* name : {"lenet", "resnet8"}) {
    for (const char* norm : {"group", "batch", "none"}) specs.push_back(Spec(name, norm));
  }
  specs.push_back(Spec("resnet20", "group"));
  specs.push_back(Spec("resnet20", "batch"));
  return specs;
}

std::string Name(const ModelSpec& s) { return s.name + "/" + s.norm; }

double RelativeError(double got, double want) {
  return std::abs(got - want) / std::max(std::abs(want), 1e-12);
}

// Per layout block: max |gpu - cpu| over max |cpu| (blocks that are all zero
// on the CPU must be within kBlockTolerance absolutely).
void ExpectBlocksClose(std::span<const float> gpu, std::span<const float> cpu,
                       const std::vector<ParamBlock>& layout, size_t limit, double tolerance,
                       const std::string& what) {
  ASSERT_EQ(gpu.size(), cpu.size()) << what;
  for (const ParamBlock& b : layout) {
    if (b.offset + b.size > limit) continue;
    double diff = 0;
    double scale = 0;
    for (size_t i = b.offset; i < b.offset + b.size; ++i) {
      diff = std::max(diff, static_cast<double>(std::abs(gpu[i] - cpu[i])));
      scale = std::max(scale, static_cast<double>(std::abs(cpu[i])));
    }
    EXPECT_LE(diff, tolerance * std::max(scale, 1.0e-30) + (scale == 0 ? tolerance : 0))
        << what << " block " << b.name << ": max |gpu - cpu| " << diff << ", max |cpu| " << scale;
  }
}

struct Pair {
  Model cpu;
  CudaModel gpu;
};

absl::StatusOr<Pair> MakePair(const ModelSpec& spec) {
  absl::StatusOr<Model> cpu = Model::Create(spec);
  if (!cpu.ok()) return cpu.status();
  absl::StatusOr<CudaModel> gpu = CudaModel::Create(spec);
  if (!gpu.ok()) return gpu.status();
  return Pair{std::move(*cpu), std::move(*gpu)};
}

TEST(CudaModel, WithoutAGpuCreateSaysWhy) {
  if (HaveGpu()) GTEST_SKIP() << "a GPU is visible; the comparisons below cover it";
  absl::StatusOr<int> count = CudaDeviceCount();
  EXPECT_EQ(count.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(count.status().message(),
              HasSubstr("--device=cuda: no CUDA device visible (cudaGetDeviceCount: "));
  absl::StatusOr<CudaModel> model = CudaModel::Create(Spec("lenet", "group"));
  EXPECT_EQ(model.status().code(), absl::StatusCode::kFailedPrecondition) << model.status();
  EXPECT_THAT(model.status().message(), HasSubstr("no CUDA device visible"));
}

TEST(CudaModel, ABadSpecIsInvalidArgumentOnEveryMachine) {
  ModelSpec spec = Spec("lenet", "group");
  spec.name = "vgg";
  absl::StatusOr<CudaModel> model = CudaModel::Create(spec);
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument) << model.status();
  EXPECT_THAT(model.status().message(), HasSubstr("ModelSpec.name"));
}

TEST(CudaModel, ADeviceOutOfRangeIsInvalidArgument) {
  if (!HaveGpu()) GTEST_SKIP() << kNoGpu;
  absl::StatusOr<CudaModel> model = CudaModel::Create(Spec("lenet", "group"), 1 << 20);
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument) << model.status();
}

TEST(CudaModel, LayoutAndInitialParamsAreTheCpuModels) {
  if (!HaveGpu()) GTEST_SKIP() << kNoGpu;
  for (const ModelSpec& spec : AllSpecs()) {
    SCOPED_TRACE(Name(spec));
    absl::StatusOr<Pair> p = MakePair(spec);
    ASSERT_TRUE(p.ok()) << p.status();
    ASSERT_EQ(p->gpu.layout().size(), p->cpu.layout().size());
    for (size_t i = 0; i < p->cpu.layout().size(); ++i) {
      const ParamBlock& g = p->gpu.layout()[i];
      const ParamBlock& c = p->cpu.layout()[i];
      EXPECT_EQ(g.name, c.name);
      EXPECT_EQ(g.offset, c.offset);
      EXPECT_EQ(g.size, c.size);
      EXPECT_EQ(g.trainable, c.trainable);
    }
    EXPECT_EQ(p->gpu.num_trainable(), p->cpu.num_trainable());
    EXPECT_TRUE(std::equal(p->gpu.params().begin(), p->gpu.params().end(), p->cpu.params().begin(),
                           p->cpu.params().end()));
  }
}

TEST(CudaModel, ForwardLossMatchesTheCpuInBothModes) {
  if (!HaveGpu()) GTEST_SKIP() << kNoGpu;
  for (const ModelSpec& spec : AllSpecs()) {
    SCOPED_TRACE(Name(spec));
    absl::StatusOr<Pair> p = MakePair(spec);
    ASSERT_TRUE(p.ok()) << p.status();
    const Batch b = RandomBatch(spec, 8, 11);
    for (bool training : {true, false}) {
      absl::StatusOr<double> cpu = p->cpu.Loss(b.images, b.labels, 8, training);
      absl::StatusOr<double> gpu = p->gpu.Loss(b.images, b.labels, 8, training);
      ASSERT_TRUE(cpu.ok() && gpu.ok()) << cpu.status() << gpu.status();
      EXPECT_LE(RelativeError(*gpu, *cpu), kLossTolerance)
          << "training " << training << ": gpu " << *gpu << " cpu " << *cpu;
    }
  }
}

TEST(CudaModel, GradientsAndOneStepMatchTheCpu) {
  if (!HaveGpu()) GTEST_SKIP() << kNoGpu;
  for (const ModelSpec& spec : AllSpecs()) {
    SCOPED_TRACE(Name(spec));
    absl::StatusOr<Pair> p = MakePair(spec);
    ASSERT_TRUE(p.ok()) << p.status();
    const Batch b = RandomBatch(spec, 8, 12);
    absl::StatusOr<Sgd> cpu_sgd = Sgd::Create({.lr = 0.05});
    absl::StatusOr<Sgd> gpu_sgd = Sgd::Create({.lr = 0.05});
    ASSERT_TRUE(cpu_sgd.ok() && gpu_sgd.ok());
    absl::StatusOr<StepResult> c = p->cpu.TrainStep(b.images, b.labels, 8, *cpu_sgd);
    absl::StatusOr<StepResult> g = p->gpu.TrainStep(b.images, b.labels, 8, *gpu_sgd);
    ASSERT_TRUE(c.ok() && g.ok()) << c.status() << g.status();
    EXPECT_LE(RelativeError(g->loss, c->loss), kLossTolerance);
    EXPECT_EQ(g->correct, c->correct);
    const size_t t = p->cpu.num_trainable();
    ExpectBlocksClose(p->gpu.grads(), p->cpu.grads(), p->cpu.layout(), t, kBlockTolerance,
                      "gradient");
    // Trainable weights and (for batch norm) running statistics.
    ExpectBlocksClose(p->gpu.params(), p->cpu.params(), p->cpu.layout(), p->cpu.params().size(),
                      kBlockTolerance, "updated parameter");
  }
}

TEST(CudaModel, EverySgdVariantMatchesTheCpu) {
  if (!HaveGpu()) GTEST_SKIP() << kNoGpu;
  const ModelSpec spec = Spec("lenet", "group");
  const Batch b = RandomBatch(spec, 8, 13);
  for (SgdOptions o : {SgdOptions{.lr = 0.05, .momentum = 0},
                       SgdOptions{.lr = 0.05, .momentum = 0.9, .nesterov = true},
                       SgdOptions{.lr = 0.05, .momentum = 0.9, .weight_decay = 0}}) {
    SCOPED_TRACE(testing::Message() << "momentum " << o.momentum << " nesterov " << o.nesterov
                                    << " weight_decay " << o.weight_decay);
    absl::StatusOr<Pair> p = MakePair(spec);
    ASSERT_TRUE(p.ok()) << p.status();
    absl::StatusOr<Sgd> cpu_sgd = Sgd::Create(o);
    absl::StatusOr<Sgd> gpu_sgd = Sgd::Create(o);
    ASSERT_TRUE(cpu_sgd.ok() && gpu_sgd.ok());
    for (int step = 0; step < 3; ++step) {
      if (step == 2) {  // the momentum buffer restarts on both sides
        cpu_sgd->Reset();
        p->gpu.ResetMomentum();
      }
      ASSERT_TRUE(p->cpu.TrainStep(b.images, b.labels, 8, *cpu_sgd).ok());
      ASSERT_TRUE(p->gpu.TrainStep(b.images, b.labels, 8, *gpu_sgd).ok());
    }
    ExpectBlocksClose(p->gpu.params(), p->cpu.params(), p->cpu.layout(), p->cpu.num_trainable(),
                      kBlockTolerance, "parameter after 3 steps");
  }
}

TEST(CudaModel, TwentyStepLossTrajectoriesAgreeWithin2Percent) {
  if (!HaveGpu()) GTEST_SKIP() << kNoGpu;
  for (const ModelSpec& spec : {Spec("lenet", "group"), Spec("lenet", "batch"),
                                Spec("resnet20", "group"), Spec("resnet20", "batch")}) {
    SCOPED_TRACE(Name(spec));
    absl::StatusOr<Pair> p = MakePair(spec);
    ASSERT_TRUE(p.ok()) << p.status();
    absl::StatusOr<Sgd> cpu_sgd = Sgd::Create({.lr = 0.02});
    absl::StatusOr<Sgd> gpu_sgd = Sgd::Create({.lr = 0.02});
    ASSERT_TRUE(cpu_sgd.ok() && gpu_sgd.ok());
    // Four fixed batches in turn, so the loss has something to learn.
    std::vector<Batch> batches;
    for (int i = 0; i < 4; ++i) batches.push_back(RandomBatch(spec, 16, 100 + i));
    for (int step = 0; step < 20; ++step) {
      const Batch& b = batches[step % batches.size()];
      absl::StatusOr<StepResult> c = p->cpu.TrainStep(b.images, b.labels, 16, *cpu_sgd);
      absl::StatusOr<StepResult> g = p->gpu.TrainStep(b.images, b.labels, 16, *gpu_sgd);
      ASSERT_TRUE(c.ok() && g.ok()) << c.status() << g.status();
      EXPECT_LE(RelativeError(g->loss, c->loss), kTrajectoryTolerance)
          << "step " << step << ": gpu " << g->loss << " cpu " << c->loss;
    }
  }
}

TEST(CudaModel, EvaluateAndBatchNormRunningStatisticsMatchTheCpu) {
  if (!HaveGpu()) GTEST_SKIP() << kNoGpu;
  for (const ModelSpec& spec :
       {Spec("lenet", "batch"), Spec("resnet8", "batch"), Spec("resnet8", "group")}) {
    SCOPED_TRACE(Name(spec));
    absl::StatusOr<Pair> p = MakePair(spec);
    ASSERT_TRUE(p.ok()) << p.status();
    absl::StatusOr<Sgd> cpu_sgd = Sgd::Create({.lr = 0.02});
    absl::StatusOr<Sgd> gpu_sgd = Sgd::Create({.lr = 0.02});
    ASSERT_TRUE(cpu_sgd.ok() && gpu_sgd.ok());
    for (int step = 0; step < 3; ++step) {
      const Batch b = RandomBatch(spec, 16, 200 + step);
      ASSERT_TRUE(p->cpu.TrainStep(b.images, b.labels, 16, *cpu_sgd).ok());
      ASSERT_TRUE(p->gpu.TrainStep(b.images, b.labels, 16, *gpu_sgd).ok());
    }
    // Running statistics are the blocks after the trainable prefix.
    for (const ParamBlock& block : p->cpu.layout()) {
      if (block.trainable) continue;
      for (size_t i = block.offset; i < block.offset + block.size; ++i) {
        ASSERT_NEAR(p->gpu.params()[i], p->cpu.params()[i],
                    kBlockTolerance * std::max(1.0f, std::abs(p->cpu.params()[i])))
            << block.name << "[" << i - block.offset << "]";
      }
    }
    // 50 samples in batches of 16: three full batches and a short one.
    const Batch test = RandomBatch(spec, 50, 300);
    absl::StatusOr<EvalResult> c = p->cpu.Evaluate(test.images, test.labels, 50, 16);
    absl::StatusOr<EvalResult> g = p->gpu.Evaluate(test.images, test.labels, 50, 16);
    ASSERT_TRUE(c.ok() && g.ok()) << c.status() << g.status();
    EXPECT_LE(RelativeError(g->loss, c->loss), kLossTolerance);
    // A sample whose top two logits are within rounding may flip.
    EXPECT_NEAR(g->accuracy, c->accuracy, 1.0 / 50 + 1e-12);
  }
}

TEST(CudaModel, ValuesWrittenIntoParamsAreWhatTheNextCallUses) {
  if (!HaveGpu()) GTEST_SKIP() << kNoGpu;
  ModelSpec spec = Spec("resnet8", "batch");
  absl::StatusOr<CudaModel> gpu = CudaModel::Create(spec);
  ASSERT_TRUE(gpu.ok()) << gpu.status();
  spec.seed = 99;  // other weights, written in from outside as a parameter server would
  absl::StatusOr<Model> other = Model::Create(spec);
  ASSERT_TRUE(other.ok());
  std::span<float> params = gpu->params();
  std::copy(other->params().begin(), other->params().end(), params.begin());
  const Batch b = RandomBatch(spec, 8, 14);
  absl::StatusOr<double> want = other->Loss(b.images, b.labels, 8, /*training=*/false);
  absl::StatusOr<double> got = gpu->Loss(b.images, b.labels, 8, /*training=*/false);
  ASSERT_TRUE(want.ok() && got.ok());
  EXPECT_LE(RelativeError(*got, *want), kLossTolerance);
  // After a step, the span taken before it shows the new weights.
  const std::vector<float> before(params.begin(), params.end());
  absl::StatusOr<Sgd> sgd = Sgd::Create({.lr = 0.05});
  ASSERT_TRUE(sgd.ok());
  ASSERT_TRUE(gpu->TrainStep(b.images, b.labels, 8, *sgd).ok());
  EXPECT_FALSE(std::equal(before.begin(), before.end(), params.begin()));
  EXPECT_EQ(params.data(), gpu->params().data());
}

TEST(CudaModel, BadInputIsRefusedAsOnTheCpu) {
  if (!HaveGpu()) GTEST_SKIP() << kNoGpu;
  const ModelSpec spec = Spec("lenet", "group");
  absl::StatusOr<Pair> p = MakePair(spec);
  ASSERT_TRUE(p.ok()) << p.status();
  Batch b = RandomBatch(spec, 4, 15);
  absl::StatusOr<Sgd> sgd = Sgd::Create({});
  ASSERT_TRUE(sgd.ok());
  b.labels[2] = 10;
  absl::StatusOr<StepResult> g = p->gpu.TrainStep(b.images, b.labels, 4, *sgd);
  absl::StatusOr<StepResult> c = p->cpu.TrainStep(b.images, b.labels, 4, *sgd);
  EXPECT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(g.status().message(), c.status().message());
  b.labels[2] = 0;
  g = p->gpu.TrainStep(b.images, b.labels, 5, *sgd);
  EXPECT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(g.status().message(), HasSubstr("images"));
  absl::StatusOr<EvalResult> e = p->gpu.Evaluate(b.images, b.labels, 4, 0);
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  // The model still works after refusing.
  EXPECT_TRUE(p->gpu.TrainStep(b.images, b.labels, 4, *sgd).ok());
}

}  // namespace
}  // namespace gaia::cnn
