#include "apps/cnn/data_batches.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "apps/cnn/partition.h"

namespace gaia::cnn {
namespace {

// Epoch e's permutation seed: (seed, e) through splitmix64's finalizer, so
// neighbouring epochs (and seeds) get unrelated orders.
uint64_t EpochSeed(uint64_t seed, uint64_t epoch) {
  uint64_t z = seed ^ (epoch * 0xD1B54A32D192ED03ull + 0x8CB92BA72F3D8DD7ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

absl::StatusOr<BatchIterator> BatchIterator::Create(const ImageSet& set, const Options& options) {
  if (set.n == 0) return absl::InvalidArgumentError("batch iterator: the image set is empty");
  if (options.batch_size == 0) {
    return absl::InvalidArgumentError("batch iterator: batch_size=0: need at least 1");
  }
  return BatchIterator(set, options);
}

BatchIterator::BatchIterator(const ImageSet& set, const Options& options)
    : set_(&set), options_(options) {
  batch_.resize(options.batch_size);
  StartEpoch();
}

void BatchIterator::StartEpoch() {
  if (options_.shuffle) {
    order_ = SeededPermutation(set_->n, EpochSeed(options_.seed, epoch_));
  } else if (order_.size() != set_->n) {
    order_ = AllIndices(set_->n);
  }
  position_ = 0;
}

absl::Status BatchIterator::NextIndices(std::span<size_t> indices) {
  if (indices.size() < options_.batch_size) {
    return absl::InvalidArgumentError(absl::StrCat("batch iterator: room for ", indices.size(),
                                                   " indices, batch_size is ",
                                                   options_.batch_size));
  }
  size_t filled = 0;
  while (filled < options_.batch_size) {
    const size_t take = std::min<size_t>(options_.batch_size - filled, order_.size() - position_);
    std::copy_n(order_.begin() + static_cast<ptrdiff_t>(position_), take,
                indices.begin() + static_cast<ptrdiff_t>(filled));
    filled += take;
    position_ += take;
    if (position_ == order_.size()) {
      ++epoch_;
      StartEpoch();
    }
  }
  ++batches_;
  return absl::OkStatus();
}

absl::Status BatchIterator::Next(std::span<float> images, std::span<int32_t> labels) {
  if (images.size() < batch_floats() || labels.size() < options_.batch_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch iterator: buffers of ", images.size(), " floats and ", labels.size(),
                     " labels; a batch needs ", batch_floats(), " and ", options_.batch_size));
  }
  if (absl::Status s = NextIndices(std::span<size_t>(batch_)); !s.ok()) return s;
  const size_t size = set_->image_size();
  for (size_t k = 0; k < batch_.size(); ++k) {
    std::copy_n(set_->image(batch_[k]), size, images.begin() + static_cast<ptrdiff_t>(k * size));
    labels[k] = set_->labels[batch_[k]];
  }
  return absl::OkStatus();
}

}  // namespace gaia::cnn
