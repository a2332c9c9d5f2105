// The NCCL collective: the GPU workers of one DC sum their updates on the
// GPUs. Built only with CUDA and NCCL (target gaia_cnn_nccl, which defines
// GAIA_HAVE_NCCL); most callers reach it through MakeCollective("nccl", ...).
//
//   // Device buffers, on the caller's stream:
//   absl::StatusOr<std::unique_ptr<DeviceCollective>> dc = DeviceCollective::Create(options);
//   absl::Status s = (*dc)->AllReduceSum(d_delta, n, stream);  // returns when done
//   // Host vectors, staged through device memory:
//   absl::StatusOr<std::unique_ptr<NcclCollective>> c = NcclCollective::Create(options);
//   s = (*c)->AllReduceSum(std::span<float>(delta));
//
// Rendezvous: rank 0 makes the ncclUniqueId and writes it to
// <rendezvous_dir>/nccl-id (a temporary renamed into place, so readers see
// all of it or nothing); the others poll for it until options.timeout_ms;
// rank 0 removes it once the communicator is up. The communicator is
// non-blocking, so every wait (joining, each call) is bounded by timeout_ms:
// on expiry the communicator is aborted and the call fails with
// DEADLINE_EXCEEDED; every later call fails with FAILED_PRECONDITION. NCCL
// does not check that ranks make the same calls: a rank out of step is seen
// as a timeout, not named (the CPU ring names it).
//
// Device: options.device, or rank % (visible devices) when -1. NCCL 2.5 and
// later refuse two ranks of one communicator on one GPU ("Duplicate GPU
// detected", ncclInvalidUsage -> FAILED_PRECONDITION). CUDA and NCCL errors
// become a Status naming the call. Not thread-safe: one thread per rank.
#ifndef GAIA_APPS_CNN_NCCL_COLLECTIVE_H_
#define GAIA_APPS_CNN_NCCL_COLLECTIVE_H_

#include <cuda_runtime_api.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "apps/cnn/collective.h"

struct ncclComm;  // nccl.h's communicator, kept out of this header

namespace gaia::cnn {

// OK when a CUDA device is visible; else FAILED_PRECONDITION saying why.
absl::Status NcclDeviceAvailable();

class DeviceCollective {
 public:
  static absl::StatusOr<std::unique_ptr<DeviceCollective>> Create(
      const CollectiveOptions& options);
  ~DeviceCollective();
  DeviceCollective(const DeviceCollective&) = delete;
  DeviceCollective& operator=(const DeviceCollective&) = delete;

  int rank() const { return options_.rank; }
  int size() const { return options_.size; }
  int device() const { return device_; }

  // `data`: n floats on device(). Enqueued on `stream` after its earlier
  // work; returns once the result is in `data` (every rank: the sum).
  absl::Status AllReduceSum(float* data, size_t n, cudaStream_t stream);
  // As AllReduceSum, but only data[*mine] (mine = Slice(n, rank, size)) is
  // the sum; the rest of `data` is unchanged. In place, slices may differ in
  // length by one (a grouped ncclReduce per slice, each to its owner).
  absl::Status ReduceScatterSum(float* data, size_t n, cudaStream_t stream, SliceRange* mine);
  // Finalizes and destroys the communicator (bounded by timeout_ms; aborts
  // past it). Idempotent.
  absl::Status Close();

 private:
  using Deadline = std::chrono::steady_clock::time_point;
  DeviceCollective(const CollectiveOptions& options, int device);

  absl::Status Join();
  absl::Status Begin(const char* op, Deadline* deadline);
  // Waits until an NCCL call issued in non-blocking mode has been taken.
  absl::Status Issued(int result, const char* call, Deadline deadline);
  // Waits until `stream` has run the enqueued collective.
  absl::Status Finish(cudaStream_t stream, Deadline deadline);
  absl::Status Fail(absl::Status status);

  const CollectiveOptions options_;
  const int device_;
  ncclComm* comm_ = nullptr;
  cudaEvent_t done_ = nullptr;  // recorded after each collective
  uint64_t seq_ = 0;
  const char* op_ = "";  // the current call, for messages
  absl::Status broken_;
};

// The host-vector Collective over DeviceCollective: copies the vector to a
// device buffer (kept and grown between calls), sums there, copies back.
class NcclCollective final : public Collective {
 public:
  static absl::StatusOr<std::unique_ptr<NcclCollective>> Create(const CollectiveOptions& options);
  ~NcclCollective() override;

  int rank() const override { return device_->rank(); }
  int size() const override { return device_->size(); }
  std::string_view name() const override { return "nccl"; }
  absl::Status AllReduceSum(std::span<float> data) override;
  absl::Status ReduceScatterSum(std::span<float> data, SliceRange* mine) override;
  absl::Status Close() override;

 private:
  explicit NcclCollective(std::unique_ptr<DeviceCollective> device);
  absl::Status Stage(std::span<const float> data);

  std::unique_ptr<DeviceCollective> device_;
  cudaStream_t stream_ = nullptr;
  float* buffer_ = nullptr;  // device memory, capacity_ floats
  size_t capacity_ = 0;
};

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_NCCL_COLLECTIVE_H_
