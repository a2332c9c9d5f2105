#include "apps/cnn/sgd.h"

#include <cmath>
#include <numbers>
#include <vector>

#include "gtest/gtest.h"

namespace gaia::cnn {
namespace {

TEST(Sgd, MomentumAndWeightDecayFollowPyTorchsRule) {
  absl::StatusOr<Sgd> sgd = Sgd::Create({.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01});
  ASSERT_TRUE(sgd.ok());
  std::vector<float> w = {1.0f, -2.0f};
  const std::vector<float> g1 = {0.5f, 0.25f};
  const std::vector<float> g2 = {-1.0f, 0.0f};
  ASSERT_TRUE(sgd->Step(w, g1).ok());
  // v1 = g1 + 0.01 w0 = {0.51, 0.23}; w1 = w0 - 0.1 v1.
  EXPECT_NEAR(w[0], 1.0 - 0.051, 1e-6);
  EXPECT_NEAR(w[1], -2.0 - 0.023, 1e-6);
  ASSERT_TRUE(sgd->Step(w, g2).ok());
  // v2 = 0.9 v1 + g2 + 0.01 w1.
  const double v0 = 0.9 * 0.51 + -1.0 + 0.01 * 0.949;
  const double v1 = 0.9 * 0.23 + 0.0 + 0.01 * -2.023;
  EXPECT_NEAR(w[0], 0.949 - 0.1 * v0, 1e-6);
  EXPECT_NEAR(w[1], -2.023 - 0.1 * v1, 1e-6);
}

TEST(Sgd, NesterovLooksAhead) {
  absl::StatusOr<Sgd> sgd =
      Sgd::Create({.lr = 0.5, .momentum = 0.5, .weight_decay = 0.0, .nesterov = true});
  ASSERT_TRUE(sgd.ok());
  std::vector<float> w = {0.0f};
  ASSERT_TRUE(sgd->Step(w, std::vector<float>{1.0f}).ok());
  // v = 1; step = g + mu v = 1.5.
  EXPECT_NEAR(w[0], -0.75, 1e-6);
  ASSERT_TRUE(sgd->Step(w, std::vector<float>{2.0f}).ok());
  // v = 0.5 + 2 = 2.5; step = 2 + 1.25 = 3.25.
  EXPECT_NEAR(w[0], -0.75 - 0.5 * 3.25, 1e-6);
}

TEST(Sgd, WithoutMomentumIsPlainGradientDescent) {
  absl::StatusOr<Sgd> sgd = Sgd::Create({.lr = 0.1, .momentum = 0.0, .weight_decay = 0.5});
  ASSERT_TRUE(sgd.ok());
  std::vector<float> w = {2.0f};
  ASSERT_TRUE(sgd->Step(w, std::vector<float>{1.0f}).ok());
  EXPECT_NEAR(w[0], 2.0 - 0.1 * (1.0 + 0.5 * 2.0), 1e-6);
}

TEST(Sgd, RejectsBadOptionsAndSizeChanges) {
  EXPECT_FALSE(Sgd::Create({.lr = -1}).ok());
  EXPECT_FALSE(Sgd::Create({.momentum = 1.0}).ok());
  EXPECT_FALSE(Sgd::Create({.weight_decay = -0.1}).ok());
  EXPECT_FALSE(Sgd::Create({.momentum = 0.0, .nesterov = true}).ok());
  const absl::Status s = Sgd::Create({.momentum = 2.0}).status();
  EXPECT_NE(s.message().find("SgdOptions.momentum"), std::string::npos);
  absl::StatusOr<Sgd> sgd = Sgd::Create({});
  ASSERT_TRUE(sgd.ok());
  std::vector<float> w(3);
  EXPECT_FALSE(sgd->Step(w, std::vector<float>(2)).ok());
  ASSERT_TRUE(sgd->Step(w, std::vector<float>(3)).ok());
  std::vector<float> w4(4);
  EXPECT_FALSE(sgd->Step(w4, std::vector<float>(4)).ok());
  sgd->Reset();
  EXPECT_TRUE(sgd->Step(w4, std::vector<float>(4)).ok());
}

TEST(LrSchedule, ConstantStepAndCosine) {
  absl::StatusOr<LrSchedule> constant = LrSchedule::Create({.base_lr = 0.1});
  ASSERT_TRUE(constant.ok());
  EXPECT_DOUBLE_EQ(constant->At(1000, 50), 0.1);

  absl::StatusOr<LrSchedule> step = LrSchedule::Create(
      {.kind = LrSchedule::Kind::kStep, .base_lr = 0.1, .gamma = 0.5, .step_epochs = 10});
  ASSERT_TRUE(step.ok());
  EXPECT_DOUBLE_EQ(step->At(0, 0), 0.1);
  EXPECT_DOUBLE_EQ(step->At(0, 9), 0.1);
  EXPECT_DOUBLE_EQ(step->At(0, 10), 0.05);
  EXPECT_DOUBLE_EQ(step->At(0, 25), 0.025);

  absl::StatusOr<LrSchedule> cosine = LrSchedule::Create(
      {.kind = LrSchedule::Kind::kCosine, .base_lr = 0.2, .total_steps = 100, .min_lr = 0.02});
  ASSERT_TRUE(cosine.ok());
  EXPECT_DOUBLE_EQ(cosine->At(0, 0), 0.2);
  EXPECT_NEAR(cosine->At(50, 0), 0.11, 1e-12);
  EXPECT_NEAR(cosine->At(25, 0), 0.02 + 0.18 * 0.5 * (1 + std::cos(std::numbers::pi / 4)),
              1e-12);
  EXPECT_DOUBLE_EQ(cosine->At(100, 0), 0.02);
  EXPECT_DOUBLE_EQ(cosine->At(500, 0), 0.02);
  EXPECT_DOUBLE_EQ(cosine->At(-5, 0), 0.2);
}

TEST(LrSchedule, ParsesKindsAndRejectsBadOptions) {
  EXPECT_EQ(*LrSchedule::ParseKind("cosine"), LrSchedule::Kind::kCosine);
  EXPECT_EQ(*LrSchedule::ParseKind("step"), LrSchedule::Kind::kStep);
  EXPECT_EQ(*LrSchedule::ParseKind("constant"), LrSchedule::Kind::kConstant);
  EXPECT_FALSE(LrSchedule::ParseKind("linear").ok());
  EXPECT_FALSE(LrSchedule::Create({.base_lr = 0}).ok());
  EXPECT_FALSE(LrSchedule::Create({.kind = LrSchedule::Kind::kStep, .gamma = 0}).ok());
  EXPECT_FALSE(LrSchedule::Create({.kind = LrSchedule::Kind::kStep, .step_epochs = 0}).ok());
  EXPECT_FALSE(LrSchedule::Create({.kind = LrSchedule::Kind::kCosine}).ok());
  const absl::Status s =
      LrSchedule::Create({.kind = LrSchedule::Kind::kCosine, .total_steps = 10, .min_lr = 1})
          .status();
  EXPECT_NE(s.message().find("LrSchedule.min_lr"), std::string::npos);
}

}  // namespace
}  // namespace gaia::cnn
