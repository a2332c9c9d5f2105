// Owning device and pinned host buffers. Part of the GPU layer's core.
//
//   DeviceBuffer<float> rows;
//   if (CudaResult r = rows.Allocate(n); !r.ok()) return r;   // exactly n elements
//   PinnedBuffer<float> staging;                               // page-locked host memory
//   ...; rows.CopyFromHostAsync(staging.data(), n, stream.get());
//
// Move-only; the destructor frees what the buffer owns (an error there is
// ignored: nothing useful can be done with it). Not thread-safe.
#ifndef GAIA_APPS_COMMON_GPU_BUFFERS_H_
#define GAIA_APPS_COMMON_GPU_BUFFERS_H_

#include <cuda_runtime_api.h>

#include <cstddef>
#include <string>
#include <utility>

#include "apps/common/gpu/cuda_result.h"

namespace gaia::gpu {

// Memory on the current device for size() elements of T (uninitialized).
template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(DeviceBuffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() { Free(); }

  // Frees what the buffer held and allocates n elements (none for n == 0, with
  // no CUDA call). Waits for nothing: the caller must know queued work no
  // longer uses the old memory.
  CudaResult Allocate(size_t n) {
    Free();
    if (n == 0) return CudaResult();
    void* p = nullptr;
    CudaResult r = CheckCuda(cudaMalloc(&p, n * sizeof(T)), "cudaMalloc", __FILE__, __LINE__);
    if (!r.ok()) {
      return CudaResult(r.code(), r.message() + " (" + std::to_string(n * sizeof(T)) +
                                      " bytes)");
    }
    data_ = static_cast<T*>(p);
    size_ = n;
    return r;
  }

  // Copies n elements from host memory (pinned for a truly asynchronous copy)
  // into the start of the buffer, on `stream`. REQUIRES: n <= size().
  CudaResult CopyFromHostAsync(const T* host, size_t n, cudaStream_t stream) {
    return GAIA_CUDA_CALL(
        cudaMemcpyAsync(data_, host, n * sizeof(T), cudaMemcpyHostToDevice, stream));
  }
  // Copies the first n elements to host memory on `stream`. REQUIRES: n <= size().
  CudaResult CopyToHostAsync(T* host, size_t n, cudaStream_t stream) const {
    return GAIA_CUDA_CALL(
        cudaMemcpyAsync(host, data_, n * sizeof(T), cudaMemcpyDeviceToHost, stream));
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }
  size_t bytes() const { return size_ * sizeof(T); }

 private:
  void Free() {
    if (data_ != nullptr) (void)cudaFree(data_);
    data_ = nullptr;
    size_ = 0;
  }

  T* data_ = nullptr;
  size_t size_ = 0;
};

// Page-locked host memory (cudaMallocHost): copies to and from the device run
// at full bus speed and overlap with host work on a stream. Used as the
// staging area for rows read from and pushed to the parameter server.
template <typename T>
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  PinnedBuffer(PinnedBuffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  PinnedBuffer& operator=(PinnedBuffer&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    return *this;
  }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  ~PinnedBuffer() { Free(); }

  // Frees what the buffer held and allocates n value-initialized elements
  // (none for n == 0, with no CUDA call).
  CudaResult Allocate(size_t n) {
    Free();
    if (n == 0) return CudaResult();
    void* p = nullptr;
    CudaResult r =
        CheckCuda(cudaMallocHost(&p, n * sizeof(T)), "cudaMallocHost", __FILE__, __LINE__);
    if (!r.ok()) {
      return CudaResult(r.code(), r.message() + " (" + std::to_string(n * sizeof(T)) +
                                      " bytes)");
    }
    data_ = static_cast<T*>(p);
    size_ = n;
    for (size_t i = 0; i < n; ++i) data_[i] = T{};
    return r;
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void Free() {
    if (data_ != nullptr) (void)cudaFreeHost(data_);
    data_ = nullptr;
    size_ = 0;
  }

  T* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace gaia::gpu

#endif  // GAIA_APPS_COMMON_GPU_BUFFERS_H_
