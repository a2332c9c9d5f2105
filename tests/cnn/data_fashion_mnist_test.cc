// The real Fashion-MNIST that scripts/setup.sh installs (Debian package
// dataset-fashion-mnist), loaded by name. A missing dataset fails the test
// with the command that installs it; it is never skipped.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "apps/cnn/data_source.h"

namespace gaia::cnn {
namespace {

using ::testing::Each;
using ::testing::ElementsAre;

const std::string kDir = kFashionMnistDir;

CnnData LoadTimed(const std::string& spec, uint32_t part = 0, uint32_t parts = 1) {
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<CnnData> d = LoadCnnData(spec, part, parts);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(d.ok()) << d.status();  // says how to install a missing dataset
  if (!d.ok()) return CnnData{};
  std::printf("%s part %u/%u: %.2f s\n%s", spec.c_str(), part, parts, s, DescribeSplit(*d).c_str());
  return std::move(*d);
}

// The first `n` bytes of a gzip file, read with zlib alone (not our reader).
std::vector<uint8_t> GzHead(const std::string& path, unsigned n) {
  std::vector<uint8_t> out(n);
  gzFile f = gzopen(path.c_str(), "rb");
  EXPECT_NE(f, nullptr) << path;
  if (f == nullptr) return {};
  EXPECT_EQ(gzread(f, out.data(), n), static_cast<int>(n));
  gzclose(f);
  return out;
}

// Mean and standard deviation of all the floats.
std::pair<double, double> Moments(const std::vector<float>& v) {
  double sum = 0, sum2 = 0;
  for (float x : v) {
    sum += x;
    sum2 += double{x} * x;
  }
  const double mean = sum / v.size();
  return {mean, std::sqrt(sum2 / v.size() - mean * mean)};
}

TEST(CnnFashionMnist, LoadsTheWholeDatasetByName) {
  const CnnData d = LoadTimed("fashion-mnist");
  ASSERT_EQ(d.train.n, 60000u);
  ASSERT_EQ(d.test.n, 10000u);
  for (const ImageSet* s : {&d.train, &d.test}) {
    EXPECT_EQ(s->channels, 1u);
    EXPECT_EQ(s->height, 28u);
    EXPECT_EQ(s->width, 28u);
    EXPECT_EQ(s->classes, 10u);
    EXPECT_EQ(s->pixels.size(), s->n * 784);
  }
  // 6000 training images of each class, all in the one DC.
  ASSERT_EQ(d.dc_class_counts.size(), 1u);
  EXPECT_THAT(d.dc_class_counts[0], Each(6000u));
  std::vector<int> test_counts(10, 0);
  for (int32_t l : d.test.labels) ++test_counts[l];
  EXPECT_THAT(test_counts, Each(1000));

  // The first training label, from the file's own bytes (8 header bytes).
  const std::vector<uint8_t> head = GzHead(kDir + "/train-labels-idx1-ubyte.gz", 9);
  ASSERT_EQ(head.size(), 9u);
  EXPECT_THAT(std::vector<uint8_t>(head.begin(), head.begin() + 8),
              ElementsAre(0, 0, 8, 1, 0, 0, 0xEA, 0x60));  // 60000
  size_t k = 0;
  while (k < d.train.n && d.train_indices[k] != 0) ++k;
  ASSERT_LT(k, d.train.n);
  EXPECT_EQ(d.train.labels[k], head[8]);
  // Its first pixel row, likewise (16 header bytes).
  const std::vector<uint8_t> pixels = GzHead(kDir + "/train-images-idx3-ubyte.gz", 16 + 28);
  ASSERT_EQ(pixels.size(), 44u);
  for (size_t p = 0; p < 28; ++p) {
    ASSERT_NEAR(d.train.image(k)[p], (pixels[16 + p] / 255.0 - 0.2860) / 0.3530, 1e-5);
  }
}

TEST(CnnFashionMnist, PixelStatisticsMatchThePublishedConstants) {
  // norm=train computes them from the training file.
  const CnnData d = LoadTimed("mnist-idx:" + kDir + ",norm=train");
  EXPECT_NEAR(d.norm.mean, kFashionMnistNorm.mean, 1e-3);
  EXPECT_NEAR(d.norm.std, kFashionMnistNorm.std, 1e-3);
  // And the normalized training pixels are standardized.
  const auto [mean, std] = Moments(d.train.pixels);
  EXPECT_NEAR(mean, 0.0, 1e-3);
  EXPECT_NEAR(std, 1.0, 1e-3);
}

TEST(CnnFashionMnist, NonIidFiveDcsTwoClassesEach) {
  std::vector<size_t> seen;
  for (uint32_t part = 0; part < 2; ++part) {
    const CnnData d = LoadTimed("fashion-mnist,dc=3,dcs=5,split=labels,classes_per_dc=2", part, 2);
    EXPECT_EQ(d.train.n, 6000u);
    EXPECT_EQ(std::set<int32_t>(d.train.labels.begin(), d.train.labels.end()),
              (std::set<int32_t>{6, 7}));
    ASSERT_EQ(d.dc_class_counts.size(), 5u);
    for (uint32_t dc = 0; dc < 5; ++dc) {
      for (uint32_t c = 0; c < 10; ++c) {
        EXPECT_EQ(d.dc_class_counts[dc][c], c / 2 == dc ? 6000u : 0u) << dc << " " << c;
      }
    }
    EXPECT_EQ(d.test.n, 10000u);  // every DC evaluates on the whole test set
    seen.insert(seen.end(), d.train_indices.begin(), d.train_indices.end());
  }
  EXPECT_EQ(std::set<size_t>(seen.begin(), seen.end()).size(), 12000u);
}

}  // namespace
}  // namespace gaia::cnn
