// Labelled images as a CNN consumes them: float pixels, normalized, in
// NCHW order, and int32 labels; read from IDX image/label file pairs.
//
//   absl::StatusOr<IdxImages> raw = ReadIdxImages(dir + "/train-images-idx3-ubyte.gz");
//   absl::StatusOr<std::vector<int32_t>> labels =
//       ReadIdxLabels(dir + "/train-labels-idx1-ubyte.gz", /*classes=*/10);
//   if (absl::Status s = CheckSameCount(*raw, *labels); !s.ok()) return s;
//   const PixelNorm norm = ComputePixelNorm(raw->pixels);   // or kFashionMnistNorm
//   ImageSet train = GatherImages(*raw, *labels, AllIndices(raw->n), 10, norm);
//   const float* first = train.image(0);   // 1 x 28 x 28 floats
//
// Normalization: a byte x becomes ((x / 255) - mean) / std, mean and std of
// x / 255 over a whole training set, so every worker of a job (whatever its
// share) and the test set use the same affine map.
// Errors name the file and what is wrong (see idx_file.h for the format's).
// ImageSet is a plain value; the functions are thread-compatible.
#ifndef GAIA_APPS_CNN_IMAGE_SET_H_
#define GAIA_APPS_CNN_IMAGE_SET_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gaia::cnn {

// The affine map applied to x / 255.
struct PixelNorm {
  float mean = 0;  // subtracted
  float std = 1;   // divided by; > 0
};

// The published statistics of the two datasets' training sets.
inline constexpr PixelNorm kFashionMnistNorm{0.2860f, 0.3530f};
inline constexpr PixelNorm kMnistNorm{0.1307f, 0.3081f};
// x / 255 only.
inline constexpr PixelNorm kNoNorm{0.0f, 1.0f};

// Images ready for training. Copyable; a value type.
struct ImageSet {
  size_t n = 0;           // images
  uint32_t channels = 1;  // IDX images are grey: 1
  uint32_t height = 0;
  uint32_t width = 0;
  uint32_t classes = 0;         // every label is in [0, classes)
  std::vector<float> pixels;    // n * image_size(), image-major, then C, H, W
  std::vector<int32_t> labels;  // n

  size_t image_size() const { return size_t{channels} * height * width; }
  const float* image(size_t i) const { return pixels.data() + i * image_size(); }
};

// An idx3 image file as bytes.
struct IdxImages {
  size_t n = 0;
  uint32_t height = 0;
  uint32_t width = 0;
  std::vector<uint8_t> pixels;  // n * height * width, image-major
};

// Reads an idx3 file (count, rows, columns); rows and columns must be >= 1.
absl::StatusOr<IdxImages> ReadIdxImages(const std::string& path);

// Reads an idx1 label file; every label must be < classes ("label 12 of
// item 345 >= classes 10"). REQUIRES: classes >= 1.
absl::StatusOr<std::vector<int32_t>> ReadIdxLabels(const std::string& path, uint32_t classes);

// InvalidArgument naming both files when the counts differ.
absl::Status CheckSameCount(const std::string& images_path, size_t images,
                            const std::string& labels_path, size_t labels);

// Mean and (population) standard deviation of x / 255 over `pixels`, exact
// to float precision (a 256-bin histogram). A constant image set gets std 1
// so that normalizing stays finite.
PixelNorm ComputePixelNorm(std::span<const uint8_t> pixels);

// 0, 1, ..., n - 1.
std::vector<size_t> AllIndices(size_t n);

// The images raw[indices[k]], k = 0, 1, ..., normalized, with their labels.
// REQUIRES: labels.size() == raw.n, every index < raw.n, labels < classes.
ImageSet GatherImages(const IdxImages& raw, std::span<const int32_t> labels,
                      std::span<const size_t> indices, uint32_t classes, PixelNorm norm);

// Writes an idx3 image file and an idx1 label file (gzip when `gzip`), for
// tests and tools that make small datasets. REQUIRES: labels in [0, 255],
// labels.size() == images.n, images.pixels.size() == n * height * width.
absl::Status WriteIdxPair(const std::string& images_path, const std::string& labels_path,
                          const IdxImages& images, std::span<const int32_t> labels, bool gzip);

// One line for logs: "60000 images 1x28x28, 10 classes".
std::string DescribeImageSet(const ImageSet& set);

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_IMAGE_SET_H_
