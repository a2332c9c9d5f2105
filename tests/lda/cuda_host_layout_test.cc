// The GPU sampler's host side (apps/lda/cuda/host_layout.h), everywhere: the
// token layout, the initial draw (the CPU sampler's), the int32 totals.
#include "apps/lda/cuda/host_layout.h"

#include <cstdint>
#include <limits>
#include <vector>

#include "apps/lda/sampler.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gaia::lda::gpu {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Corpus SmallCorpus() {
  Corpus c;
  c.vocab.resize(10);
  c.AddDoc(std::vector<uint32_t>{7, 3, 3});
  c.AddDoc(std::vector<uint32_t>{});
  c.AddDoc(std::vector<uint32_t>{9, 7});
  return c;
}

TEST(GpuHostLayout, TokensBecomeRowsOfTheDistinctWordsAscending) {
  absl::StatusOr<LocalTokens> t = MapLocalWords(SmallCorpus(), 10);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(t->words, ElementsAre(3u, 7u, 9u));
  EXPECT_THAT(t->rows, ElementsAre(1u, 0u, 0u, 2u, 1u));
  EXPECT_THAT(t->doc_offsets, ElementsAre(0u, 3u, 3u, 5u));
}

TEST(GpuHostLayout, RowsAreTheCpuSamplersWords) {
  const Corpus c = SmallCorpus();
  LdaParams params;
  params.topics = 4;
  params.vocab_size = 10;
  absl::StatusOr<Sampler> cpu = Sampler::Create(c, params, SamplerOptions{});
  ASSERT_TRUE(cpu.ok()) << cpu.status();
  absl::StatusOr<LocalTokens> t = MapLocalWords(c, 10);
  ASSERT_TRUE(t.ok());
  EXPECT_THAT(t->words, ElementsAre(cpu->words()[0], cpu->words()[1], cpu->words()[2]));
}

TEST(GpuHostLayout, BadWordIdNamesTheDocumentAndWord) {
  absl::StatusOr<LocalTokens> t = MapLocalWords(SmallCorpus(), 8);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(t.status().message(), HasSubstr("document 2 has word id 9 >= vocab_size 8"));
}

TEST(GpuHostLayout, OffsetsThatDoNotMatchTheWordsAreRefused) {
  Corpus c = SmallCorpus();
  c.offsets.back() = 4;
  EXPECT_EQ(MapLocalWords(c, 10).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(GpuHostLayout, InitialTopicsAreTheCpuSamplersDraw) {
  Corpus c;
  c.vocab.resize(50);
  std::vector<uint32_t> doc;
  for (uint32_t i = 0; i < 500; ++i) doc.push_back(i % 50);
  c.AddDoc(doc);
  LdaParams params;
  params.topics = 13;
  params.vocab_size = 50;
  SamplerOptions options;
  options.seed = 99;
  absl::StatusOr<Sampler> cpu = Sampler::Create(c, params, options);
  ASSERT_TRUE(cpu.ok());
  std::vector<int32_t> counts(cpu->words().size() * params.topics, 0);
  std::vector<int64_t> totals(params.topics, 0);
  cpu->Initialize({counts, totals});
  const std::vector<uint32_t> gpu = InitialTopics(c.num_tokens(), params.topics, options.seed);
  EXPECT_EQ(gpu, std::vector<uint32_t>(cpu->topics().begin(), cpu->topics().end()));
  EXPECT_NE(gpu, InitialTopics(c.num_tokens(), params.topics, options.seed + 1));
}

TEST(GpuHostLayout, TotalsBeyondInt32AreRefusedNamingTheTopic) {
  const std::vector<int64_t> ok = {0, -4, std::numeric_limits<int32_t>::max()};
  std::vector<int32_t> out(3);
  ASSERT_TRUE(NarrowTotals(ok, out).ok());
  EXPECT_THAT(out, ElementsAre(0, -4, std::numeric_limits<int32_t>::max()));
  const std::vector<int64_t> big = {1, int64_t{1} << 31};
  const absl::Status s = NarrowTotals(big, std::span<int32_t>(out).first(2));
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(s.message(), HasSubstr("topic 1 total 2147483648"));
}

TEST(GpuHostLayout, ChangeIsAddedToCountsAndDelta) {
  const std::vector<int32_t> change = {1, -2, 0};
  std::vector<int32_t> counts = {5, 5, 5}, delta = {0, 1, 0};
  AddChange(change, counts, delta);
  EXPECT_THAT(counts, ElementsAre(6, 3, 5));
  EXPECT_THAT(delta, ElementsAre(1, -1, 0));
  std::vector<int64_t> totals = {10, 10, 10}, totals_delta = {0, 0, 0};
  AddChange(change, totals, totals_delta);
  EXPECT_THAT(totals, ElementsAre(11, 8, 10));
  EXPECT_THAT(totals_delta, ElementsAre(1, -2, 0));
}

}  // namespace
}  // namespace gaia::lda::gpu
