// One data spec (data_spec.h) -> this worker's training images and the
// whole test set. The spec carries the DC's index and the DC count; the
// launcher gives the worker's part of its DC.
//
//   absl::StatusOr<CnnData> d =
//       LoadCnnData("fashion-mnist,dc=1,dcs=5,split=labels", /*part=*/0, /*parts=*/2);
//   if (!d.ok()) return d.status();   // names the file, or the spec key
//   spdlog::info("{}", DescribeSplit(*d));
//   d->train.n;   // ~6000: half of DC 1's share (classes 2 and 3)
//   d->test.n;    // 10000: the whole t10k set, every DC and worker alike
//
// Every worker reads the whole training file and computes every DC's share
// (partition.h): no coordination, and the same (spec, part, parts) gives
// the same images in the same order on any machine. Parts of one DC are
// disjoint and together its share; the DCs' shares are disjoint and
// together the training set (its first `limit` images when limit is set).
// Thread-compatible free functions; ~0.5 s for Fashion-MNIST (mostly gunzip).
#ifndef GAIA_APPS_CNN_DATA_SOURCE_H_
#define GAIA_APPS_CNN_DATA_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "apps/cnn/data_spec.h"
#include "apps/cnn/image_set.h"

namespace gaia::cnn {

// Where the Debian package dataset-fashion-mnist puts its files.
inline constexpr char kFashionMnistDir[] = "/usr/share/datasets/fashion-mnist";

struct LoadOptions {
  // The "fashion-mnist" source's directory (a test points it elsewhere).
  std::string fashion_mnist_dir = kFashionMnistDir;
  // false: leave CnnData::test empty (a worker that does not evaluate).
  bool load_test = true;
};

// The four files of an IDX dataset, as found (plain or .gz).
struct IdxPaths {
  std::string train_images;
  std::string train_labels;
  std::string test_images;
  std::string test_labels;
};

struct CnnData {
  DataSpec spec;
  uint32_t part = 0;   // this worker's part of its DC's share
  uint32_t parts = 1;  // parts the share is dealt into
  IdxPaths paths;
  PixelNorm norm;  // applied to train and test
  ImageSet train;  // this worker's part, in the share's (shuffled) order
  ImageSet test;   // the whole test set (its first test_limit), file order
  // train_indices[k]: image k of `train` is image train_indices[k] of the
  // training file.
  std::vector<size_t> train_indices;
  size_t train_total = 0;              // training images split among DCs
  std::vector<uint32_t> dc_classes;    // classes this DC holds, ascending
  std::vector<size_t> dc_share_sizes;  // images per DC, every DC of the job
  // [dc][class] image counts, every DC of the job (for logs).
  std::vector<std::vector<uint64_t>> dc_class_counts;
};

// REQUIRES: part < parts (else InvalidArgument). NotFound, naming the
// missing file, when a dataset is absent; for "fashion-mnist" it says to run
// scripts/setup.sh. FailedPrecondition when this worker's part is empty.
absl::StatusOr<CnnData> LoadCnnData(std::string_view spec, uint32_t part, uint32_t parts,
                                    const LoadOptions& options = {});

// The four files of `spec`'s dataset: for each standard name
// (train-images-idx3-ubyte, ...) the plain file if present, else NAME.gz.
absl::StatusOr<IdxPaths> FindIdxPaths(const DataSpec& spec, const LoadOptions& options = {});

// Several lines for logs: the spec, this DC's classes and share, this
// worker's part, the test set, the norm, and the per-DC class histogram.
std::string DescribeSplit(const CnnData& data);

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_DATA_SOURCE_H_
