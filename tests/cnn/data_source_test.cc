// LoadCnnData on small IDX datasets the test writes: plain and gzip agree,
// the DC shares and worker parts, the norm, the test set, and the errors.
#include "apps/cnn/data_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "tests/testing/subprocess.h"

namespace gaia::cnn {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr uint32_t kSide = 3;

// Image i: pixel p is (i * 31 + p * 7 + salt) % 256; label i % classes.
IdxImages MakeImages(size_t n, uint32_t salt, uint32_t side = kSide) {
  IdxImages raw;
  raw.n = n;
  raw.height = side;
  raw.width = side;
  raw.pixels.resize(n * side * side);
  for (size_t i = 0; i < n; ++i) {
    for (size_t p = 0; p < size_t{side} * side; ++p) {
      raw.pixels[i * side * side + p] = static_cast<uint8_t>((i * 31 + p * 7 + salt) % 256);
    }
  }
  return raw;
}

std::vector<int32_t> MakeLabels(size_t n, uint32_t classes) {
  std::vector<int32_t> labels(n);
  for (size_t i = 0; i < n; ++i) labels[i] = static_cast<int32_t>(i % classes);
  return labels;
}

// A dataset in a fresh directory: 200 training and 50 test images.
struct Dataset {
  std::string dir;
  IdxImages train = MakeImages(200, 0);
  std::vector<int32_t> train_labels = MakeLabels(200, 10);
  IdxImages test = MakeImages(50, 11);
  std::vector<int32_t> test_labels = MakeLabels(50, 10);

