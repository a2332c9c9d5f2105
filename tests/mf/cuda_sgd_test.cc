// The GPU pass (apps/mf/cuda/device_sgd.h) against the CPU's LocalSgd on small
// planted problems. Needs a CUDA GPU; without one every comparison skips with
// the reason, and only the no-GPU error is checked. The logic around the
// kernel (step rule, visit order, per-rating step, engines) is covered by the
// CPU tests (mf_sgd_test, mf_sgd_update_test, mf_engine_test).
//
// Tolerances: the first objective is computed from the same L and R, so it
// agrees to float summation order (1e-5 relative). Later epochs differ by the
// visit order and by Hogwild's lost updates, so objectives must agree within
// 3% per epoch and the final train RMSE within 1%; fp16 storage of L must
// stay within 2% of fp32's final RMSE.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "apps/mf/cuda/device_sgd.h"
#include "apps/mf/sgd.h"
#include "apps/mf/sgd_engine.h"
#include "apps/mf/synthetic.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "apps/common/gpu/device.h"

namespace gaia::mf {
namespace {

using ::testing::StartsWith;

std::string NoGpuReason() {
  int count = 0;
  gaia::gpu::CudaResult r = gaia::gpu::CountDevices(&count);
  return r.ok() ? std::string() : r.message();
}

#define SKIP_WITHOUT_GPU()                                                          \
  do {                                                                              \
    if (std::string why = NoGpuReason(); !why.empty()) {                            \
      GTEST_SKIP() << "needs a CUDA GPU (CPU tests cover the logic): " << why;      \
    }                                                                               \
  } while (0)

std::vector<Rating> Problem(uint32_t planted_rank) {
  SyntheticOptions o;
  o.users = 3000;
  o.items = 1500;
  o.ratings = 150000;
  o.rank = planted_rank;
  o.noise = 0.2;
  o.zipf = 0.3;
  o.seed = 21;
  return SyntheticGenerator::Create(o)->Generate(0, 1);
}

SgdOptions Sgd(uint32_t rank) {
  SgdOptions o;
  o.rank = rank;
  o.learning_rate = 0.01;
  o.lr_decay = 0.05;
  o.lambda = 0.005;
  return o;
}

SgdEngineFactory Gpu(bool fp16) {
  cuda::DeviceSgdOptions device;
  device.fp16_user_factors = fp16;
  return [device](const std::vector<Rating>& ratings, const SgdOptions& options) {
    return cuda::CreateDeviceEngine(ratings, options, device);
  };
}

double TrainRmse(const SerialResult& result) {
  return std::sqrt(result.squared_errors.back() / static_cast<double>(result.ratings));
}

TEST(CudaSgd, WithoutAGpuCreatingTheEngineSaysWhy) {
  if (NoGpuReason().empty()) GTEST_SKIP() << "this machine has a GPU: no error to see";
  absl::StatusOr<std::unique_ptr<SgdEngine>> engine =
      cuda::CreateDeviceEngine(Problem(4), Sgd(8), cuda::DeviceSgdOptions{});
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(engine.status().message()),
              StartsWith("--device=cuda: no usable CUDA GPU: "));
}

// rank 10 takes the scalar kernel, 16 and 128 the register (float4) kernel.
class CudaSgdRank : public ::testing::TestWithParam<uint32_t> {};

TEST_P(CudaSgdRank, FirstClockMatchesTheCpuAndPushesExactlyItsDelta) {
  SKIP_WITHOUT_GPU();
  const uint32_t rank = GetParam();
  const std::vector<Rating> ratings = Problem(4);
  absl::StatusOr<std::unique_ptr<SgdEngine>> gpu = Gpu(false)(ratings, Sgd(rank));
  ASSERT_TRUE(gpu.ok()) << gpu.status();
  LocalSgd cpu = *LocalSgd::Create(ratings, Sgd(rank));
  const size_t n = cpu.items().size() * rank;
  std::vector<float> r(n), delta(n), r_cpu(n), delta_cpu(n);
  for (size_t j = 0; j < n; ++j) r[j] = r_cpu[j] = 0.1f * std::sin(0.7f * j);
  const std::vector<float> before = r;
  absl::StatusOr<LocalSgd::ClockResult> got = (*gpu)->RunClock(0, r, delta);
  ASSERT_TRUE(got.ok()) << got.status();
  LocalSgd::ClockResult want = cpu.RunClock(0, r_cpu, delta_cpu);
  EXPECT_NEAR(got->objective.total(), want.objective.total(), 1e-5 * want.objective.total());
  EXPECT_EQ(got->objective.ratings, want.objective.ratings);
  EXPECT_EQ(got->updates, want.updates);
  EXPECT_EQ(got->learning_rate, want.learning_rate);
  double moved = 0;
  for (size_t j = 0; j < n; ++j) {
    ASSERT_EQ(r[j], before[j] + delta[j]) << j;
    moved += std::abs(delta[j]);
  }
  EXPECT_GT(moved, 0);
  // L copied back: the host objective of the new rows is the device's next one.
  ASSERT_TRUE((*gpu)->SyncModel().ok());
  const double host = (*gpu)->model().ComputeObjective(r).total();
  absl::StatusOr<LocalSgd::ClockResult> next = (*gpu)->RunClock(1, r, delta);
  ASSERT_TRUE(next.ok());
  EXPECT_NEAR(next->objective.total(), host, 1e-5 * host);
}

TEST_P(CudaSgdRank, ObjectiveTrajectoryTracksTheCpuFor10Epochs) {
  SKIP_WITHOUT_GPU();
  const uint32_t rank = GetParam();
  const std::vector<Rating> ratings = Problem(4);
  SerialOptions o;
  o.sgd = Sgd(rank);
  o.epochs = 10;
  absl::StatusOr<SerialResult> cpu = SerialTrain(ratings, o);
  o.engine = Gpu(false);
  absl::StatusOr<SerialResult> gpu = SerialTrain(ratings, o);
  ASSERT_TRUE(cpu.ok() && gpu.ok()) << gpu.status();
  ASSERT_EQ(gpu->objectives.size(), cpu->objectives.size());
  EXPECT_NEAR(gpu->objectives[0], cpu->objectives[0], 1e-5 * cpu->objectives[0]);
  for (size_t e = 1; e < cpu->objectives.size(); ++e) {
    EXPECT_NEAR(gpu->objectives[e], cpu->objectives[e], 0.03 * cpu->objectives[e])
        << "epoch " << e;
  }
  EXPECT_NEAR(TrainRmse(*gpu), TrainRmse(*cpu), 0.01 * TrainRmse(*cpu));
  EXPECT_LT(gpu->objectives.back(), 0.5 * gpu->objectives.front());  // it learned
  RecordProperty("cpu_train_rmse", std::to_string(TrainRmse(*cpu)));
  RecordProperty("gpu_train_rmse", std::to_string(TrainRmse(*gpu)));
}

INSTANTIATE_TEST_SUITE_P(Ranks, CudaSgdRank, ::testing::Values(10u, 16u, 128u));

TEST(CudaSgd, Fp16FactorsCostLittleAccuracy) {
  SKIP_WITHOUT_GPU();
  const std::vector<Rating> ratings = Problem(4);
  SerialOptions o;
  o.sgd = Sgd(32);
  o.epochs = 10;
  o.engine = Gpu(false);
  absl::StatusOr<SerialResult> fp32 = SerialTrain(ratings, o);
  o.engine = Gpu(true);
  absl::StatusOr<SerialResult> fp16 = SerialTrain(ratings, o);
  ASSERT_TRUE(fp32.ok() && fp16.ok()) << fp16.status();
  std::printf("train RMSE after 10 epochs: fp32 %.5f, fp16 %.5f\n", TrainRmse(*fp32),
              TrainRmse(*fp16));
  EXPECT_NEAR(TrainRmse(*fp16), TrainRmse(*fp32), 0.02 * TrainRmse(*fp32));
}

TEST(CudaSgd, MinibatchAndEveryStepRuleKeepTheCpuContract) {
  SKIP_WITHOUT_GPU();
  const std::vector<Rating> ratings = Problem(4);
  for (StepRule rule : {StepRule::kSum, StepRule::kAverage, StepRule::kDamped}) {
    SerialOptions o;
    o.sgd = Sgd(16);
    o.sgd.minibatch_fraction = 0.3;
    o.sgd.step_rule = rule;
    o.epochs = 6;
    absl::StatusOr<SerialResult> cpu = SerialTrain(ratings, o);
    o.engine = Gpu(false);
    absl::StatusOr<SerialResult> gpu = SerialTrain(ratings, o);
    ASSERT_TRUE(cpu.ok() && gpu.ok()) << gpu.status();
    for (size_t e = 1; e < cpu->objectives.size(); ++e) {
      EXPECT_NEAR(gpu->objectives[e], cpu->objectives[e], 0.03 * cpu->objectives[e])
          << StepRuleName(rule) << " epoch " << e;
    }
  }
}

}  // namespace
}  // namespace gaia::mf
