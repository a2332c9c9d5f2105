// Mini-batches of a fixed size over an ImageSet, endlessly, with a seeded
// reshuffle per epoch. The stream of images is epoch 0's order, then epoch
// 1's, ...; batch b is images [b*B, (b+1)*B) of that stream, so every batch
// is full, each image appears once per epoch, and a batch may straddle two
// epochs. Epoch e's order is SeededPermutation(n, f(seed, e)) (partition.h),
// fixed by (seed, e) alone: the same on every run and machine.
//
//   absl::StatusOr<BatchIterator> it = BatchIterator::Create(data.train, {.batch_size = 64});
//   std::vector<float> x(it->batch_floats());
//   std::vector<int32_t> y(it->batch_size());
//   while (it->epochs_completed() < 10) {
//     if (absl::Status s = it->Next(x, y); !s.ok()) return s;
//     ...train on x (64 x C x H x W) and y...
//   }
//
// Not thread-safe; one iterator per worker thread. The ImageSet must outlive
// the iterator and not change while it is used.
#ifndef GAIA_APPS_CNN_DATA_BATCHES_H_
#define GAIA_APPS_CNN_DATA_BATCHES_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "apps/cnn/image_set.h"

namespace gaia::cnn {

class BatchIterator {
 public:
  struct Options {
    uint32_t batch_size = 32;  // images per batch; >= 1 (may exceed n: then wraps)
    uint64_t seed = 1;         // fixes every epoch's order
    bool shuffle = true;       // false: the set's order in every epoch
  };

  // InvalidArgument for an empty set or batch_size 0.
  static absl::StatusOr<BatchIterator> Create(const ImageSet& set, const Options& options);

  // Copies the next batch: batch_size images (NCHW floats) into `images`
  // and their labels into `labels`. InvalidArgument (nothing consumed) when
  // a span is smaller than batch_floats() / batch_size().
  absl::Status Next(std::span<float> images, std::span<int32_t> labels);

  // Advances like Next but only writes the images' indices in the set
  // (batch_size of them). InvalidArgument when `indices` is too small.
  absl::Status NextIndices(std::span<size_t> indices);

  uint32_t batch_size() const { return options_.batch_size; }
  size_t batch_floats() const { return size_t{options_.batch_size} * set_->image_size(); }
  // Whole passes over the set finished so far.
  uint64_t epochs_completed() const { return epoch_; }
  // Batches returned so far.
  uint64_t batches() const { return batches_; }

 private:
  BatchIterator(const ImageSet& set, const Options& options);
  void StartEpoch();

  const ImageSet* set_;
  Options options_;
  uint64_t epoch_ = 0;   // the epoch `order_` belongs to
  size_t position_ = 0;  // next index into order_, < set_->n
  uint64_t batches_ = 0;
  std::vector<size_t> order_;  // this epoch's permutation of the set
  std::vector<size_t> batch_;  // the current batch's indices (Next's scratch)
};

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_DATA_BATCHES_H_