  void Write(bool gzip) {
    const std::string gz = gzip ? ".gz" : "";
    ASSERT_TRUE(WriteIdxPair(dir + "/train-images-idx3-ubyte" + gz,
                             dir + "/train-labels-idx1-ubyte" + gz, train, train_labels, gzip)
                    .ok());
    ASSERT_TRUE(WriteIdxPair(dir + "/t10k-images-idx3-ubyte" + gz,
                             dir + "/t10k-labels-idx1-ubyte" + gz, test, test_labels, gzip)
                    .ok());
  }
};

Dataset MakeDataset(bool gzip) {
  Dataset d;
  d.dir = testing::MakeTempDir("cnndata");
  d.Write(gzip);
  return d;
}

CnnData Load(const std::string& spec, uint32_t part = 0, uint32_t parts = 1) {
  absl::StatusOr<CnnData> d = LoadCnnData(spec, part, parts);
  EXPECT_TRUE(d.ok()) << spec << ": " << d.status();
  return d.ok() ? std::move(*d) : CnnData{};
}

std::string ErrorOf(const std::string& spec, uint32_t part = 0, uint32_t parts = 1) {
  absl::StatusOr<CnnData> d = LoadCnnData(spec, part, parts);
  EXPECT_FALSE(d.ok()) << spec;
  return d.ok() ? "" : std::string(d.status().message());
}

TEST(CnnDataSource, GzipAndPlainDatasetsLoadTheSame) {
  const Dataset plain = MakeDataset(false);
  const Dataset packed = MakeDataset(true);
  const CnnData a = Load("mnist-idx:" + plain.dir + ",dcs=2,dc=1", 1, 2);
  const CnnData b = Load("mnist-idx:" + packed.dir + ",dcs=2,dc=1", 1, 2);
  EXPECT_THAT(b.paths.train_images, HasSubstr(".gz"));
  EXPECT_THAT(a.paths.train_images, AllOf(HasSubstr(plain.dir), ::testing::EndsWith("ubyte")));
  EXPECT_EQ(a.train.n, 50u);
  EXPECT_EQ(a.train_indices, b.train_indices);
  EXPECT_EQ(a.train.pixels, b.train.pixels);
  EXPECT_EQ(a.train.labels, b.train.labels);
  EXPECT_EQ(a.test.pixels, b.test.pixels);
  EXPECT_EQ(a.norm.mean, b.norm.mean);
}

TEST(CnnDataSource, ImagesAreTheFilesImagesNormalized) {
  const Dataset d = MakeDataset(false);
  const CnnData data = Load("mnist-idx:" + d.dir + ",norm=none,dcs=3,dc=2");
  EXPECT_EQ(data.train.height, kSide);
  EXPECT_EQ(data.train.classes, 10u);
  ASSERT_EQ(data.train_indices.size(), data.train.n);
  for (size_t k = 0; k < data.train.n; ++k) {
    const size_t i = data.train_indices[k];
    ASSERT_EQ(data.train.labels[k], d.train_labels[i]);
    for (size_t p = 0; p < kSide * kSide; ++p) {
      ASSERT_FLOAT_EQ(data.train.image(k)[p], d.train.pixels[i * kSide * kSide + p] / 255.0f);
    }
  }
  // The test set: whole, in file order.
  ASSERT_EQ(data.test.n, 50u);
  EXPECT_EQ(data.test.labels, d.test_labels);
  EXPECT_FLOAT_EQ(data.test.image(49)[8], d.test.pixels[49 * 9 + 8] / 255.0f);
}

TEST(CnnDataSource, TheNormComesFromTheWholeTrainingFile) {
  const Dataset d = MakeDataset(false);
  const PixelNorm want = ComputePixelNorm(d.train.pixels);
  // limit and the DC share do not change it: every worker maps alike.
  const CnnData data = Load("mnist-idx:" + d.dir + ",limit=20,dcs=2,dc=1");
  EXPECT_EQ(data.norm.mean, want.mean);
  EXPECT_EQ(data.norm.std, want.std);
  const size_t i = data.train_indices[0];
  EXPECT_NEAR(data.train.image(0)[0], (d.train.pixels[i * 9] / 255.0 - want.mean) / want.std, 1e-5);
  EXPECT_EQ(Load("mnist-idx:" + d.dir + ",norm=mnist").norm.mean, kMnistNorm.mean);
  EXPECT_EQ(Load("mnist-idx:" + d.dir + ",norm=fashion-mnist").norm.std, kFashionMnistNorm.std);
}

TEST(CnnDataSource, DcsAndPartsAreDisjointAndCoverTheLimitedSet) {
  const Dataset d = MakeDataset(true);
  for (const std::string split : {"iid", "labels"}) {
    std::vector<size_t> all;
    for (uint32_t dc = 0; dc < 3; ++dc) {
      std::set<int32_t> classes;
      for (uint32_t part = 0; part < 2; ++part) {
        const CnnData data =
            Load("mnist-idx:" + d.dir + ",limit=150,dcs=3,dc=" + std::to_string(dc) +
                     ",split=" + split + ",seed=5",
                 part, 2);
        EXPECT_EQ(data.train_total, 150u);
        all.insert(all.end(), data.train_indices.begin(), data.train_indices.end());
        classes.insert(data.train.labels.begin(), data.train.labels.end());
        if (split == "labels") {
          EXPECT_EQ(data.dc_classes.size(), 4u);  // ceil(10 / 3)
          for (int32_t c : data.train.labels) {
            EXPECT_TRUE(std::count(data.dc_classes.begin(), data.dc_classes.end(), c) == 1);
          }
        }
      }
      EXPECT_EQ(classes.size(), split == "iid" ? 10u : 4u) << split << " dc " << dc;
    }
    std::sort(all.begin(), all.end());
    ASSERT_EQ(all.size(), 150u) << split;
    for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], i) << split;
  }
}

TEST(CnnDataSource, TestLimitAndSkippingTheTestSet) {
  const Dataset d = MakeDataset(false);
  EXPECT_EQ(Load("mnist-idx:" + d.dir + ",test_limit=7").test.n, 7u);
  absl::StatusOr<CnnData> no_test =
      LoadCnnData("mnist-idx:" + d.dir, 0, 1, LoadOptions{.load_test = false});
  ASSERT_TRUE(no_test.ok()) << no_test.status();
  EXPECT_EQ(no_test->test.n, 0u);
  EXPECT_EQ(no_test->train.n, 200u);
}

