// The mini-batch iterator: full batches, each image once per epoch, a new
// seeded order per epoch, epochs counted, and the right bytes copied.
#include "apps/cnn/data_batches.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <vector>

namespace gaia::cnn {
namespace {

using ::testing::HasSubstr;

// n images of 2x1 pixels: image i is (i, -i), label i % 7.
ImageSet Numbered(size_t n) {
  ImageSet s;
  s.n = n;
  s.height = 2;
  s.width = 1;
  s.classes = 7;
  for (size_t i = 0; i < n; ++i) {
    s.pixels.push_back(static_cast<float>(i));
    s.pixels.push_back(-static_cast<float>(i));
    s.labels.push_back(static_cast<int32_t>(i % 7));
  }
  return s;
}

// The next `count` indices of the stream, batch by batch.
std::vector<size_t> Stream(BatchIterator& it, size_t batches) {
  std::vector<size_t> out, batch(it.batch_size());
  for (size_t b = 0; b < batches; ++b) {
    EXPECT_TRUE(it.NextIndices(batch).ok());
    out.insert(out.end(), batch.begin(), batch.end());
  }
  return out;
}

TEST(CnnBatchIterator, EachImageOncePerEpoch) {
  const ImageSet set = Numbered(10);
  absl::StatusOr<BatchIterator> it = BatchIterator::Create(set, {.batch_size = 3, .seed = 4});
  ASSERT_TRUE(it.ok()) << it.status();
  // 10 batches of 3 = 3 epochs of 10.
  const std::vector<size_t> stream = Stream(*it, 10);
  EXPECT_EQ(it->epochs_completed(), 3u);
  EXPECT_EQ(it->batches(), 10u);
  std::vector<std::vector<size_t>> epochs;
  for (size_t e = 0; e < 3; ++e) {
    std::vector<size_t> epoch(stream.begin() + e * 10, stream.begin() + (e + 1) * 10);
    epochs.push_back(epoch);
    std::sort(epoch.begin(), epoch.end());
    for (size_t i = 0; i < 10; ++i) ASSERT_EQ(epoch[i], i) << "epoch " << e;
  }
  // Reshuffled: the epochs' orders differ, and are not the identity.
  EXPECT_NE(epochs[0], epochs[1]);
  EXPECT_NE(epochs[1], epochs[2]);
  std::vector<size_t> identity(10);
  for (size_t i = 0; i < 10; ++i) identity[i] = i;
  EXPECT_NE(epochs[0], identity);
}

TEST(CnnBatchIterator, EpochsCountedWhenTheLastImageIsTaken) {
  const ImageSet set = Numbered(6);
  absl::StatusOr<BatchIterator> it = BatchIterator::Create(set, {.batch_size = 4});
  ASSERT_TRUE(it.ok());
  std::vector<size_t> batch(4);
  EXPECT_EQ(it->epochs_completed(), 0u);
  ASSERT_TRUE(it->NextIndices(batch).ok());  // images 0..3 of epoch 0
  EXPECT_EQ(it->epochs_completed(), 0u);
  ASSERT_TRUE(it->NextIndices(batch).ok());  // 4, 5 of epoch 0; 0, 1 of epoch 1
  EXPECT_EQ(it->epochs_completed(), 1u);
  ASSERT_TRUE(it->NextIndices(batch).ok());  // 2..5 of epoch 1
  EXPECT_EQ(it->epochs_completed(), 2u);
}

TEST(CnnBatchIterator, SameSeedSameStreamOtherSeedOther) {
  const ImageSet set = Numbered(50);
  absl::StatusOr<BatchIterator> a = BatchIterator::Create(set, {.batch_size = 8, .seed = 1});
  absl::StatusOr<BatchIterator> b = BatchIterator::Create(set, {.batch_size = 8, .seed = 1});
  absl::StatusOr<BatchIterator> c = BatchIterator::Create(set, {.batch_size = 8, .seed = 2});
  // A different batch size cuts the same stream differently.
  absl::StatusOr<BatchIterator> d = BatchIterator::Create(set, {.batch_size = 5, .seed = 1});
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok());
  const std::vector<size_t> sa = Stream(*a, 25);
  EXPECT_EQ(sa, Stream(*b, 25));
  EXPECT_NE(sa, Stream(*c, 25));
  EXPECT_EQ(sa, Stream(*d, 40));
}

TEST(CnnBatchIterator, NoShuffleKeepsTheSetsOrder) {
  const ImageSet set = Numbered(5);
  absl::StatusOr<BatchIterator> it =
      BatchIterator::Create(set, {.batch_size = 2, .shuffle = false});
  ASSERT_TRUE(it.ok());
  EXPECT_EQ(Stream(*it, 5), (std::vector<size_t>{0, 1, 2, 3, 4, 0, 1, 2, 3, 4}));
}

TEST(CnnBatchIterator, BatchLargerThanTheSetWraps) {
  const ImageSet set = Numbered(3);
  absl::StatusOr<BatchIterator> it = BatchIterator::Create(set, {.batch_size = 7});
  ASSERT_TRUE(it.ok());
  const std::vector<size_t> s = Stream(*it, 3);  // 21 images: 7 epochs
  EXPECT_EQ(it->epochs_completed(), 7u);
  std::map<size_t, int> counts;
  for (size_t i : s) ++counts[i];
  EXPECT_EQ(counts, (std::map<size_t, int>{{0, 7}, {1, 7}, {2, 7}}));
}

TEST(CnnBatchIterator, NextCopiesImagesAndLabels) {
  const ImageSet set = Numbered(9);
  absl::StatusOr<BatchIterator> it = BatchIterator::Create(set, {.batch_size = 4, .seed = 3});
  absl::StatusOr<BatchIterator> twin = BatchIterator::Create(set, {.batch_size = 4, .seed = 3});
  ASSERT_TRUE(it.ok() && twin.ok());
  EXPECT_EQ(it->batch_floats(), 8u);
  std::vector<float> x(8);
  std::vector<int32_t> y(4);
  std::vector<size_t> idx(4);
  for (int b = 0; b < 5; ++b) {
    ASSERT_TRUE(it->Next(x, y).ok());
    ASSERT_TRUE(twin->NextIndices(idx).ok());
    for (size_t k = 0; k < 4; ++k) {
      EXPECT_EQ(x[2 * k], static_cast<float>(idx[k]));
      EXPECT_EQ(x[2 * k + 1], -static_cast<float>(idx[k]));
      EXPECT_EQ(y[k], static_cast<int32_t>(idx[k] % 7));
    }
  }
}

TEST(CnnBatchIterator, Errors) {
  const ImageSet empty;
  absl::StatusOr<BatchIterator> it = BatchIterator::Create(empty, {});
  ASSERT_FALSE(it.ok());
  EXPECT_THAT(std::string(it.status().message()), HasSubstr("empty"));
  const ImageSet set = Numbered(4);
  it = BatchIterator::Create(set, {.batch_size = 0});
  ASSERT_FALSE(it.ok());
  EXPECT_THAT(std::string(it.status().message()), HasSubstr("batch_size=0"));
  it = BatchIterator::Create(set, {.batch_size = 2});
  ASSERT_TRUE(it.ok());
  std::vector<float> x(3);
  std::vector<int32_t> y(2);
  absl::Status s = it->Next(x, y);
  EXPECT_THAT(std::string(s.message()), HasSubstr("buffers of 3 floats and 2 labels"));
  EXPECT_EQ(it->batches(), 0u);  // nothing consumed
  std::vector<size_t> one(1);
  EXPECT_FALSE(it->NextIndices(one).ok());
  EXPECT_EQ(it->batches(), 0u);
}

}  // namespace
}  // namespace gaia::cnn
