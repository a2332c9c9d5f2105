// A CUDA stream and event-based timing of the work queued on it. Part of the
// GPU layer's core.
//
//   Stream stream;
//   if (CudaResult r = stream.Create(); !r.ok()) return r;
//   EventTimer timer;
//   if (CudaResult r = timer.Create(); !r.ok()) return r;
//   timer.Start(stream.get()); kernel<<<g, b, 0, stream.get()>>>(...); timer.Stop(stream.get());
//   float ms = 0; timer.ElapsedMs(&ms);   // waits for the stop event
//
// Move-only; destructors release the handles. Not thread-safe.
#ifndef GAIA_APPS_COMMON_GPU_STREAM_H_
#define GAIA_APPS_COMMON_GPU_STREAM_H_

#include <cuda_runtime_api.h>

#include "apps/common/gpu/cuda_result.h"

namespace gaia::gpu {

class Stream {
 public:
  Stream() = default;
  Stream(Stream&& o) noexcept;
  Stream& operator=(Stream&& o) noexcept;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream();

  // A non-blocking stream (no implicit sync with the legacy default stream)
  // on the current device.
  CudaResult Create();
  // Waits until everything queued so far has run; reports the first error
  // of that work (a kernel fault shows up here).
  CudaResult Synchronize() const;
  cudaStream_t get() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};

// Device time between two points of a stream, from a pair of events.
class EventTimer {
 public:
  EventTimer() = default;
  EventTimer(EventTimer&& o) noexcept;
  EventTimer& operator=(EventTimer&& o) noexcept;
  EventTimer(const EventTimer&) = delete;
  EventTimer& operator=(const EventTimer&) = delete;
  ~EventTimer();

  CudaResult Create();
  CudaResult Start(cudaStream_t stream);
  CudaResult Stop(cudaStream_t stream);
  // Waits for the stop event and sets *ms to the time from Start to Stop.
  CudaResult ElapsedMs(float* ms) const;

 private:
  cudaEvent_t start_ = nullptr;
  cudaEvent_t stop_ = nullptr;
};

}  // namespace gaia::gpu

#endif  // GAIA_APPS_COMMON_GPU_STREAM_H_
