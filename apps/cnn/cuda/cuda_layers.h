// The layers of apps/cnn on the GPU: each wraps the CPU layer with the same
// options (its "twin": apps/cnn/layers/*.h), which supplies the output shapes
// and the parameter blocks (names, sizes, order), so the two paths cannot
// disagree on either; the GPU class only computes. Internal to apps/cnn/cuda.
//
//   GpuContext ctx{.stream = s, .cudnn = dnn, .cublas = blas, .workspace = &ws};
//   auto conv = MakeGpuConv2d({.in_channels = 1, .out_channels = 16, .kernel = 5, .pad = 2});
//   conv->Bind(values, grads);     // device pointers, one per twin().ParamSpecs() entry
//   RETURN_IF_ERROR(conv->Forward({&x}, y, ctx));
//   RETURN_IF_ERROR(conv->Backward({&x}, y, dy, {&dx}, ctx));
//
// Every call only enqueues work on ctx.stream (plus host-side descriptor and
// algorithm set-up); nothing here synchronizes except buffer growth. Not
// thread-safe: one thread drives a layer.
#ifndef GAIA_APPS_CNN_CUDA_CUDA_LAYERS_H_
#define GAIA_APPS_CNN_CUDA_CUDA_LAYERS_H_

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <memory>
#include <span>
#include <utility>

#include "absl/status/status.h"
#include "apps/cnn/cuda/device_memory.h"
#include "apps/cnn/layers/conv2d.h"
#include "apps/cnn/layers/layer.h"
#include "apps/cnn/layers/linear.h"
#include "apps/cnn/layers/norm.h"
#include "apps/cnn/layers/pool.h"
#include "apps/cnn/tensor.h"

namespace gaia::cnn::gpu {

// A float NCHW tensor in device memory; its buffer only grows.
class DeviceTensor {
 public:
  absl::Status Resize(Shape shape) {
    shape_ = shape;
    return buffer_.Reserve(shape.size());
  }
  const Shape& shape() const { return shape_; }
  size_t size() const { return shape_.size(); }
  float* data() { return buffer_.data(); }
  const float* data() const { return buffer_.data(); }

 private:
  Shape shape_;
  DeviceArray<float> buffer_;
};

// cuDNN/cuBLAS scratch shared by all layers of a network.
struct Workspace {
  DeviceArray<char> bytes;
};

struct GpuContext {
  cudaStream_t stream = nullptr;
  cudnnHandle_t cudnn = nullptr;    // bound to stream
  cublasHandle_t cublas = nullptr;  // bound to stream
  Workspace* workspace = nullptr;
  bool training = true;      // as RunContext::training
  bool update_stats = true;  // as RunContext::update_stats
};

class GpuLayer {
 public:
  explicit GpuLayer(std::unique_ptr<Layer> twin) : twin_(std::move(twin)) {}
  virtual ~GpuLayer() = default;

  // The CPU layer with this layer's options; used for shapes and parameter
  // specs only, never run.
  const Layer& twin() const { return *twin_; }

  // values[i] / grads[i]: device pointers for twin().ParamSpecs()[i]; grads[i]
  // is null for a non-trainable block.
  virtual void Bind(std::span<float* const> values, std::span<float* const> grads) {
    (void)values;
    (void)grads;
  }

  // As Layer::Forward / Layer::Backward, on device tensors. Resizes out and
  // each non-null din[i].
  virtual absl::Status Forward(std::span<const DeviceTensor* const> in, DeviceTensor& out,
                               const GpuContext& ctx) = 0;
  virtual absl::Status Backward(std::span<const DeviceTensor* const> in, const DeviceTensor& out,
                                const DeviceTensor& dout, std::span<DeviceTensor* const> din,
                                const GpuContext& ctx) = 0;

 protected:
  // twin().OutputShape for these inputs (Internal if the twin refuses them:
  // the network was checked when built).
  absl::StatusOr<Shape> OutShape(std::span<const DeviceTensor* const> in) const;

 private:
  std::unique_ptr<Layer> twin_;
};

// cuDNN convolution (FMA math, no TF32) with algorithms from the
// cudnnGet*_v7 heuristics per batch size, preferring deterministic ones.
std::unique_ptr<GpuLayer> MakeGpuConv2d(const Conv2dOptions& options);
// cuBLAS SGEMM.
std::unique_ptr<GpuLayer> MakeGpuLinear(const LinearOptions& options);
std::unique_ptr<GpuLayer> MakeGpuBatchNorm2d(const BatchNorm2dOptions& options);
std::unique_ptr<GpuLayer> MakeGpuGroupNorm(const GroupNormOptions& options);
std::unique_ptr<GpuLayer> MakeGpuReLU();
std::unique_ptr<GpuLayer> MakeGpuAdd();
std::unique_ptr<GpuLayer> MakeGpuMaxPool2d(const MaxPool2dOptions& options);
std::unique_ptr<GpuLayer> MakeGpuGlobalAvgPool();

}  // namespace gaia::cnn::gpu

#endif  // GAIA_APPS_CNN_CUDA_CUDA_LAYERS_H_