TEST(CnnDataSource, DescribeSplitShowsTheHistogram) {
  const Dataset d = MakeDataset(false);
  const CnnData data = Load("mnist-idx:" + d.dir + ",dcs=5,dc=1,split=labels", 1, 2);
  const std::string text = DescribeSplit(data);
  EXPECT_THAT(text, HasSubstr("DC 1 of 5 holds classes 2,3: 40 of 200 training images"));
  EXPECT_THAT(text, HasSubstr("worker part 1 of 2: 20 images 1x3x3, 10 classes"));
  EXPECT_THAT(text, HasSubstr("test: 50 images"));
  EXPECT_THAT(text, HasSubstr("  class      0      1      2      3      4      5      6      7"
                              "      8      9    total\n"));
  EXPECT_THAT(text, HasSubstr("\ndc   1            0      0     20     20      0      0      0"
                              "      0      0      0       40\n"));
  EXPECT_THAT(text, HasSubstr("pixels: (x/255 - 0.49"));
}

TEST(CnnDataSource, MissingFilesAreNamed) {
  Dataset d = MakeDataset(false);
  std::filesystem::remove(d.dir + "/t10k-labels-idx1-ubyte");
  EXPECT_THAT(ErrorOf("mnist-idx:" + d.dir),
              AllOf(HasSubstr(d.dir + "/t10k-labels-idx1-ubyte not found"),
                    HasSubstr("t10k-labels-idx1-ubyte.gz")));
  EXPECT_THAT(ErrorOf("mnist-idx:/no/such/dir"),
              HasSubstr("/no/such/dir/train-images-idx3-ubyte not found"));
  const std::string empty = testing::MakeTempDir("cnnnofashion");
  absl::StatusOr<CnnData> f =
      LoadCnnData("fashion-mnist", 0, 1, LoadOptions{.fashion_mnist_dir = empty});
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(f.status().message()),
              AllOf(HasSubstr("Fashion-MNIST is not installed"),
                    HasSubstr(empty + "/train-images-idx3-ubyte"),
                    HasSubstr("run scripts/setup.sh"), HasSubstr("dataset-fashion-mnist")));
}

TEST(CnnDataSource, ContentErrorsNameTheFile) {
  Dataset d = MakeDataset(false);
  // A label file one label short.
  d.train_labels.pop_back();
  d.Write(false);
  EXPECT_THAT(ErrorOf("mnist-idx:" + d.dir),
              AllOf(HasSubstr("image/label count mismatch"), HasSubstr("has 200 images"),
                    HasSubstr("train-labels-idx1-ubyte has 199 labels")));
  // Test images of another size than the training images.
  d = MakeDataset(false);
  d.test = MakeImages(50, 0, /*side=*/4);
  d.Write(false);
  EXPECT_THAT(ErrorOf("mnist-idx:" + d.dir),
              AllOf(HasSubstr("t10k-images-idx3-ubyte: images of 4x4, expected 3x3"),
                    HasSubstr("the training images' size")));
  // Labels beyond classes=.
  d = MakeDataset(false);
  EXPECT_THAT(ErrorOf("mnist-idx:" + d.dir + ",classes=8"),
              AllOf(HasSubstr("train-labels-idx1-ubyte: label 8 of item 8 >= classes 8")));
  // Fashion-MNIST's images must be 28x28.
  EXPECT_TRUE(std::filesystem::exists(d.dir + "/train-images-idx3-ubyte"));
  absl::StatusOr<CnnData> f =
      LoadCnnData("fashion-mnist", 0, 1, LoadOptions{.fashion_mnist_dir = d.dir});
  ASSERT_FALSE(f.ok());
  EXPECT_THAT(std::string(f.status().message()),
              HasSubstr("train-images-idx3-ubyte: images of 3x3, expected 28x28 (Fashion-MNIST)"));
}

TEST(CnnDataSource, PartErrors) {
  const Dataset d = MakeDataset(false);
  EXPECT_THAT(ErrorOf("mnist-idx:" + d.dir, 2, 2), HasSubstr("worker part 2 of 2"));
  EXPECT_THAT(ErrorOf("mnist-idx:" + d.dir, 0, 0), HasSubstr("worker part 0 of 0"));
  EXPECT_THAT(ErrorOf("mnist-idx:" + d.dir + ",limit=2", 2, 3),
              HasSubstr("worker part 2 of 3 of DC 0's 2 training images is empty"));
  EXPECT_THAT(ErrorOf("mnist-idx:" + d.dir + ",dcs=2,dc=2"), HasSubstr("dc=2"));
}

}  // namespace
}  // namespace gaia::cnn
