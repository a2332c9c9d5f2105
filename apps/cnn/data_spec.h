// A DC's image data spec (its `data:` in the job spec, a worker's --data):
// the source, then comma-separated KEY=VALUE options.
//
//   "fashion-mnist"                       the Debian package dataset-fashion-mnist
//   "mnist-idx:/data/mnist"               a directory with the 4 MNIST file names
//   "fashion-mnist,dc=1,dcs=5,split=labels,classes_per_dc=2,seed=3,limit=6000"
//
//   absl::StatusOr<DataSpec> s = ParseDataSpec("mnist-idx:/d,dcs=2,dc=1");
//   s->source == DataSource::kMnistIdx;  s->dir == "/d";  s->dc == 1;
//
// Keys (docs/APP_CNN_DATA.md has the table and the rules):
//   dc, dcs          this DC's index and the job's DC count (0 <= dc < dcs)
//   split            iid (default) | labels
//   classes_per_dc   split=labels only: classes each DC holds
//   seed             the permutation behind both splits (default 1)
//   limit            use only the first M training images (0 = all)
//   test_limit       use only the first M test images (0 = all)
//   norm             train | mnist | fashion-mnist | none: the pixel map
//   classes          mnist-idx only: label count (default 10)
// Every error is InvalidArgument "data spec 'SPEC': KEY=VALUE: why", or
// names the unknown key or source. A path cannot contain ','.
// Thread-compatible free functions.
#ifndef GAIA_APPS_CNN_DATA_SPEC_H_
#define GAIA_APPS_CNN_DATA_SPEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "apps/cnn/partition.h"

namespace gaia::cnn {

enum class DataSource {
  kFashionMnist,  // "fashion-mnist": /usr/share/datasets/fashion-mnist
  kMnistIdx,      // "mnist-idx:DIR"
};

// Which PixelNorm (image_set.h) maps x / 255.
enum class NormChoice {
  kTrain,         // mean and std of the whole training file (before limit)
  kMnist,         // kMnistNorm, 0.1307 / 0.3081
  kFashionMnist,  // kFashionMnistNorm, 0.2860 / 0.3530
  kNone,          // x / 255 only
};

struct DataSpec {
  std::string spec;  // as given, for messages
  DataSource source = DataSource::kFashionMnist;
  std::string dir;  // kMnistIdx: the directory
  uint32_t dc = 0;  // in [0, partition.dcs)
  PartitionOptions partition;
  uint64_t limit = 0;       // training images used (the file's first); 0 = all
  uint64_t test_limit = 0;  // test images used (the file's first); 0 = all
  // Default: kFashionMnist for "fashion-mnist", kTrain for "mnist-idx".
  NormChoice norm = NormChoice::kFashionMnist;
  uint32_t classes = 10;  // labels are in [0, classes)
};

absl::StatusOr<DataSpec> ParseDataSpec(std::string_view spec);

// The canonical spelling of `spec`'s fields (for logs).
std::string FormatDataSpec(const DataSpec& spec);

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_DATA_SPEC_H_
