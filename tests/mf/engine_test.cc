// SgdEngine (apps/mf/sgd_engine.h) and the --device choice of the MF programs
// (apps/mf/engine_flags.h), on whatever this machine is: the CPU engine
// everywhere, and the clear error --device=cuda gives without a CUDA build or
// without a GPU (with a GPU, that the choice succeeds).
#include "apps/mf/sgd_engine.h"

#include <chrono>
#include <string>
#include <vector>

#include "apps/mf/engine_flags.h"
#include "apps/mf/synthetic.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/subprocess.h"
#if GAIA_TEST_HAVE_GPU_LAYER
#include "apps/common/gpu/device.h"
#endif

namespace gaia::mf {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::vector<Rating> SmallProblem() {
  SyntheticOptions o;
  o.users = 300;
  o.items = 80;
  o.ratings = 8000;
  o.rank = 4;
  o.seed = 9;
  return SyntheticGenerator::Create(o)->Generate(0, 1);
}

// Empty when this process can use a GPU, else why not.
std::string NoGpuReason() {
  if (!BuiltWithCuda()) return "built without CUDA";
#if GAIA_TEST_HAVE_GPU_LAYER
  int count = 0;
  gaia::gpu::CudaResult r = gaia::gpu::CountDevices(&count);
  return r.ok() ? std::string() : r.message();
#else
  return "the test was built without the GPU layer";
#endif
}

TEST(SgdEngine, TheCpuEngineIsLocalSgd) {
  const std::vector<Rating> ratings = SmallProblem();
  SgdOptions o;
  o.rank = 4;
  absl::StatusOr<std::unique_ptr<SgdEngine>> engine = CreateCpuEngine(ratings, o);
  ASSERT_TRUE(engine.ok()) << engine.status();
  LocalSgd reference = *LocalSgd::Create(ratings, o);
  EXPECT_EQ((*engine)->Describe(), "cpu");
  const LocalSgd& model = (*engine)->model();
  ASSERT_EQ(model.items(), reference.items());
  std::vector<float> r(model.items().size() * 4, 0.1f), r2 = r;
  std::vector<float> delta(r.size()), delta2(r.size());
  for (int64_t t = 0; t < 3; ++t) {
    absl::StatusOr<LocalSgd::ClockResult> got = (*engine)->RunClock(t, r, delta);
    ASSERT_TRUE(got.ok());
    LocalSgd::ClockResult want = reference.RunClock(t, r2, delta2);
    EXPECT_EQ(got->objective.total(), want.objective.total());
    EXPECT_EQ(got->updates, want.updates);
    EXPECT_EQ(r, r2);
    EXPECT_EQ(delta, delta2);
  }
  EXPECT_TRUE((*engine)->SyncModel().ok());
  EXPECT_FALSE(CreateCpuEngine(ratings, SgdOptions{.rank = 0}).ok());
}

TEST(SgdEngine, SerialTrainRunsTheEngineItIsGiven) {
  const std::vector<Rating> ratings = SmallProblem();
  SerialOptions o;
  o.sgd.rank = 4;
  o.epochs = 4;
  int made = 0;
  SerialOptions with_factory = o;
  with_factory.engine = [&made](const std::vector<Rating>& r, const SgdOptions& s) {
    ++made;
    return CreateCpuEngine(r, s);
  };
  absl::StatusOr<SerialResult> plain = SerialTrain(ratings, o);
  absl::StatusOr<SerialResult> chosen = SerialTrain(ratings, with_factory);
  ASSERT_TRUE(plain.ok() && chosen.ok());
  EXPECT_EQ(made, 1);
  EXPECT_EQ(plain->objectives, chosen->objectives);
  EXPECT_EQ(plain->final_objective, chosen->final_objective);
  // An engine that cannot start fails the run with its status.
  with_factory.engine = [](const std::vector<Rating>&, const SgdOptions&)
      -> absl::StatusOr<std::unique_ptr<SgdEngine>> {
    return absl::FailedPreconditionError("no such device");
  };
  absl::StatusOr<SerialResult> failed = SerialTrain(ratings, with_factory);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().message(), "no such device");
}

TEST(EngineChoice, CpuIsAlwaysAvailableAndGpuOnlyFlagsNeedCuda) {
  EngineFlags flags;
  absl::StatusOr<SgdEngineFactory> cpu = ChooseEngine(flags, "gaia_mf");
  ASSERT_TRUE(cpu.ok());
  absl::StatusOr<std::unique_ptr<SgdEngine>> engine =
      (*cpu)(SmallProblem(), SgdOptions{.rank = 4});
  ASSERT_TRUE(engine.ok());
  EXPECT_EQ((*engine)->Describe(), "cpu");
  flags.fp16 = true;
  EXPECT_EQ(ChooseEngine(flags, "gaia_mf").status().message(), "--fp16 needs --device=cuda");
  flags.fp16 = false;
  flags.gpu = 1;
  EXPECT_EQ(ChooseEngine(flags, "gaia_mf").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(EngineChoice, CudaIsAClearErrorWithoutABuildOrAGpuAndWorksWithOne) {
  EngineFlags flags;
  flags.device = apps::Device::kCuda;
  absl::StatusOr<SgdEngineFactory> cuda = ChooseEngine(flags, "gaia_mf");
  const std::string no_gpu = NoGpuReason();
  if (no_gpu.empty()) {
    ASSERT_TRUE(cuda.ok()) << cuda.status();
    return;
  }
  ASSERT_FALSE(cuda.ok());
  EXPECT_EQ(cuda.status().code(), absl::StatusCode::kFailedPrecondition);
  const std::string message(cuda.status().message());
  if (BuiltWithCuda()) {
    EXPECT_THAT(message, StartsWith("--device=cuda: no usable CUDA GPU: "));
    EXPECT_THAT(message, HasSubstr(no_gpu));
  } else {
    EXPECT_THAT(message, StartsWith("--device=cuda: gaia_mf was built without CUDA"));
  }
}

// Runs `program` with `args`; expects exit 2 and the reason --device=cuda
// cannot run here.
void ExpectCudaRefused(const std::string& program, std::vector<std::string> args) {
  args.insert(args.begin(), gaia::testing::BinDir() + "/" + program);
  gaia::testing::ProcessResult run = gaia::testing::RunProcess(args, std::chrono::seconds(60));
  ASSERT_FALSE(run.timed_out);
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output, HasSubstr(program + ": --device=cuda: "));
  EXPECT_THAT(run.output, BuiltWithCuda() ? HasSubstr("no usable CUDA GPU")
                                          : HasSubstr("built without CUDA"));
}

TEST(EngineChoice, TheProgramsExitTwoWithTheReasonWhenCudaIsUnavailable) {
  if (NoGpuReason().empty()) GTEST_SKIP() << "this machine has a GPU: no error to see";
  ExpectCudaRefused("gaia_mf_serial",
                    {"--data=synthetic:users=100", "--epochs=2", "--device=cuda"});
#if GAIA_TEST_HAVE_WORKER_PROGRAM
  // The device is checked before the worker config is read.
  ExpectCudaRefused("gaia_mf", {"--gaia-config=/nonexistent/worker.json", "--device=cuda"});
#endif
}

}  // namespace
}  // namespace gaia::mf
