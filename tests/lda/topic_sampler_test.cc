// The TopicSampler role (apps/lda/topic_sampler.h): the CPU adapter is the
// CPU Sampler, and --device=cuda without a GPU (or without CUDA in the
// build) is a clear error rather than a crash. (--device's parsing is
// apps/common's, tested in tests/apps_common/device_test.cc.)
#include "apps/lda/topic_sampler.h"

#include <string>
#include <vector>

#include "apps/lda/serial_train.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/lda/planted_corpus.h"

#if defined(GAIA_HAVE_LDA_CUDA)
#include "apps/common/gpu/device.h"
#endif

namespace gaia::lda {
namespace {

using ::testing::HasSubstr;

bool GpuVisible() {
#if defined(GAIA_HAVE_LDA_CUDA)
  int n = 0;
  return ::gaia::gpu::CountDevices(&n).ok();
#else
  return false;
#endif
}

LdaParams Params(const Corpus& c) {
  LdaParams p;
  p.topics = 10;
  p.vocab_size = c.vocab_size();
  return p;
}

TEST(TopicSampler, CpuAdapterSweepsAsTheCpuSampler) {
  testing::PlantedShape shape;
  shape.topics = 10;
  shape.vocab = 300;
  shape.docs = 100;
  const Corpus c = testing::PlantedCorpus(shape);
  SamplerOptions options;
  options.seed = 3;
  absl::StatusOr<Sampler> direct = Sampler::Create(c, Params(c), options);
  absl::StatusOr<std::unique_ptr<TopicSampler>> role =
      MakeTopicSampler(c, Params(c), options, SamplerDevice::kCpu);
  ASSERT_TRUE(direct.ok() && role.ok());
  EXPECT_EQ((*role)->device(), SamplerDevice::kCpu);
  const size_t cells = direct->words().size() * 10;
  std::vector<int32_t> a(cells, 0), b(cells, 0), da(cells, 0), db(cells, 0);
  std::vector<int64_t> ta(10, 0), tb(10, 0), dta(10, 0), dtb(10, 0);
  direct->Initialize({a, ta});
  ASSERT_TRUE((*role)->Initialize({b, tb}).ok());
  for (int sweep = 0; sweep < 3; ++sweep) {
    const SweepStats s = direct->Sweep({a, ta}, {da, dta});
    absl::StatusOr<SweepStats> r = (*role)->Sweep({b, tb}, {db, dtb});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->changed, s.changed);
  }
  EXPECT_EQ(a, b);
  EXPECT_EQ(da, db);
  EXPECT_EQ(ta, tb);
  EXPECT_DOUBLE_EQ((*role)->DocLogLikelihood(), direct->DocLogLikelihood());
}

TEST(TopicSampler, CudaWithoutAGpuIsAClearError) {
  if (GpuVisible()) GTEST_SKIP() << "a GPU is visible: lda_cuda_sampler_test covers it";
  const Corpus c = testing::PlantedCorpus(testing::PlantedShape{});
  absl::StatusOr<std::unique_ptr<TopicSampler>> s =
      MakeTopicSampler(c, Params(c), SamplerOptions{}, SamplerDevice::kCuda);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.status().message(), HasSubstr("--device=cuda"));
  SerialOptions serial;
  serial.iterations = 2;
  serial.device = SamplerDevice::kCuda;
  EXPECT_EQ(SerialTrain(c, Params(c), SamplerOptions{}, serial).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace gaia::lda
