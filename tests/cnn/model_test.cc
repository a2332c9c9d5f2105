// apps/cnn Model: whole-network gradient checks, the parameter layout and
// its write-through contract, thread-count agreement, training on a
// separable synthetic set, and rejected specs.
#include "apps/cnn/model.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "apps/cnn/random.h"
#include "gtest/gtest.h"

namespace gaia::cnn {
namespace {

using Batch = RandomImages;

// Small enough to check quickly; the ResNet's input is 12x12 so that its last
// stage still has 3x3 maps: with 2x2 maps and 3 samples a BatchNorm channel
// sees 12 values whose variance can be near 0, and 1/sqrt(var + eps) then
// magnifies float rounding past what a finite difference can resolve.
ModelSpec TinySpec(const std::string& name, const std::string& norm) {
  ModelSpec spec;
  spec.name = name;
  spec.norm = norm;
  spec.in_channels = name == "lenet" ? 1 : 2;
  spec.in_height = name == "lenet" ? 8 : 12;
  spec.in_width = name == "lenet" ? 8 : 12;
  spec.classes = 3;
  spec.seed = 5;
  spec.threads = 2;
  return spec;
}

// d(loss)/d(params) against central differences of Model::Loss along a
// random unit direction within each trainable block. A move of +-h can carry
// some ReLU or max-pool inputs across their kinks, where the loss bends, and
// then the difference quotient is off by up to the slope change. Such a
// direction shows as one-sided slopes, or central differences at h and h/2,
// that disagree by more than smooth curvature allows; it is replaced by
// another (at most kTries). A wrong gradient formula cannot hide this way:
// its error shows equally at h and h/2. h = 1e-3 on unit directions keeps
// the float32 loss's rounding (~1e-7 relative) near 1e-4 in the quotient.
void CheckModelGradients(const ModelSpec& spec, int batch) {
  SCOPED_TRACE(spec.name + "/" + spec.norm);
  absl::StatusOr<Model> model = Model::Create(spec);
  ASSERT_TRUE(model.ok()) << model.status();
  const Batch b = RandomBatch(spec, batch, 17);
  ASSERT_TRUE(model->ComputeGradients(b.images, b.labels, batch).ok());
  const std::vector<float> grads(model->grads().begin(), model->grads().end());
  Random rng(23);
  int blocks = 0;
  constexpr int kTries = 8;
  constexpr double kH = 1e-3;
  for (const ParamBlock& block : model->layout()) {
    if (!block.trainable) continue;
    std::span<float> p = model->params().subspan(block.offset, block.size);
    const std::vector<float> saved(p.begin(), p.end());
    bool clean = false;
    for (int attempt = 0; attempt < kTries && !clean; ++attempt) {
      std::vector<double> d(block.size);
      double norm = 0;
      for (double& v : d) {
        v = rng.Normal();
        norm += v * v;
      }
      double analytic = 0;
      for (size_t i = 0; i < d.size(); ++i) {
        d[i] /= std::sqrt(norm);
        analytic += d[i] * grads[block.offset + i];
      }
      auto loss_at = [&](double t) {
        for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<float>(saved[i] + t * d[i]);
        return *model->Loss(b.images, b.labels, batch, /*training=*/true);
      };
      const double up = loss_at(kH);
      const double half_up = loss_at(kH / 2);
      const double mid = loss_at(0);
      const double half_down = loss_at(-kH / 2);
      const double down = loss_at(-kH);
      std::copy(saved.begin(), saved.end(), p.begin());
      const double numeric = (up - down) / (2 * kH);
      const double tolerance = 5e-4 + 1e-2 * std::abs(numeric);
      const double forward = (up - mid) / kH;
      const double backward = (mid - down) / kH;
      const double half = (half_up - half_down) / kH;
      if (std::abs(forward - backward) > tolerance || std::abs(half - numeric) > tolerance) {
        continue;  // a kink
      }
      clean = true;
      EXPECT_NEAR(analytic, numeric, 1e-3 + 2e-2 * std::abs(numeric)) << block.name;
    }
    EXPECT_TRUE(clean) << block.name << ": every direction crossed a kink";
    blocks += clean;
  }
  EXPECT_GT(blocks, 5);
}

TEST(Model, LenetGradientsMatchCentralDifferences) {
  for (const char* norm : {"group", "batch", "none"}) {
    CheckModelGradients(TinySpec("lenet", norm), 4);
  }
}

TEST(Model, Resnet8GradientsMatchCentralDifferences) {
  for (const char* norm : {"group", "batch", "none"}) {
    CheckModelGradients(TinySpec("resnet8", norm), 4);
  }
}

TEST(Model, LayoutCoversEveryParameterExactlyOnceTrainableFirst) {
  for (const char* name : {"lenet", "resnet8", "resnet20"}) {
    for (const char* norm : {"group", "batch", "none"}) {
      ModelSpec spec = TinySpec(name, norm);
      absl::StatusOr<Model> model = Model::Create(spec);
      ASSERT_TRUE(model.ok()) << model.status();
      std::vector<int> covered(model->params().size(), 0);
      bool seen_state = false;
      size_t trainable = 0;
      for (const ParamBlock& b : model->layout()) {
        ASSERT_LE(b.offset + b.size, covered.size()) << b.name;
        for (size_t i = b.offset; i < b.offset + b.size; ++i) ++covered[i];
        if (!b.trainable) seen_state = true;
        EXPECT_FALSE(b.trainable && seen_state) << b.name << " after state";
        if (b.trainable) trainable += b.size;
      }
      EXPECT_TRUE(std::all_of(covered.begin(), covered.end(), [](int c) { return c == 1; }));
      EXPECT_EQ(trainable, model->num_trainable());
      EXPECT_EQ(model->grads().size(), model->num_trainable());
      EXPECT_EQ(seen_state, std::string(norm) == "batch") << name << "/" << norm;
    }
  }
}

TEST(Model, LenetHasTheDocumentedShape) {
  absl::StatusOr<Model> model = Model::Create({.name = "lenet", .norm = "group"});
  ASSERT_TRUE(model.ok());
  std::vector<std::string> names;
  size_t total = 0;
  for (const ParamBlock& b : model->layout()) {
    names.push_back(b.name);
    total += b.size;
  }
  const std::vector<std::string> want = {"conv1.weight", "norm1.weight", "norm1.bias",
                                         "conv2.weight", "norm2.weight", "norm2.bias",
                                         "fc1.weight",   "fc1.bias",     "fc2.weight",
                                         "fc2.bias"};
  EXPECT_EQ(names, want);
  // 16*25 + 32 + 32*16*25 + 64 + 1568*128 + 128 + 128*10 + 10 (no conv bias with a norm).
  EXPECT_EQ(total, 400u + 32 + 12800 + 64 + 200704 + 128 + 1280 + 10);
  EXPECT_EQ(model->params().size(), total);
}

TEST(Model, InitializationIsSeededKaimingWithZeroBiasesAndUnitNormWeights) {
  absl::StatusOr<Model> a = Model::Create({.name = "lenet", .norm = "batch", .seed = 3});
  absl::StatusOr<Model> b = Model::Create({.name = "lenet", .norm = "batch", .seed = 3});
  absl::StatusOr<Model> c = Model::Create({.name = "lenet", .norm = "batch", .seed = 4});
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_TRUE(std::equal(a->params().begin(), a->params().end(), b->params().begin()));
  EXPECT_FALSE(std::equal(a->params().begin(), a->params().end(), c->params().begin()));
  for (const ParamBlock& block : a->layout()) {
    std::span<const float> p = a->params().subspan(block.offset, block.size);
    const std::string& n = block.name;
    if (n.ends_with("conv2.weight") || n.ends_with("fc1.weight")) {
      const double fan_in = n.ends_with("conv2.weight") ? 16 * 25 : 1568;
      double sq = 0;
      for (float v : p) sq += static_cast<double>(v) * v;
      EXPECT_NEAR(std::sqrt(sq / p.size()), std::sqrt(2 / fan_in), 0.05 * std::sqrt(2 / fan_in))
          << n;
    }
    const bool ones = n.ends_with("norm1.weight") || n.ends_with("norm2.weight") ||
                      n.ends_with("running_var");
    if (n.ends_with(".bias") || n.ends_with("running_mean") || ones) {
      EXPECT_TRUE(std::all_of(p.begin(), p.end(), [&](float v) { return v == (ones ? 1 : 0); }))
          << n;
    }
  }
}

TEST(Model, WritesIntoParamsReachTheNextForward) {
  ModelSpec spec = TinySpec("lenet", "group");
  absl::StatusOr<Model> model = Model::Create(spec);
  ASSERT_TRUE(model.ok());
  const Batch b = RandomBatch(spec, 4, 3);
  const double before = *model->Loss(b.images, b.labels, 4, true);
  // Zero the last layer: every logit 0, so the loss is log(classes).
  for (const ParamBlock& block : model->layout()) {
    if (block.name.starts_with("fc2.")) {
      std::fill_n(model->params().begin() + block.offset, block.size, 0.0f);
    }
  }
  const double after = *model->Loss(b.images, b.labels, 4, true);
  EXPECT_NE(before, after);
  EXPECT_NEAR(after, std::log(3.0), 1e-6);
}

TEST(Model, OneAndTwoThreadsAgree) {
  for (const char* name : {"lenet", "resnet8"}) {
    ModelSpec spec = TinySpec(name, "batch");
    spec.threads = 1;
    absl::StatusOr<Model> one = Model::Create(spec);
    spec.threads = 2;
    absl::StatusOr<Model> two = Model::Create(spec);
    ASSERT_TRUE(one.ok() && two.ok());
    absl::StatusOr<Sgd> sgd1 = Sgd::Create({.lr = 0.05});
    absl::StatusOr<Sgd> sgd2 = Sgd::Create({.lr = 0.05});
    for (int step = 0; step < 3; ++step) {
      const Batch b = RandomBatch(spec, 6, 100 + step);
      absl::StatusOr<StepResult> r1 = one->TrainStep(b.images, b.labels, 6, *sgd1);
      absl::StatusOr<StepResult> r2 = two->TrainStep(b.images, b.labels, 6, *sgd2);
      ASSERT_TRUE(r1.ok() && r2.ok());
      EXPECT_NEAR(r1->loss, r2->loss, 1e-5 * std::max(1.0, r1->loss));
    }
    ASSERT_EQ(one->params().size(), two->params().size());
    for (size_t i = 0; i < one->params().size(); ++i) {
      ASSERT_NEAR(one->params()[i], two->params()[i], 1e-4 + 1e-4 * std::abs(one->params()[i]))
          << name << " param " << i;
    }
  }
}

// Three classes of 8x8 images: a bright 3x3 square in a class-specific
// corner, plus noise. A linear model separates them, so a few dozen steps of
// lenet must.
Batch SeparableSet(int n, uint64_t seed) {
  Random rng(seed);
  Batch b;
  b.images.assign(static_cast<size_t>(n) * 64, 0.0f);
  for (int i = 0; i < n; ++i) {
    const int label = static_cast<int>(rng.Next() % 3);
    b.labels.push_back(label);
    float* img = b.images.data() + i * 64;
    for (int p = 0; p < 64; ++p) img[p] = static_cast<float>(0.3 * rng.Normal());
    const int r0 = label == 2 ? 5 : 0;
    const int c0 = label == 1 ? 5 : 0;
    for (int r = r0; r < r0 + 3; ++r) {
      for (int c = c0; c < c0 + 3; ++c) img[r * 8 + c] += 2.0f;
    }
  }
  return b;
}

TEST(Model, TrainingOnASeparableSetDrivesLossDownAndAccuracyUp) {
  for (const char* norm : {"group", "batch"}) {
    SCOPED_TRACE(norm);
    ModelSpec spec = TinySpec("lenet", norm);
    absl::StatusOr<Model> model = Model::Create(spec);
    absl::StatusOr<Sgd> sgd = Sgd::Create({.lr = 0.02});
    ASSERT_TRUE(model.ok() && sgd.ok());
    const Batch train = SeparableSet(256, 1);
    const Batch test = SeparableSet(300, 2);
    absl::StatusOr<EvalResult> before = model->Evaluate(test.images, test.labels, 300, 64);
    ASSERT_TRUE(before.ok());
    constexpr int kBatch = 16;
    for (int step = 0; step < 48; ++step) {
      const int first = (step * kBatch) % 256;
      absl::StatusOr<StepResult> r = model->TrainStep(
          std::span<const float>(train.images).subspan(first * 64, kBatch * 64),
          std::span<const int32_t>(train.labels).subspan(first, kBatch), kBatch, *sgd);
      ASSERT_TRUE(r.ok()) << r.status();
      ASSERT_TRUE(std::isfinite(r->loss));
    }
    absl::StatusOr<EvalResult> after = model->Evaluate(test.images, test.labels, 300, 64);
    ASSERT_TRUE(after.ok());
    EXPECT_GT(before->loss, 0.8);
    EXPECT_LT(after->loss, 0.25 * before->loss);
    EXPECT_GE(after->accuracy, 0.95);
  }
}

TEST(Model, EvaluateChangesNothingAndCountsEveryBatch) {
  ModelSpec spec = TinySpec("resnet8", "batch");
  absl::StatusOr<Model> model = Model::Create(spec);
  ASSERT_TRUE(model.ok());
  const Batch b = RandomBatch(spec, 10, 4);
  const std::vector<float> before(model->params().begin(), model->params().end());
  absl::StatusOr<EvalResult> whole = model->Evaluate(b.images, b.labels, 10, 10);
  absl::StatusOr<EvalResult> pieces = model->Evaluate(b.images, b.labels, 10, 3);
  ASSERT_TRUE(whole.ok() && pieces.ok());
  EXPECT_TRUE(std::equal(before.begin(), before.end(), model->params().begin()));
  // Eval mode has no batch dependence: 10 at once == 3+3+3+1.
  EXPECT_NEAR(whole->loss, pieces->loss, 1e-5);
  EXPECT_EQ(whole->accuracy, pieces->accuracy);
  std::vector<uint8_t> small(b.labels.begin(), b.labels.end());
  absl::StatusOr<EvalResult> bytes = model->Evaluate(b.images, small, 10, 4);
  ASSERT_TRUE(bytes.ok());
  EXPECT_NEAR(bytes->loss, whole->loss, 1e-5);
}

TEST(Model, TrainStepUpdatesBatchNormRunningStatistics) {
  ModelSpec spec = TinySpec("lenet", "batch");
  absl::StatusOr<Model> model = Model::Create(spec);
  absl::StatusOr<Sgd> sgd = Sgd::Create({.lr = 0.0, .momentum = 0.0, .weight_decay = 0.0});
  ASSERT_TRUE(model.ok() && sgd.ok());
  const std::vector<float> before(model->params().begin(), model->params().end());
  const Batch b = RandomBatch(spec, 4, 6);
  ASSERT_TRUE(model->TrainStep(b.images, b.labels, 4, *sgd).ok());
  const size_t t = model->num_trainable();
  // lr 0: trainable unchanged; the running statistics moved.
  EXPECT_TRUE(std::equal(before.begin(), before.begin() + t, model->params().begin()));
  EXPECT_FALSE(std::equal(before.begin() + t, before.end(), model->params().begin() + t));
}

TEST(Model, RejectsBadSpecsNamingTheField) {
  struct Case {
    ModelSpec spec;
    std::string field;
  };
  const std::vector<Case> cases = {
      {{.name = "vgg"}, "ModelSpec.name"},
      {{.norm = "layer"}, "ModelSpec.norm"},
      {{.norm = "group", .groups = 5}, "ModelSpec.groups"},
      {{.name = "resnet8", .norm = "group", .groups = 32}, "ModelSpec.groups"},
      {{.norm = "group", .groups = 0}, "ModelSpec.groups"},
      {{.in_channels = 0}, "ModelSpec.in_channels"},
      {{.in_height = 3}, "ModelSpec.in_height"},
      {{.in_width = -1}, "ModelSpec.in_width"},
      {{.classes = 1}, "ModelSpec.classes"},
      {{.threads = -2}, "ModelSpec.threads"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Model> model = Model::Create(c.spec);
    ASSERT_FALSE(model.ok()) << c.field;
    EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(model.status().message().find(c.field), std::string::npos)
        << model.status().message();
  }
  // groups only matters for group norm.
  EXPECT_TRUE(Model::Create({.norm = "batch", .groups = 5}).ok());
}

TEST(Model, RejectsBadBatchesNamingTheArgument) {
  ModelSpec spec = TinySpec("lenet", "group");
  absl::StatusOr<Model> model = Model::Create(spec);
  absl::StatusOr<Sgd> sgd = Sgd::Create({});
  ASSERT_TRUE(model.ok() && sgd.ok());
  Batch b = RandomBatch(spec, 4, 1);
  auto message = [](const absl::Status& s) { return std::string(s.message()); };
  EXPECT_NE(message(model->TrainStep(b.images, b.labels, 5, *sgd).status()).find("images"),
            std::string::npos);
  EXPECT_NE(message(model->TrainStep(b.images, std::span<const int32_t>(b.labels).first(3), 4,
                                     *sgd).status()).find("labels"),
            std::string::npos);
  EXPECT_NE(message(model->TrainStep(b.images, b.labels, 0, *sgd).status()).find("batch"),
            std::string::npos);
  b.labels[2] = 3;  // classes == 3
  EXPECT_NE(message(model->TrainStep(b.images, b.labels, 4, *sgd).status()).find("labels[2]"),
            std::string::npos);
  b.labels[2] = -1;
  EXPECT_FALSE(model->Evaluate(b.images, b.labels, 4, 2).ok());
}

}  // namespace
}  // namespace gaia::cnn
