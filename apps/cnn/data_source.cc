#include "apps/cnn/data_source.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "apps/cnn/partition.h"

namespace gaia::cnn {
namespace {

constexpr uint32_t kFashionMnistSide = 28;

// DIR/NAME if it exists, else DIR/NAME.gz; empty when neither does.
std::string FindOne(const std::string& dir, const std::string& name) {
  std::error_code ec;
  for (const std::string& candidate : {name, name + ".gz"}) {
    const std::filesystem::path p = std::filesystem::path(dir) / candidate;
    if (std::filesystem::exists(p, ec)) return p.string();
  }
  return "";
}

PixelNorm ChooseNorm(NormChoice choice, const IdxImages& train) {
  switch (choice) {
    case NormChoice::kTrain: return ComputePixelNorm(train.pixels);
    case NormChoice::kMnist: return kMnistNorm;
    case NormChoice::kFashionMnist: return kFashionMnistNorm;
    case NormChoice::kNone: return kNoNorm;
  }
  return kNoNorm;
}

// Images and labels of one IDX pair, counts checked.
struct LabelledBytes {
  IdxImages images;
  std::vector<int32_t> labels;
};

absl::StatusOr<LabelledBytes> ReadPair(const std::string& images_path,
                                       const std::string& labels_path, uint32_t classes) {
  LabelledBytes out;
  absl::StatusOr<IdxImages> images = ReadIdxImages(images_path);
  if (!images.ok()) return images.status();
  absl::StatusOr<std::vector<int32_t>> labels = ReadIdxLabels(labels_path, classes);
  if (!labels.ok()) return labels.status();
  if (absl::Status s = CheckSameCount(images_path, images->n, labels_path, labels->size());
      !s.ok()) {
    return s;
  }
  out.images = std::move(*images);
  out.labels = std::move(*labels);
  return out;
}

// The expected image dims: 28x28 for Fashion-MNIST; for mnist-idx the test
// images must match the training images (one model takes both).
absl::Status CheckDims(const std::string& path, const IdxImages& images, uint32_t height,
                       uint32_t width, absl::string_view why) {
  if (images.height == height && images.width == width) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(path, ": images of ", images.height, "x",
                                                 images.width, ", expected ", height, "x", width,
                                                 " (", why, ")"));
}

void Truncate(LabelledBytes& set, uint64_t limit) {
  if (limit == 0 || limit >= set.images.n) return;
  set.images.n = limit;
  set.images.pixels.resize(limit * set.images.height * set.images.width);
  set.labels.resize(limit);
}

absl::Status LoadTest(const CnnData& data, ImageSet& test) {
  absl::StatusOr<LabelledBytes> raw =
      ReadPair(data.paths.test_images, data.paths.test_labels, data.spec.classes);
  if (!raw.ok()) return raw.status();
  if (absl::Status s = CheckDims(data.paths.test_images, raw->images, data.train.height,
                                 data.train.width, "the training images' size");
      !s.ok()) {
    return s;
  }
  Truncate(*raw, data.spec.test_limit);
  const std::vector<size_t> all = AllIndices(raw->images.n);
  test = GatherImages(raw->images, raw->labels, all, data.spec.classes, data.norm);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<IdxPaths> FindIdxPaths(const DataSpec& spec, const LoadOptions& options) {
  const bool fashion = spec.source == DataSource::kFashionMnist;
  const std::string& dir = fashion ? options.fashion_mnist_dir : spec.dir;
  IdxPaths out;
  const std::pair<std::string*, const char*> files[] = {
      {&out.train_images, "train-images-idx3-ubyte"},
      {&out.train_labels, "train-labels-idx1-ubyte"},
      {&out.test_images, "t10k-images-idx3-ubyte"},
      {&out.test_labels, "t10k-labels-idx1-ubyte"},
  };
  for (const auto& [path, name] : files) {
    *path = FindOne(dir, name);
    if (!path->empty()) continue;
    const std::string missing = (std::filesystem::path(dir) / name).string();
    if (fashion) {
      return absl::NotFoundError(
          absl::StrCat("Fashion-MNIST is not installed: ", missing,
                       "[.gz] not found; run scripts/setup.sh "
                       "(it installs the Debian package dataset-fashion-mnist)"));
    }
    return absl::NotFoundError(
        absl::StrCat("data spec '", spec.spec, "': ", missing, " not found (nor ", name, ".gz)"));
  }
  return out;
}

absl::StatusOr<CnnData> LoadCnnData(std::string_view spec, uint32_t part, uint32_t parts,
                                    const LoadOptions& options) {
  if (parts == 0 || part >= parts) {
    return absl::InvalidArgumentError(
        absl::StrCat("worker part ", part, " of ", parts, ": need part < parts"));
  }
  CnnData data;
  absl::StatusOr<DataSpec> parsed = ParseDataSpec(spec);
  if (!parsed.ok()) return parsed.status();
  data.spec = std::move(*parsed);
  data.part = part;
  data.parts = parts;
  absl::StatusOr<IdxPaths> paths = FindIdxPaths(data.spec, options);
  if (!paths.ok()) return paths.status();
  data.paths = std::move(*paths);

  const uint32_t classes = data.spec.classes;
  absl::StatusOr<LabelledBytes> raw =
      ReadPair(data.paths.train_images, data.paths.train_labels, classes);
  if (!raw.ok()) return raw.status();
  if (data.spec.source == DataSource::kFashionMnist) {
    if (absl::Status s = CheckDims(data.paths.train_images, raw->images, kFashionMnistSide,
                                   kFashionMnistSide, "Fashion-MNIST");
        !s.ok()) {
      return s;
    }
  }
  data.norm = ChooseNorm(data.spec.norm, raw->images);
  Truncate(*raw, data.spec.limit);
  data.train_total = raw->labels.size();

  const std::vector<std::vector<size_t>> shares =
      SplitAmongDcs(raw->labels, classes, data.spec.partition);
  data.dc_classes = DcClasses(data.spec.partition, classes, data.spec.dc);
  data.dc_class_counts = ClassHistogram(shares, raw->labels, classes);
  for (const std::vector<size_t>& share : shares) data.dc_share_sizes.push_back(share.size());
  data.train_indices = PartOfShare(shares[data.spec.dc], part, parts);
  if (data.train_indices.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data spec '", data.spec.spec, "': worker part ", part, " of ", parts, " of DC ",
        data.spec.dc, "'s ", shares[data.spec.dc].size(), " training images is empty"));
  }
  data.train = GatherImages(raw->images, raw->labels, data.train_indices, classes, data.norm);
  *raw = LabelledBytes();  // free the bytes before reading the test set

  if (options.load_test) {
    if (absl::Status s = LoadTest(data, data.test); !s.ok()) return s;
  }
  return data;
}

std::string DescribeSplit(const CnnData& data) {
  const DataSpec& spec = data.spec;
  std::string out = absl::StrCat("data ", FormatDataSpec(spec), "\n");
  absl::StrAppend(&out, "  DC ", spec.dc, " of ", spec.partition.dcs, " holds classes ",
                  absl::StrJoin(data.dc_classes, ","), ": ", data.dc_share_sizes[spec.dc], " of ",
                  data.train_total, " training images (",
                  spec.partition.split == DcSplit::kIid ? "iid" : "by label", ")\n");
  absl::StrAppend(&out, "  worker part ", data.part, " of ", data.parts, ": ",
                  DescribeImageSet(data.train), "\n");
  absl::StrAppend(&out, "  test: ", data.test.n == 0 ? "not loaded" : DescribeImageSet(data.test),
                  "\n");
  absl::StrAppendFormat(&out, "  pixels: (x/255 - %.4f) / %.4f\n", data.norm.mean, data.norm.std);
  absl::StrAppend(&out, FormatClassHistogram(data.dc_class_counts, "dc"));
  return out;
}

}  // namespace gaia::cnn
