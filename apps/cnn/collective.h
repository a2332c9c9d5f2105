// The sum of one DC's worker updates: each clock, every worker of a DC holds
// its weight change as a flat float vector; a collective sums them so that the
// DC pushes to the parameter server once, not once per worker (the pattern
// BytePS uses). Two implementations behind one interface:
//   "cpu"   a ring over Unix-domain sockets (collective_ring.h), any machine;
//   "nccl"  NCCL on the workers' GPUs (nccl_collective.h), only when built
//           with CUDA and NCCL and a GPU is present.
//
//   CollectiveOptions options;
//   options.rendezvous_dir = "/tmp/job/dc0-collective";  // shared by the DC
//   options.rank = worker_index;                           // 0 .. size-1
//   options.size = workers_in_dc;
//   absl::StatusOr<std::unique_ptr<Collective>> c = MakeCollective("cpu", options);
//   if (!c.ok()) return c.status();
//   SliceRange mine;
//   absl::Status s = (*c)->ReduceScatterSum(std::span<float>(delta), &mine);
//   // delta[mine.begin, mine.end) now holds the DC's sum: push that slice.
//
// Contract shared by every implementation: all ranks of a DC make the same
// calls in the same order with the same vector length; each rank calls from
// one thread at a time (a Collective is not thread-safe). See
// docs/APP_CNN_COLLECTIVE.md for the rendezvous directory, timeouts and errors.
#ifndef GAIA_APPS_CNN_COLLECTIVE_H_
#define GAIA_APPS_CNN_COLLECTIVE_H_

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gaia::cnn {

// Elements [begin, end) of a vector.
struct SliceRange {
  size_t begin = 0;
  size_t end = 0;
  size_t size() const { return end - begin; }
  bool operator==(const SliceRange&) const = default;
};

struct CollectiveOptions {
  // Directory shared by the DC's workers, one per DC per run; it must exist
  // and hold nothing of another run. The CPU ring puts rank-<r>.sock there
  // (removed once the ring is connected); NCCL puts nccl-id there. Not used
  // when size == 1.
  std::string rendezvous_dir;
  // This worker's index in the DC, 0 <= rank < size.
  int rank = 0;
  // Workers in the DC. 1 is a valid, trivial collective (no sockets, no copy).
  int size = 1;
  // Deadline for every blocking step: connecting the ring (all of it) and
  // each call (all of it, including waiting for slower peers to arrive).
  // Longer tolerates more skew between workers; shorter reports a dead or
  // stuck peer sooner.
  int timeout_ms = 60'000;
  // CPU ring: the most payload one message carries, in [4, 1 GiB]. Bounds the
  // scratch buffer (one chunk) and the memory in flight; smaller costs more
  // messages.
  size_t chunk_bytes = size_t{1} << 20;
  // NCCL: the CUDA device of this rank; -1 picks rank % (number of devices).
  int device = -1;
};

class Collective {
 public:
  virtual ~Collective() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  // "cpu" or "nccl".
  virtual std::string_view name() const = 0;

  // On success every rank's `data` holds the element-wise sum over ranks
  // (the same bits on every rank).
  virtual absl::Status AllReduceSum(std::span<float> data) = 0;

  // On success *mine == Slice(data.size(), rank(), size()) and data[mine]
  // holds the sum over ranks of that slice; the rest of `data` is left
  // unspecified (partial sums). INVALID_ARGUMENT when mine is null.
  virtual absl::Status ReduceScatterSum(std::span<float> data, SliceRange* mine) = 0;

  // Releases sockets / communicators. Idempotent; later calls fail with
  // FAILED_PRECONDITION. The destructor closes too.
  virtual absl::Status Close() = 0;

  // The partition rule: contiguous slices in rank order, the first n % size
  // ranks one element longer. Empty slices when n < size.
  // REQUIRES: 0 <= rank < size.
  static SliceRange Slice(size_t n, int rank, int size);
};

// INVALID_ARGUMENT naming the field when rank/size/timeout/chunk are out of
// range, or the rendezvous dir is empty (size > 1).
absl::Status ValidateCollectiveOptions(const CollectiveOptions& options);

// The implementation named `name` ("cpu" or "nccl"), connected to its peers.
// INVALID_ARGUMENT for another name; FAILED_PRECONDITION for "nccl" when this
// build has no NCCL or the machine has no GPU (the message says which).
absl::StatusOr<std::unique_ptr<Collective>> MakeCollective(std::string_view name,
                                                           const CollectiveOptions& options);

// True when this build includes the NCCL implementation (GAIA_HAVE_NCCL).
bool CollectiveHasNccl();

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_COLLECTIVE_H_
