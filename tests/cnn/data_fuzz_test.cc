// Robustness: seeded random mutations of small valid IDX files, plain and
// gzip, read alone and as a whole dataset. Every read returns either a
// result that keeps its contract or an error naming the file; nothing may
// crash, hang or allocate without bound (ASan/UBSan builds run this too).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "apps/cnn/data_source.h"
#include "apps/cnn/idx_file.h"
#include "tests/testing/subprocess.h"

namespace gaia::cnn {
namespace {

constexpr int kRounds = 1500;

std::vector<uint8_t> Mutate(std::vector<uint8_t> bytes, std::mt19937_64& rng) {
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !bytes.empty(); ++e) {
    const size_t pos = rng() % bytes.size();
    const uint8_t b = static_cast<uint8_t>(rng());
    switch (rng() % 6) {
      case 0: bytes[pos] = b; break;
      case 1: bytes[pos] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
      case 2:
        bytes.erase(bytes.begin() + pos,
                    bytes.begin() + std::min(bytes.size(), pos + 1 + rng() % 8));
        break;
      case 3: bytes.insert(bytes.begin() + pos, 1 + rng() % 4, b); break;
      case 4: bytes.resize(pos); break;
      case 5: bytes[rng() % std::min<size_t>(bytes.size(), 16)] = b; break;  // the header
    }
  }
  return bytes;
}

// A small valid image file (5 images of 3x2) and label file.
std::vector<uint8_t> ValidImages() {
  std::vector<uint8_t> px(30);
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(i * 9);
  return EncodeIdx({5, 3, 2}, px);
}
std::vector<uint8_t> ValidLabels() { return EncodeIdx({5}, {0, 1, 2, 1, 0}); }

// Reads mutations of `valid`, written raw or gzip-compressed (`gzip`:
// mutate the uncompressed bytes and compress; `mutate_packed`: mutate the
// compressed bytes).
void FuzzIdxFile(const std::vector<uint8_t>& valid, bool gzip, bool mutate_packed, uint64_t seed) {
  const std::string dir = testing::MakeTempDir("cnnfuzz");
  const std::string path = dir + "/f-idx";
  std::vector<uint8_t> packed;
  if (mutate_packed) {
    ASSERT_TRUE(WriteMaybeGzipFile(path, valid, true).ok());
    absl::StatusOr<std::vector<uint8_t>> raw = ReadMaybeGzipFile(path);
    ASSERT_TRUE(raw.ok());
    FILE* f = std::fopen(path.c_str(), "rb");
    ASSERT_NE(f, nullptr);
    packed.resize(4096);
    packed.resize(std::fread(packed.data(), 1, packed.size(), f));
    std::fclose(f);
  }
  std::mt19937_64 rng(seed);
  int ok = 0, rejected = 0;
  for (int i = 0; i < kRounds; ++i) {
    if (mutate_packed) {
      ASSERT_TRUE(WriteMaybeGzipFile(path, Mutate(packed, rng), false).ok());
    } else {
      ASSERT_TRUE(WriteMaybeGzipFile(path, Mutate(valid, rng), gzip).ok());
    }
    absl::StatusOr<IdxArray> a = ReadIdxFile(path);
    if (a.ok()) {
      ++ok;
      uint64_t product = 1;
      for (uint32_t d : a->dims) product *= d;
      ASSERT_FALSE(a->dims.empty());
      ASSERT_EQ(product, a->data.size());
    } else {
      ++rejected;
      ASSERT_THAT(std::string(a.status().message()), ::testing::HasSubstr(path));
    }
  }
  std::printf("seed %llu: %d read, %d rejected\n", static_cast<unsigned long long>(seed), ok,
              rejected);
  EXPECT_GT(rejected, 0);
  EXPECT_GT(ok, 0);  // some mutations (a pixel byte) keep a valid file
}

TEST(CnnDataFuzz, PlainIdxFiles) {
  FuzzIdxFile(ValidImages(), false, false, 1);
  FuzzIdxFile(ValidLabels(), false, false, 2);
}

TEST(CnnDataFuzz, GzipOfMutatedIdx) { FuzzIdxFile(ValidImages(), true, false, 3); }

TEST(CnnDataFuzz, MutatedGzipStreams) { FuzzIdxFile(ValidImages(), true, true, 4); }

// Whole datasets with one of the four files mutated: LoadCnnData keeps the
// CnnData contract or names a file.
TEST(CnnDataFuzz, Datasets) {
  const std::string dir = testing::MakeTempDir("cnnfuzzset");
  const std::vector<std::string> names = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                          "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
  const std::vector<std::vector<uint8_t>> valid = {ValidImages(), ValidLabels(), ValidImages(),
                                                   ValidLabels()};
  std::mt19937_64 rng(5);
  int ok = 0, rejected = 0;
  for (int i = 0; i < kRounds / 2; ++i) {
    const size_t victim = rng() % 4;
    for (size_t f = 0; f < 4; ++f) {
      const std::vector<uint8_t> bytes = f == victim ? Mutate(valid[f], rng) : valid[f];
      ASSERT_TRUE(WriteMaybeGzipFile(dir + "/" + names[f], bytes, i % 2 == 1).ok());
    }
    absl::StatusOr<CnnData> d =
        LoadCnnData("mnist-idx:" + dir + ",classes=3,dcs=2,dc=1,split=labels", 0, 1);
    if (d.ok()) {
      ++ok;
      ASSERT_EQ(d->train.pixels.size(), d->train.n * d->train.image_size());
      ASSERT_EQ(d->test.pixels.size(), d->test.n * d->test.image_size());
      ASSERT_EQ(d->train.image_size(), d->test.image_size());
      for (int32_t l : d->train.labels) ASSERT_TRUE(l >= 0 && l < 3);
      for (int32_t l : d->test.labels) ASSERT_TRUE(l >= 0 && l < 3);
    } else {
      ++rejected;
      ASSERT_THAT(std::string(d.status().message()), ::testing::HasSubstr(dir));
    }
  }
  std::printf("datasets: %d loaded, %d rejected\n", ok, rejected);
  EXPECT_GT(ok, 0);
  EXPECT_GT(rejected, 0);
}

}  // namespace
}  // namespace gaia::cnn
