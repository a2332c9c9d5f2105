// The CPU collective: a ring over Unix-domain sockets among the workers of
// one DC on one host. Reduce-scatter then (for AllReduceSum) all-gather, each
// size-1 steps of one slice per rank, so every rank sends and receives
// 2 (size-1)/size of the vector per all-reduce whatever the size.
//
//   CollectiveOptions options{.rendezvous_dir = dir, .rank = r, .size = 4};
//   absl::StatusOr<std::unique_ptr<RingCollective>> ring = RingCollective::Create(options);
//   absl::Status s = (*ring)->AllReduceSum(std::span<float>(delta));
//
// Failure model: the first failed call (a peer gone, a deadline, a peer out
// of step) closes both sockets, so that the neighbours fail at once instead
// of waiting out their deadline, and every later call returns that error
// (FAILED_PRECONDITION, quoting it). A failure anywhere in the ring so reaches
// every rank, each naming the neighbour it lost; a rank that fails leaves its
// error in <dir>/rank-<r>.failed before closing, and a neighbour that lost it
// quotes that, so the message names where the ring broke. Not thread-safe:
// one thread per rank. Creates no threads.
#ifndef GAIA_APPS_CNN_COLLECTIVE_RING_H_
#define GAIA_APPS_CNN_COLLECTIVE_RING_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "apps/cnn/collective.h"
#include "apps/cnn/collective_link.h"

namespace gaia::cnn {

class RingCollective final : public Collective {
 public:
  // Validates options and, for size > 1, connects the ring (see RingLink);
  // all ranks must call it within options.timeout_ms of each other.
  static absl::StatusOr<std::unique_ptr<RingCollective>> Create(const CollectiveOptions& options);

  ~RingCollective() override;

  int rank() const override { return options_.rank; }
  int size() const override { return options_.size; }
  std::string_view name() const override { return "cpu"; }
  absl::Status AllReduceSum(std::span<float> data) override;
  absl::Status ReduceScatterSum(std::span<float> data, SliceRange* mine) override;
  absl::Status Close() override;

  // Calls made so far, rejected ones included (the sequence number of the
  // last call).
  uint64_t calls() const { return seq_; }

 private:
  RingCollective(const CollectiveOptions& options, internal::RingLink link);

  // The reduce-scatter phase then, when `gather`, the all-gather phase.
  absl::Status Run(uint32_t op, std::span<float> data, bool gather);
  // Adds "collective rank R (cpu): <op> call #k: " and remembers the error.
  absl::Status Fail(uint32_t op, const absl::Status& status);

  const CollectiveOptions options_;
  const size_t chunk_elems_;
  internal::RingLink link_;
  std::vector<float> scratch_;  // one received chunk (chunk_elems_ floats)
  uint64_t seq_ = 0;            // number of the current / last call
  bool closed_ = false;
  absl::Status broken_;  // the first failure; later calls return it
};

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_COLLECTIVE_RING_H_
