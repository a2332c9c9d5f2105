#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "apps/common/gpu/buffers.h"
#include "apps/common/gpu/cuda_result.h"
#include "apps/common/gpu/device.h"
#include "apps/common/gpu/status.h"
#include "apps/common/gpu/stream.h"

namespace gaia::gpu {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// The reason there is no GPU here, or empty when there is one.
std::string NoGpuReason() {
  int count = 0;
  CudaResult r = CountDevices(&count);
  return r.ok() ? std::string() : r.message();
}

TEST(CudaResult, SuccessHasNoMessage) {
  CudaResult r = CheckCuda(cudaSuccess, "cudaFree(p)", "a/b/c.cc", 7);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.code(), cudaSuccess);
  EXPECT_EQ(r.message(), "");
}

TEST(CudaResult, ErrorNamesFileLineCallAndTheRuntimesText) {
  CudaResult r = CheckCuda(cudaErrorMemoryAllocation, "cudaMalloc(&p, n)",
                           "/home/someone/gaia/apps/common/gpu/rows.cc", 42);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.code(), cudaErrorMemoryAllocation);
  EXPECT_EQ(r.message(), std::string("gpu/rows.cc:42: cudaMalloc(&p, n): "
                                     "cudaErrorMemoryAllocation: ") +
                             cudaGetErrorString(cudaErrorMemoryAllocation));
}

TEST(CudaResult, MacroRecordsThisFileAndTheCallText) {
  CudaResult r = GAIA_CUDA_CALL(cudaErrorLaunchFailure);
  EXPECT_THAT(r.message(), StartsWith("gpu/gpu_layer_test.cc:"));
  EXPECT_THAT(r.message(), HasSubstr(": cudaErrorLaunchFailure: cudaErrorLaunchFailure: "));
}

TEST(CudaResult, NoDeviceCodesAreToldApartFromFailuresOnADevice) {
  EXPECT_TRUE(IsNoDeviceError(cudaErrorNoDevice));
  EXPECT_TRUE(IsNoDeviceError(cudaErrorInsufficientDriver));
  EXPECT_TRUE(IsNoDeviceError(cudaErrorInvalidDevice));
  EXPECT_FALSE(IsNoDeviceError(cudaErrorMemoryAllocation));
  EXPECT_FALSE(IsNoDeviceError(cudaErrorLaunchFailure));
}

TEST(GpuStatus, MapsCodesToStatusCodesKeepingTheMessage) {
  EXPECT_TRUE(ToStatus(CudaResult()).ok());
  absl::Status none = ToStatus(CudaResult(cudaErrorNoDevice, "no GPU here"));
  EXPECT_EQ(none.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(none.message(), "no GPU here");
  EXPECT_EQ(ToStatus(CudaResult(cudaErrorMemoryAllocation, "m")).code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ToStatus(CudaResult(cudaErrorIllegalAddress, "m")).code(),
            absl::StatusCode::kInternal);
}

absl::Status ReturnsThroughTheMacro(cudaError_t code) {
  GAIA_GPU_RETURN_IF_ERROR(GAIA_CUDA_CALL(code));
  return absl::OkStatus();
}

TEST(GpuStatus, ReturnIfErrorMacroReturnsOnlyFailures) {
  EXPECT_TRUE(ReturnsThroughTheMacro(cudaSuccess).ok());
  EXPECT_EQ(ReturnsThroughTheMacro(cudaErrorMemoryAllocation).code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(Device, OpenDeviceSaysWhyWhenThereIsNoGpuAndDescribesOneWhenThereIs) {
  const std::string no_gpu = NoGpuReason();
  absl::StatusOr<DeviceInfo> info = OpenDevice(0);
  if (!no_gpu.empty()) {
    ASSERT_FALSE(info.ok());
    EXPECT_EQ(info.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(info.status().message()), StartsWith("no usable CUDA GPU: "));
    return;
  }
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->ordinal, 0);
  EXPECT_FALSE(info->name.empty());
  EXPECT_GT(info->multiprocessors, 0);
  EXPECT_GT(info->global_memory_bytes, 0u);
  EXPECT_THAT(Describe(*info), StartsWith("GPU 0: " + info->name + " (sm_"));
}

TEST(Device, AnOrdinalPastTheLastGpuIsAnErrorNotACrash) {
  absl::StatusOr<DeviceInfo> info = OpenDevice(1 << 20);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), absl::StatusCode::kFailedPrecondition);
  if (NoGpuReason().empty()) {
    EXPECT_THAT(std::string(info.status().message()), HasSubstr("CUDA GPU(s) are visible"));
  }
  EXPECT_FALSE(OpenDevice(-1).ok());
}

TEST(Buffers, EmptyBuffersNeedNoDevice) {
  DeviceBuffer<float> device;
  EXPECT_TRUE(device.Allocate(0).ok());
  EXPECT_EQ(device.size(), 0u);
  EXPECT_EQ(device.data(), nullptr);
  PinnedBuffer<float> pinned;
  EXPECT_TRUE(pinned.Allocate(0).ok());
  EXPECT_EQ(pinned.size(), 0u);
}

TEST(Buffers, RoundTripThroughTheDeviceOnAStreamIsExact) {
  if (std::string why = NoGpuReason(); !why.empty()) {
    GTEST_SKIP() << "needs a CUDA GPU; " << why;
  }
  ASSERT_TRUE(OpenDevice(0).ok());
  constexpr size_t kN = 1 << 16;
  PinnedBuffer<float> in, out;
  ASSERT_TRUE(in.Allocate(kN).ok());
  ASSERT_TRUE(out.Allocate(kN).ok());
  for (size_t i = 0; i < kN; ++i) in.data()[i] = static_cast<float>(i) * 0.5f - 3.0f;
  DeviceBuffer<float> device;
  ASSERT_TRUE(device.Allocate(kN).ok());
  EXPECT_EQ(device.bytes(), kN * sizeof(float));
  Stream stream;
  ASSERT_TRUE(stream.Create().ok());
  EventTimer timer;
  ASSERT_TRUE(timer.Create().ok());
  ASSERT_TRUE(timer.Start(stream.get()).ok());
  ASSERT_TRUE(device.CopyFromHostAsync(in.data(), kN, stream.get()).ok());
  ASSERT_TRUE(device.CopyToHostAsync(out.data(), kN, stream.get()).ok());
  ASSERT_TRUE(timer.Stop(stream.get()).ok());
  ASSERT_TRUE(stream.Synchronize().ok());
  for (size_t i = 0; i < kN; ++i) ASSERT_EQ(out.data()[i], in.data()[i]) << i;
  float ms = -1;
  ASSERT_TRUE(timer.ElapsedMs(&ms).ok());
  EXPECT_GE(ms, 0.0f);
}

TEST(Buffers, AnImpossibleAllocationIsResourceExhaustedWithTheSize) {
  if (std::string why = NoGpuReason(); !why.empty()) {
    GTEST_SKIP() << "needs a CUDA GPU; " << why;
  }
  ASSERT_TRUE(OpenDevice(0).ok());
  DeviceBuffer<char> huge;
  CudaResult r = huge.Allocate(size_t{1} << 50);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ToStatus(r).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(r.message(), HasSubstr(std::to_string(size_t{1} << 50) + " bytes"));
}

}  // namespace
}  // namespace gaia::gpu
