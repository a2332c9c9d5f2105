#include "apps/common/gpu/stream.h"

#include <utility>

namespace gaia::gpu {

Stream::Stream(Stream&& o) noexcept : stream_(std::exchange(o.stream_, nullptr)) {}
Stream& Stream::operator=(Stream&& o) noexcept {
  std::swap(stream_, o.stream_);
  return *this;
}
Stream::~Stream() {
  if (stream_ != nullptr) (void)cudaStreamDestroy(stream_);
}

CudaResult Stream::Create() {
  if (stream_ != nullptr) {
    (void)cudaStreamDestroy(stream_);
    stream_ = nullptr;
  }
  return GAIA_CUDA_CALL(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
}

CudaResult Stream::Synchronize() const { return GAIA_CUDA_CALL(cudaStreamSynchronize(stream_)); }

EventTimer::EventTimer(EventTimer&& o) noexcept
    : start_(std::exchange(o.start_, nullptr)), stop_(std::exchange(o.stop_, nullptr)) {}
EventTimer& EventTimer::operator=(EventTimer&& o) noexcept {
  std::swap(start_, o.start_);
  std::swap(stop_, o.stop_);
  return *this;
}
EventTimer::~EventTimer() {
  if (start_ != nullptr) (void)cudaEventDestroy(start_);
  if (stop_ != nullptr) (void)cudaEventDestroy(stop_);
}

CudaResult EventTimer::Create() {
  if (start_ == nullptr) GAIA_CUDA_RETURN_IF_FAILED(GAIA_CUDA_CALL(cudaEventCreate(&start_)));
  if (stop_ == nullptr) GAIA_CUDA_RETURN_IF_FAILED(GAIA_CUDA_CALL(cudaEventCreate(&stop_)));
  return CudaResult();
}

CudaResult EventTimer::Start(cudaStream_t stream) {
  return GAIA_CUDA_CALL(cudaEventRecord(start_, stream));
}

CudaResult EventTimer::Stop(cudaStream_t stream) {
  return GAIA_CUDA_CALL(cudaEventRecord(stop_, stream));
}

CudaResult EventTimer::ElapsedMs(float* ms) const {
  GAIA_CUDA_RETURN_IF_FAILED(GAIA_CUDA_CALL(cudaEventSynchronize(stop_)));
  return GAIA_CUDA_CALL(cudaEventElapsedTime(ms, start_, stop_));
}

}  // namespace gaia::gpu
