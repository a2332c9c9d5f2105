#include "apps/cnn/image_set.h"

#include <array>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "apps/cnn/idx_file.h"

namespace gaia::cnn {

absl::StatusOr<IdxImages> ReadIdxImages(const std::string& path) {
  absl::StatusOr<IdxArray> a = ReadIdxFile(path);
  if (!a.ok()) return a.status();
  if (a->dims.size() != 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": dims ", absl::StrJoin(a->dims, "x"),
        " are not an image file's (expected 3 dimensions: count x rows x columns, idx3)"));
  }
  if (a->dims[1] == 0 || a->dims[2] == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": dims ", absl::StrJoin(a->dims, "x"),
                                                   ": images of 0 rows or columns"));
  }
  IdxImages out;
  out.n = a->dims[0];
  out.height = a->dims[1];
  out.width = a->dims[2];
  out.pixels = std::move(a->data);
  return out;
}

absl::StatusOr<std::vector<int32_t>> ReadIdxLabels(const std::string& path, uint32_t classes) {
  absl::StatusOr<IdxArray> a = ReadIdxFile(path);
  if (!a.ok()) return a.status();
  if (a->dims.size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": dims ", absl::StrJoin(a->dims, "x"),
                     " are not a label file's (expected 1 dimension: count, idx1)"));
  }
  std::vector<int32_t> labels(a->data.size());
  for (size_t i = 0; i < a->data.size(); ++i) {
    if (a->data[i] >= classes) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": label ", a->data[i], " of item ", i, " >= classes ", classes));
    }
    labels[i] = a->data[i];
  }
  return labels;
}

absl::Status CheckSameCount(const std::string& images_path, size_t images,
                            const std::string& labels_path, size_t labels) {
  if (images == labels) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("image/label count mismatch: ", images_path,
                                                 " has ", images, " images but ", labels_path,
                                                 " has ", labels, " labels"));
}

PixelNorm ComputePixelNorm(std::span<const uint8_t> pixels) {
  if (pixels.empty()) return kNoNorm;
  std::array<uint64_t, 256> histogram{};
  for (uint8_t p : pixels) ++histogram[p];
  const double count = static_cast<double>(pixels.size());
  double mean = 0;
  for (int v = 0; v < 256; ++v) mean += histogram[v] * (v / 255.0);
  mean /= count;
  double var = 0;
  for (int v = 0; v < 256; ++v) {
    const double d = v / 255.0 - mean;
    var += histogram[v] * d * d;
  }
  var /= count;
  const double std = std::sqrt(var);
  return PixelNorm{static_cast<float>(mean), std > 0 ? static_cast<float>(std) : 1.0f};
}

std::vector<size_t> AllIndices(size_t n) {
  std::vector<size_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = i;
  return out;
}

ImageSet GatherImages(const IdxImages& raw, std::span<const int32_t> labels,
                      std::span<const size_t> indices, uint32_t classes, PixelNorm norm) {
  ImageSet out;
  out.n = indices.size();
  out.height = raw.height;
  out.width = raw.width;
  out.classes = classes;
  const size_t size = out.image_size();
  // One table lookup per pixel: the map depends on the byte only.
  std::array<float, 256> table;
  for (int v = 0; v < 256; ++v) {
    table[v] = static_cast<float>((v / 255.0 - norm.mean) / norm.std);
  }
  out.pixels.resize(out.n * size);
  out.labels.resize(out.n);
  for (size_t k = 0; k < indices.size(); ++k) {
    const uint8_t* src = raw.pixels.data() + indices[k] * size;
    float* dst = out.pixels.data() + k * size;
    for (size_t p = 0; p < size; ++p) dst[p] = table[src[p]];
    out.labels[k] = labels[indices[k]];
  }
  return out;
}

absl::Status WriteIdxPair(const std::string& images_path, const std::string& labels_path,
                          const IdxImages& images, std::span<const int32_t> labels, bool gzip) {
  const std::vector<uint32_t> dims = {static_cast<uint32_t>(images.n), images.height, images.width};
  if (absl::Status s = WriteMaybeGzipFile(images_path, EncodeIdx(dims, images.pixels), gzip);
      !s.ok()) {
    return s;
  }
  const std::vector<uint8_t> bytes(labels.begin(), labels.end());
  return WriteMaybeGzipFile(labels_path, EncodeIdx({static_cast<uint32_t>(labels.size())}, bytes),
                            gzip);
}

std::string DescribeImageSet(const ImageSet& set) {
  return absl::StrCat(set.n, " images ", set.channels, "x", set.height, "x", set.width, ", ",
                      set.classes, " classes");
}

}  // namespace gaia::cnn
