// Owning handles for device memory, pinned host memory, and the cuDNN/cuBLAS
// handles and descriptors apps/cnn/cuda uses. Internal to apps/cnn/cuda.
//
//   DeviceArray<float> a;
//   RETURN_IF_ERROR(a.Reserve(n));     // grows only; contents unspecified after growth
//   kernel<<<...>>>(a.data(), n);
//
// Every type is move-only and frees what it owns in its destructor (errors
// there are ignored: nothing useful can be done with them). Not thread-safe.
#ifndef GAIA_APPS_CNN_CUDA_DEVICE_MEMORY_H_
#define GAIA_APPS_CNN_CUDA_DEVICE_MEMORY_H_

#include <cuda_runtime_api.h>

#include <cstddef>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "apps/cnn/cuda/cuda_status.h"

namespace gaia::cnn::gpu {

// Device memory for at least size() elements of T.
template <typename T>
class DeviceArray {
 public:
  DeviceArray() = default;
  DeviceArray(DeviceArray&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), capacity_(std::exchange(o.capacity_, 0)) {}
  DeviceArray& operator=(DeviceArray&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(capacity_, o.capacity_);
    return *this;
  }
  ~DeviceArray() {
    if (data_ != nullptr) cudaFree(data_);
  }

  // Makes room for n elements. Growth waits for the device (queued work may
  // still use the old buffer), frees the old buffer and drops its contents;
  // it happens in the first steps and when a larger batch comes.
  absl::Status Reserve(size_t n) {
    if (n <= capacity_) return absl::OkStatus();
    if (data_ != nullptr) {
      GAIA_CUDA_RETURN_IF_ERROR(CudartStatus(cudaDeviceSynchronize(), "cudaDeviceSynchronize"));
      GAIA_CUDA_RETURN_IF_ERROR(CudartStatus(cudaFree(data_), "cudaFree"));
      data_ = nullptr;
      capacity_ = 0;
    }
    void* p = nullptr;
    GAIA_CUDA_RETURN_IF_ERROR(CudartStatus(cudaMalloc(&p, n * sizeof(T)),
                                           absl::StrCat("cudaMalloc(", n * sizeof(T), " bytes)")));
    data_ = static_cast<T*>(p);
    capacity_ = n;
    return absl::OkStatus();
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t capacity() const { return capacity_; }

 private:
  T* data_ = nullptr;
  size_t capacity_ = 0;
};

// Page-locked host memory (cudaMallocHost), so copies to and from the device
// run at full bus speed and asynchronously on a stream.
template <typename T>
class PinnedArray {
 public:
  PinnedArray() = default;
  PinnedArray(PinnedArray&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  PinnedArray& operator=(PinnedArray&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    return *this;
  }
  ~PinnedArray() {
    if (data_ != nullptr) cudaFreeHost(data_);
  }

  // REQUIRES: not yet allocated. Zero-filled.
  absl::Status Allocate(size_t n) {
    void* p = nullptr;
    GAIA_CUDA_RETURN_IF_ERROR(
        CudartStatus(cudaMallocHost(&p, n * sizeof(T)),
                     absl::StrCat("cudaMallocHost(", n * sizeof(T), " bytes)")));
    data_ = static_cast<T*>(p);
    size_ = n;
    for (size_t i = 0; i < n; ++i) data_[i] = T{};
    return absl::OkStatus();
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
};

// A cuDNN or cuBLAS handle/descriptor destroyed by `Destroy` (a function
// returning a status code, ignored).
template <typename H, auto Destroy>
class Handle {
 public:
  Handle() = default;
  explicit Handle(H h) : h_(h) {}
  Handle(Handle&& o) noexcept : h_(std::exchange(o.h_, H{})) {}
  Handle& operator=(Handle&& o) noexcept {
    std::swap(h_, o.h_);
    return *this;
  }
  ~Handle() {
    if (h_ != H{}) Destroy(h_);
  }
  H get() const { return h_; }
  H* out() { return &h_; }  // for the Create call; REQUIRES: empty

 private:
  H h_{};
};

}  // namespace gaia::cnn::gpu

#endif  // GAIA_APPS_CNN_CUDA_DEVICE_MEMORY_H_
