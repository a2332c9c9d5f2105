// NcclCollective: host vectors through a device staging buffer.
#include <cuda_runtime_api.h>

#include "absl/strings/str_cat.h"
#include "apps/cnn/nccl_collective.h"
#include "apps/cnn/nccl_status.h"

namespace gaia::cnn {

using internal::CudaStatus;

absl::StatusOr<std::unique_ptr<NcclCollective>> NcclCollective::Create(
    const CollectiveOptions& options) {
  absl::StatusOr<std::unique_ptr<DeviceCollective>> device = DeviceCollective::Create(options);
  if (!device.ok()) return device.status();
  std::unique_ptr<NcclCollective> c(new NcclCollective(*std::move(device)));
  absl::Status s = CudaStatus(cudaSetDevice(c->device_->device()), "cudaSetDevice");
  if (s.ok()) {
    s = CudaStatus(cudaStreamCreateWithFlags(&c->stream_, cudaStreamNonBlocking),
                   "cudaStreamCreateWithFlags");
  }
  if (!s.ok()) return s;
  return c;
}

NcclCollective::NcclCollective(std::unique_ptr<DeviceCollective> device)
    : device_(std::move(device)) {}

NcclCollective::~NcclCollective() { Close().IgnoreError(); }

absl::Status NcclCollective::Close() {
  absl::Status s = device_->Close();
  cudaSetDevice(device_->device());
  if (buffer_ != nullptr) cudaFree(buffer_);
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
  buffer_ = nullptr;
  capacity_ = 0;
  stream_ = nullptr;
  return s;
}

absl::Status NcclCollective::Stage(std::span<const float> data) {
  if (stream_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("collective rank ", rank(), " (nccl): used after Close"));
  }
  if (absl::Status s = CudaStatus(cudaSetDevice(device_->device()), "cudaSetDevice"); !s.ok()) {
    return s;
  }
  if (data.size() > capacity_) {
    if (buffer_ != nullptr) cudaFree(buffer_);
    buffer_ = nullptr;
    capacity_ = 0;
    if (absl::Status s = CudaStatus(
            cudaMalloc(reinterpret_cast<void**>(&buffer_), data.size() * sizeof(float)),
            "cudaMalloc");
        !s.ok()) {
      return s;
    }
    capacity_ = data.size();
  }
  if (data.empty()) return absl::OkStatus();
  return CudaStatus(cudaMemcpyAsync(buffer_, data.data(), data.size_bytes(),
                                    cudaMemcpyHostToDevice, stream_),
                    "cudaMemcpyAsync (to device)");
}

absl::Status NcclCollective::AllReduceSum(std::span<float> data) {
  absl::Status s = Stage(data);
  if (s.ok()) s = device_->AllReduceSum(buffer_, data.size(), stream_);
  if (s.ok() && !data.empty()) {
    s = CudaStatus(cudaMemcpyAsync(data.data(), buffer_, data.size_bytes(),
                                   cudaMemcpyDeviceToHost, stream_),
                   "cudaMemcpyAsync (to host)");
  }
  if (s.ok()) s = CudaStatus(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
  return s;
}

absl::Status NcclCollective::ReduceScatterSum(std::span<float> data, SliceRange* mine) {
  if (mine == nullptr) return device_->ReduceScatterSum(nullptr, 0, stream_, mine);
  absl::Status s = Stage(data);
  if (s.ok()) s = device_->ReduceScatterSum(buffer_, data.size(), stream_, mine);
  if (s.ok() && mine->size() > 0) {
    s = CudaStatus(cudaMemcpyAsync(data.data() + mine->begin, buffer_ + mine->begin,
                                   mine->size() * sizeof(float), cudaMemcpyDeviceToHost, stream_),
                   "cudaMemcpyAsync (to host)");
  }
  if (s.ok()) s = CudaStatus(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
  return s;
}

}  // namespace gaia::cnn
