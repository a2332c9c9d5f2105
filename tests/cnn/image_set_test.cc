// Image and label files as an ImageSet: the dims and label checks, the
// pixel statistics and the normalization.
#include "apps/cnn/image_set.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "apps/cnn/idx_file.h"
#include "tests/testing/subprocess.h"

namespace gaia::cnn {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

class CnnImageSetTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::vector<uint32_t>& dims,
                    const std::vector<uint8_t>& data) {
    const std::string path = dir_ + "/" + name;
    EXPECT_TRUE(WriteMaybeGzipFile(path, EncodeIdx(dims, data), /*gzip=*/false).ok());
    return path;
  }
  std::string dir_ = testing::MakeTempDir("cnnimg");
};

TEST_F(CnnImageSetTest, ReadsImagesAndLabels) {
  const std::string images = Write("i", {2, 2, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  const std::string labels = Write("l", {2}, {7, 0});
  absl::StatusOr<IdxImages> raw = ReadIdxImages(images);
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(raw->n, 2u);
  EXPECT_EQ(raw->height, 2u);
  EXPECT_EQ(raw->width, 3u);
  EXPECT_EQ(raw->pixels[11], 11);
  absl::StatusOr<std::vector<int32_t>> l = ReadIdxLabels(labels, 10);
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(*l, (std::vector<int32_t>{7, 0}));
}

TEST_F(CnnImageSetTest, WrongDimsAreNamed) {
  const std::string labels = Write("labels", {4}, {1, 2, 3, 4});
  const std::string images = Write("images", {1, 2, 2}, {1, 2, 3, 4});
  absl::StatusOr<IdxImages> raw = ReadIdxImages(labels);
  ASSERT_FALSE(raw.ok());
  EXPECT_THAT(Msg(raw.status()),
              AllOf(HasSubstr(labels), HasSubstr("dims 4 are not an image file's")));
  absl::StatusOr<std::vector<int32_t>> l = ReadIdxLabels(images, 10);
  ASSERT_FALSE(l.ok());
  EXPECT_THAT(Msg(l.status()),
              AllOf(HasSubstr(images), HasSubstr("dims 1x2x2 are not a label file's")));
  const std::string flat = Write("flat", {3, 0, 5}, {});
  raw = ReadIdxImages(flat);
  ASSERT_FALSE(raw.ok());
  EXPECT_THAT(Msg(raw.status()), AllOf(HasSubstr(flat), HasSubstr("0 rows or columns")));
}

TEST_F(CnnImageSetTest, LabelOutOfRangeNamesItemAndClasses) {
  const std::string labels = Write("labels", {5}, {1, 2, 9, 3, 12});
  EXPECT_TRUE(ReadIdxLabels(labels, 13).ok());
  absl::StatusOr<std::vector<int32_t>> l = ReadIdxLabels(labels, 10);
  ASSERT_FALSE(l.ok());
  EXPECT_THAT(Msg(l.status()),
              AllOf(HasSubstr(labels), HasSubstr("label 12 of item 4 >= classes 10")));
  l = ReadIdxLabels(labels, 9);
  ASSERT_FALSE(l.ok());
  EXPECT_THAT(Msg(l.status()), HasSubstr("label 9 of item 2 >= classes 9"));
}

TEST_F(CnnImageSetTest, CountMismatchNamesBothFiles) {
  EXPECT_TRUE(CheckSameCount("a", 3, "b", 3).ok());
  absl::Status s = CheckSameCount("/x/imgs", 60000, "/x/lbls", 59999);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Msg(s),
              AllOf(HasSubstr("image/label count mismatch"), HasSubstr("/x/imgs has 60000 images"),
                    HasSubstr("/x/lbls has 59999 labels")));
}

TEST(CnnPixelNorm, MeanAndStdOfXOver255) {
  const std::vector<uint8_t> half = {0, 255, 0, 255};
  PixelNorm n = ComputePixelNorm(half);
  EXPECT_FLOAT_EQ(n.mean, 0.5f);
  EXPECT_FLOAT_EQ(n.std, 0.5f);
  const std::vector<uint8_t> ramp = {0, 51, 102, 153, 204, 255};  // 0, .2, ... 1
  n = ComputePixelNorm(ramp);
  EXPECT_NEAR(n.mean, 0.5, 1e-6);
  EXPECT_NEAR(n.std, std::sqrt(0.7 / 6), 1e-6);  // sum of squared deviations 0.7
  // A constant set keeps a finite map.
  const std::vector<uint8_t> flat = {7, 7, 7};
  n = ComputePixelNorm(flat);
  EXPECT_NEAR(n.mean, 7 / 255.0, 1e-7);
  EXPECT_EQ(n.std, 1.0f);
  EXPECT_EQ(ComputePixelNorm({}).std, 1.0f);
}

TEST(CnnGatherImages, PicksNormalizesAndLabels) {
  IdxImages raw;
  raw.n = 3;
  raw.height = 1;
  raw.width = 2;
  raw.pixels = {0, 255, 51, 102, 255, 0};
  const std::vector<int32_t> labels = {4, 5, 6};
  const std::vector<size_t> pick = {2, 0};
  const ImageSet set = GatherImages(raw, labels, pick, 7, PixelNorm{0.5f, 0.25f});
  EXPECT_EQ(set.n, 2u);
  EXPECT_EQ(set.channels, 1u);
  EXPECT_EQ(set.height, 1u);
  EXPECT_EQ(set.width, 2u);
  EXPECT_EQ(set.classes, 7u);
  EXPECT_EQ(set.image_size(), 2u);
  EXPECT_EQ(set.labels, (std::vector<int32_t>{6, 4}));
  ASSERT_EQ(set.pixels.size(), 4u);
  EXPECT_FLOAT_EQ(set.image(0)[0], 2.0f);   // (1 - .5) / .25
  EXPECT_FLOAT_EQ(set.image(0)[1], -2.0f);  // (0 - .5) / .25
  EXPECT_FLOAT_EQ(set.image(1)[0], -2.0f);
  EXPECT_FLOAT_EQ(set.image(1)[1], 2.0f);
  EXPECT_EQ(DescribeImageSet(set), "2 images 1x1x2, 7 classes");
}

TEST_F(CnnImageSetTest, WriteIdxPairRoundTripsPlainAndGzip) {
  IdxImages raw;
  raw.n = 2;
  raw.height = 2;
  raw.width = 2;
  raw.pixels = {1, 2, 3, 4, 5, 6, 7, 8};
  const std::vector<int32_t> labels = {3, 1};
  for (bool gzip : {false, true}) {
    const std::string i = dir_ + (gzip ? "/i.gz" : "/i"), l = dir_ + (gzip ? "/l.gz" : "/l");
    ASSERT_TRUE(WriteIdxPair(i, l, raw, labels, gzip).ok());
    absl::StatusOr<IdxImages> back = ReadIdxImages(i);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->pixels, raw.pixels);
    absl::StatusOr<std::vector<int32_t>> lb = ReadIdxLabels(l, 4);
    ASSERT_TRUE(lb.ok()) << lb.status();
    EXPECT_EQ(*lb, labels);
  }
}

}  // namespace
}  // namespace gaia::cnn
