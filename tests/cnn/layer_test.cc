// Gradient checks (central differences) of every apps/cnn layer, and the
// layers' other contracts (shapes, BatchNorm statistics, GroupNorm invariance).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "apps/cnn/layers/conv2d.h"
#include "apps/cnn/layers/elementwise.h"
#include "apps/cnn/layers/im2col.h"
#include "apps/cnn/layers/linear.h"
#include "apps/cnn/layers/loss.h"
#include "apps/cnn/layers/norm.h"
#include "apps/cnn/layers/pool.h"
#include "gtest/gtest.h"
#include "tests/cnn/layer_check.h"

namespace gaia::cnn {
namespace {

using testing::BoundParams;
using testing::CheckLayerGradients;
using testing::CheckOptions;
using testing::FillNormal;

std::vector<Tensor> Inputs(std::vector<Shape> shapes, uint64_t seed) {
  std::vector<Tensor> inputs;
  for (const Shape& s : shapes) {
    inputs.emplace_back(s);
    FillNormal(inputs.back(), seed++);
  }
  return inputs;
}

struct ConvCase {
  int in, out, kernel, stride, pad, h, w;
  bool bias;
};

TEST(Conv2d, GradientsMatchCentralDifferences) {
  const ConvCase cases[] = {{2, 3, 3, 1, 1, 5, 5, true},  {1, 2, 5, 1, 2, 6, 7, false},
                            {3, 2, 3, 2, 1, 7, 6, false}, {2, 4, 1, 2, 0, 5, 5, true},
                            {2, 2, 1, 1, 0, 4, 3, false}, {1, 2, 2, 3, 0, 7, 8, true},
                            {2, 1, 3, 1, 2, 3, 3, true}};
  for (const ConvCase& c : cases) {
    SCOPED_TRACE(::testing::Message() << "k" << c.kernel << " s" << c.stride << " p" << c.pad);
    Conv2d conv({.in_channels = c.in, .out_channels = c.out, .kernel = c.kernel,
                 .stride = c.stride, .pad = c.pad, .bias = c.bias});
    BoundParams params(conv, 3);
    std::vector<Tensor> x = Inputs({{3, c.in, c.h, c.w}}, 5);
    EXPECT_GT(CheckLayerGradients(conv, x, params), 0);
  }
}

TEST(Conv2d, MatchesADirectConvolution) {
  Conv2d conv({.in_channels = 2, .out_channels = 3, .kernel = 3, .stride = 2, .pad = 1});
  BoundParams params(conv, 4);
  Tensor x({2, 2, 5, 6});
  FillNormal(x, 8);
  ThreadPool pool(2);
  Tensor y;
  const Tensor* in[] = {&x};
  conv.Forward(in, y, {.pool = &pool});
  ASSERT_EQ(y.shape(), (Shape{2, 3, 3, 3}));
  const std::vector<float>& w = params.value(0);
  const std::vector<float>& b = params.value(1);
  for (int n = 0; n < 2; ++n) {
    for (int o = 0; o < 3; ++o) {
      for (int oh = 0; oh < 3; ++oh) {
        for (int ow = 0; ow < 3; ++ow) {
          double want = b[o];
          for (int c = 0; c < 2; ++c) {
            for (int i = 0; i < 3; ++i) {
              for (int j = 0; j < 3; ++j) {
                const int ih = oh * 2 - 1 + i;
                const int iw = ow * 2 - 1 + j;
                if (ih < 0 || ih >= 5 || iw < 0 || iw >= 6) continue;
                want += w[((o * 2 + c) * 3 + i) * 3 + j] * x.sample(n)[(c * 5 + ih) * 6 + iw];
              }
            }
          }
          EXPECT_NEAR(y.sample(n)[(o * 3 + oh) * 3 + ow], want, 1e-4);
        }
      }
    }
  }
}

TEST(Conv2d, RejectsShapesThatDoNotFit) {
  Conv2d conv({.in_channels = 2, .out_channels = 3, .kernel = 5});
  EXPECT_FALSE(conv.OutputShape({{Shape{1, 2, 4, 9}}}).ok());   // kernel > height
  EXPECT_FALSE(conv.OutputShape({{Shape{1, 3, 9, 9}}}).ok());   // channels
  Conv2d bad({.in_channels = 1, .out_channels = 1, .kernel = 3, .stride = 0});
  EXPECT_FALSE(bad.OutputShape({{Shape{1, 1, 9, 9}}}).ok());
}

TEST(Im2Col, Col2ImIsItsAdjoint) {
  // <Im2Col(x), c> == <x, Col2Im(c)> for any x, c.
  const internal::ConvGeometry g{.channels = 2, .height = 5, .width = 4, .kernel = 3,
                                 .stride = 2, .pad = 1, .out_h = 3, .out_w = 2};
  Tensor x({1, 2, 5, 4});
  Tensor c({1, g.col_rows(), g.col_cols(), 1});
  FillNormal(x, 1);
  FillNormal(c, 2);
  std::vector<float> col(c.size());
  std::vector<float> back(x.size());
  internal::Im2Col(g, x.data(), col.data());
  internal::Col2Im(g, c.data(), back.data());
  double lhs = 0;
  double rhs = 0;
  for (size_t i = 0; i < col.size(); ++i) lhs += static_cast<double>(col[i]) * c.data()[i];
  for (size_t i = 0; i < back.size(); ++i) rhs += static_cast<double>(back[i]) * x.data()[i];
  EXPECT_NEAR(lhs, rhs, 1e-4);
}

TEST(Linear, GradientsMatchCentralDifferences) {
  Linear fc({.in_features = 2 * 3 * 2, .out_features = 5});
  BoundParams params(fc, 1);
  std::vector<Tensor> x = Inputs({{4, 2, 3, 2}}, 2);
  EXPECT_GT(CheckLayerGradients(fc, x, params), 0);
  Linear no_bias({.in_features = 6, .out_features = 3, .bias = false});
  BoundParams p2(no_bias, 1);
  std::vector<Tensor> x2 = Inputs({{5, 6, 1, 1}}, 3);
  EXPECT_GT(CheckLayerGradients(no_bias, x2, p2), 0);
}

TEST(Linear, RejectsAWrongFeatureCount) {
  Linear fc({.in_features = 12, .out_features = 5});
  EXPECT_TRUE(fc.OutputShape({{Shape{2, 3, 2, 2}}}).ok());
  EXPECT_FALSE(fc.OutputShape({{Shape{2, 3, 2, 3}}}).ok());
}

// Inputs spaced at least 0.05 apart, so a +-1e-2 move never swaps a max and
// never crosses 0.
Tensor SpacedInput(Shape s, uint64_t seed) {
  Tensor x(s);
  std::vector<int> order(x.size());
  std::iota(order.begin(), order.end(), 0);
  Random rng(seed);
  for (size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[rng.Next() % (i + 1)]);
  for (size_t i = 0; i < x.size(); ++i) x.data()[i] = 0.05f * (order[i] - x.size() / 2.0f + 0.5f);
  return x;
}

TEST(MaxPool2d, GradientsMatchCentralDifferences) {
  for (auto [k, s] : {std::pair{2, 2}, std::pair{3, 2}, std::pair{2, 1}}) {
    MaxPool2d pool({.kernel = k, .stride = s});
    BoundParams params(pool, 1);
    std::vector<Tensor> x;
    x.push_back(SpacedInput({2, 3, 7, 6}, 4));
    EXPECT_GT(CheckLayerGradients(pool, x, params), 0);
  }
}

TEST(MaxPool2d, TakesTheWindowMaximumAndFloorsTheSize) {
  MaxPool2d pool({.kernel = 2, .stride = 2});
  Tensor x({1, 1, 3, 5});
  for (size_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>((i * 7) % 11);
  ThreadPool threads(1);
  Tensor y;
  const Tensor* in[] = {&x};
  pool.Forward(in, y, {.pool = &threads});
  ASSERT_EQ(y.shape(), (Shape{1, 1, 1, 2}));
  // Rows 0-1, columns 0-1: values 0, 7, 9, 5 (i = 0, 1, 5, 6) -> 9.
  EXPECT_EQ(y.data()[0], 9.0f);
  EXPECT_EQ(y.data()[1], std::max({x.data()[2], x.data()[3], x.data()[7], x.data()[8]}));
}

TEST(GlobalAvgPool, GradientsMatchCentralDifferences) {
  GlobalAvgPool pool;
  BoundParams params(pool, 1);
  std::vector<Tensor> x = Inputs({{3, 4, 3, 5}}, 6);
  EXPECT_GT(CheckLayerGradients(pool, x, params), 0);
}

TEST(ReLU, GradientsMatchCentralDifferences) {
  ReLU relu;
  BoundParams params(relu, 1);
  std::vector<Tensor> x;
  x.push_back(SpacedInput({3, 2, 4, 4}, 7));
  EXPECT_GT(CheckLayerGradients(relu, x, params), 0);
}

TEST(Add, GradientsReachBothInputs) {
  Add add;
  BoundParams params(add, 1);
  std::vector<Tensor> x = Inputs({{2, 3, 4, 4}, {2, 3, 4, 4}}, 8);
  EXPECT_EQ(CheckLayerGradients(add, x, params), 2 * 48);  // every other of 96 per input
  EXPECT_FALSE(add.OutputShape(std::vector<Shape>{{1, 3, 4, 4}, {1, 3, 4, 5}}).ok());
}

TEST(BatchNorm2d, TrainingGradientsMatchCentralDifferences) {
  BatchNorm2d bn({.channels = 3});
  BoundParams params(bn, 2);
  std::vector<Tensor> x = Inputs({{4, 3, 3, 3}}, 9);
  EXPECT_GT(CheckLayerGradients(bn, x, params), 0);
}

TEST(GroupNorm, GradientsMatchCentralDifferences) {
  for (int groups : {1, 2, 6}) {
    GroupNorm gn({.channels = 6, .groups = groups});
    BoundParams params(gn, 3);
    std::vector<Tensor> x = Inputs({{3, 6, 3, 2}}, 10);
    EXPECT_GT(CheckLayerGradients(gn, x, params), 0) << groups;
  }
}

TEST(SoftmaxCrossEntropy, GradientMatchesCentralDifferences) {
  Tensor logits({4, 5, 1, 1});
  FillNormal(logits, 11, 2.0);
  const std::vector<int32_t> labels = {0, 4, 2, 2};
  Tensor grad;
  const LossResult r = SoftmaxCrossEntropy(logits, labels, &grad);
  const double h = 1e-2;
  for (size_t i = 0; i < logits.size(); ++i) {
    const float saved = logits.data()[i];
    logits.data()[i] = static_cast<float>(saved + h);
    const double up = SoftmaxCrossEntropy(logits, labels, nullptr).loss;
    logits.data()[i] = static_cast<float>(saved - h);
    const double down = SoftmaxCrossEntropy(logits, labels, nullptr).loss;
    logits.data()[i] = saved;
    EXPECT_NEAR(grad.data()[i], (up - down) / (2 * h), 1e-4) << i;
  }
  // The loss itself: mean of log-sum-exp minus the label's logit.
  double want = 0;
  int64_t correct = 0;
  for (int n = 0; n < 4; ++n) {
    const float* z = logits.sample(n);
    double sum = 0;
    for (int j = 0; j < 5; ++j) sum += std::exp(static_cast<double>(z[j]));
    want += std::log(sum) - z[labels[n]];
    correct += std::max_element(z, z + 5) - z == labels[n];
  }
  EXPECT_NEAR(r.loss, want / 4, 1e-6);
  EXPECT_EQ(r.correct, correct);
}

// Channel statistics in double, the reference for the BatchNorm tests.
void ChannelStats(const Tensor& x, int c, double* mean, double* biased_var) {
  const Shape& s = x.shape();
  double sum = 0;
  double sq = 0;
  for (int n = 0; n < s.n; ++n) {
    for (size_t i = 0; i < s.plane(); ++i) sum += x.sample(n)[c * s.plane() + i];
  }
  const double count = static_cast<double>(s.n) * s.plane();
  *mean = sum / count;
  for (int n = 0; n < s.n; ++n) {
    for (size_t i = 0; i < s.plane(); ++i) {
      const double d = x.sample(n)[c * s.plane() + i] - *mean;
      sq += d * d;
    }
  }
  *biased_var = sq / count;
}

TEST(BatchNorm2d, FoldsBatchStatisticsIntoRunningOnesAndUsesThemInEval) {
  BatchNorm2d bn({.channels = 2});
  BoundParams params(bn, 0, /*random=*/false);  // weight 1, bias 0, mean 0, var 1
  params.value(0) = {1.5f, 0.5f};               // weight
  params.value(1) = {0.25f, -1.0f};             // bias
  Tensor x({5, 2, 2, 3});
  FillNormal(x, 12, 3.0);
  for (float& v : x.span()) v += 2.0f;
  ThreadPool pool(2);
  Tensor y;
  const Tensor* in[] = {&x};
  bn.Forward(in, y, {.pool = &pool, .training = true, .update_stats = true});
  const double count = 5 * 6;
  for (int c = 0; c < 2; ++c) {
    double mean = 0;
    double var = 0;
    ChannelStats(x, c, &mean, &var);
    EXPECT_NEAR(params.value(2)[c], 0.9 * 0 + 0.1 * mean, 1e-5);
    EXPECT_NEAR(params.value(3)[c], 0.9 * 1 + 0.1 * var * count / (count - 1), 1e-4);
    // Training output: batch statistics with the biased variance.
    const float got = y.sample(3)[c * 6 + 4];
    const double want = (x.sample(3)[c * 6 + 4] - mean) / std::sqrt(var + 1e-5) *
                            params.value(0)[c] + params.value(1)[c];
    EXPECT_NEAR(got, want, 1e-4);
  }
  // Eval: the running statistics, and nothing changes.
  const std::vector<float> running_mean = params.value(2);
  const std::vector<float> running_var = params.value(3);
  bn.Forward(in, y, {.pool = &pool, .training = false, .update_stats = true});
  EXPECT_EQ(params.value(2), running_mean);
  EXPECT_EQ(params.value(3), running_var);
  for (int c = 0; c < 2; ++c) {
    const double want = (x.sample(1)[c * 6 + 2] - running_mean[c]) /
                            std::sqrt(running_var[c] + 1e-5) * params.value(0)[c] +
                        params.value(1)[c];
    EXPECT_NEAR(y.sample(1)[c * 6 + 2], want, 1e-4);
  }
  // A second training pass moves the running mean on by momentum 0.1.
  bn.Forward(in, y, {.pool = &pool, .training = true, .update_stats = true});
  double mean0 = 0;
  double var0 = 0;
  ChannelStats(x, 0, &mean0, &var0);
  EXPECT_NEAR(params.value(2)[0], 0.9 * running_mean[0] + 0.1 * mean0, 1e-5);
}

TEST(BatchNorm2d, LossOnlyForwardLeavesRunningStatisticsAlone) {
  BatchNorm2d bn({.channels = 2});
  BoundParams params(bn, 0, /*random=*/false);
  Tensor x({3, 2, 2, 2});
  FillNormal(x, 13);
  ThreadPool pool(1);
  Tensor y;
  const Tensor* in[] = {&x};
  bn.Forward(in, y, {.pool = &pool, .training = true, .update_stats = false});
  EXPECT_EQ(params.value(2), std::vector<float>(2, 0.0f));
  EXPECT_EQ(params.value(3), std::vector<float>(2, 1.0f));
}

TEST(GroupNorm, IsInvariantToAnAffineMapOfEachGroup) {
  GroupNorm gn({.channels = 6, .groups = 3});
  BoundParams params(gn, 5);
  Tensor x({2, 6, 3, 3});
  FillNormal(x, 14);
  Tensor scaled = x;
  const float scale[3] = {3.0f, 0.25f, 7.0f};
  const float shift[3] = {2.0f, -5.0f, 0.5f};
  for (int n = 0; n < 2; ++n) {
    for (int c = 0; c < 6; ++c) {
      for (int i = 0; i < 9; ++i) {
        float& v = scaled.sample(n)[c * 9 + i];
        v = v * scale[c / 2] + shift[c / 2];
      }
    }
  }
  ThreadPool pool(2);
  Tensor y;
  Tensor y_scaled;
  const Tensor* in[] = {&x};
  const Tensor* in_scaled[] = {&scaled};
  gn.Forward(in, y, {.pool = &pool});
  gn.Forward(in_scaled, y_scaled, {.pool = &pool});
  for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y.data()[i], y_scaled.data()[i], 2e-3) << i;
  // And it normalizes: each group of a sample has mean ~0 and variance ~1
  // before the affine (weight 1, bias 0 here).
  GroupNorm plain({.channels = 6, .groups = 3});
  BoundParams unit(plain, 0, /*random=*/false);
  plain.Forward(in, y, {.pool = &pool});
  for (int g = 0; g < 3; ++g) {
    double sum = 0;
    double sq = 0;
    for (int i = 0; i < 18; ++i) {
      const double v = y.sample(1)[g * 18 + i];
      sum += v;
      sq += v * v;
    }
    EXPECT_NEAR(sum / 18, 0.0, 1e-5);
    EXPECT_NEAR(sq / 18, 1.0, 1e-3);
  }
}

TEST(GroupNorm, RejectsGroupsThatDoNotDivideChannels) {
  GroupNorm gn({.channels = 6, .groups = 4});
  const absl::StatusOr<Shape> s = gn.OutputShape({{Shape{1, 6, 2, 2}}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("groups"), std::string::npos);
}

}  // namespace
}  // namespace gaia::cnn
