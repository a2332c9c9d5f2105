// The layers computed by apps/cnn/cuda/kernels.cu: normalization, ReLU,
// residual add, pooling.
#include "apps/cnn/cuda/cuda_layers.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "apps/cnn/cuda/cuda_status.h"
#include "apps/cnn/cuda/kernels.h"
#include "apps/cnn/layers/elementwise.h"

namespace gaia::cnn::gpu {

absl::StatusOr<Shape> GpuLayer::OutShape(std::span<const DeviceTensor* const> in) const {
  std::vector<Shape> shapes;
  for (const DeviceTensor* t : in) shapes.push_back(t->shape());
  absl::StatusOr<Shape> out = twin_->OutputShape(shapes);
  if (!out.ok()) {
    return absl::InternalError(
        absl::StrCat(std::string(twin_->kind()), ": ", out.status().message()));
  }
  return out;
}

namespace {

class GpuBatchNorm2d final : public GpuLayer {
 public:
  explicit GpuBatchNorm2d(const BatchNorm2dOptions& o)
      : GpuLayer(std::make_unique<BatchNorm2d>(o)), options_(o) {}

  void Bind(std::span<float* const> values, std::span<float* const> grads) override {
    args_.weight = values[0];
    args_.bias = values[1];
    args_.running_mean = values[2];
    args_.running_var = values[3];
    weight_grad_ = grads[0];
    bias_grad_ = grads[1];
  }

  absl::Status Forward(std::span<const DeviceTensor* const> in, DeviceTensor& out,
                       const GpuContext& ctx) override {
    const Shape& s = in[0]->shape();
    GAIA_CUDA_RETURN_IF_ERROR(out.Resize(s));
    GAIA_CUDA_RETURN_IF_ERROR(mean_.Reserve(options_.channels));
    GAIA_CUDA_RETURN_IF_ERROR(rstd_.Reserve(options_.channels));
    BatchNormArgs a = Args(s);
    if (!ctx.training) {
      return CudartStatus(BatchNormForwardEval(a, in[0]->data(), out.data(), ctx.stream),
                          "BatchNormForwardEval");
    }
    return CudartStatus(
        BatchNormForwardTraining(a, in[0]->data(), out.data(), ctx.update_stats, ctx.stream),
        "BatchNormForwardTraining");
  }

  absl::Status Backward(std::span<const DeviceTensor* const> in, const DeviceTensor&,
                        const DeviceTensor& dout, std::span<DeviceTensor* const> din,
                        const GpuContext& ctx) override {
    const Shape& s = in[0]->shape();
    float* dx = nullptr;
    if (!din.empty() && din[0] != nullptr) {
      GAIA_CUDA_RETURN_IF_ERROR(din[0]->Resize(s));
      dx = din[0]->data();
    }
    return CudartStatus(BatchNormBackward(Args(s), in[0]->data(), dout.data(), dx, weight_grad_,
                                          bias_grad_, ctx.stream),
                        "BatchNormBackward");
  }

 private:
  BatchNormArgs Args(const Shape& s) {
    BatchNormArgs a = args_;
    a.n = s.n;
    a.channels = options_.channels;
    a.plane = s.plane();
    a.eps = options_.eps;
    a.momentum = options_.momentum;
    a.mean = mean_.data();
    a.rstd = rstd_.data();
    return a;
  }

  const BatchNorm2dOptions options_;
  BatchNormArgs args_;  // the bound parameters
  float* weight_grad_ = nullptr;
  float* bias_grad_ = nullptr;
  DeviceArray<float> mean_;  // the last training forward's batch statistics
  DeviceArray<float> rstd_;
};

class GpuGroupNorm final : public GpuLayer {
 public:
  explicit GpuGroupNorm(const GroupNormOptions& o)
      : GpuLayer(std::make_unique<GroupNorm>(o)), options_(o) {}

  void Bind(std::span<float* const> values, std::span<float* const> grads) override {
    weight_ = values[0];
    bias_ = values[1];
    weight_grad_ = grads[0];
    bias_grad_ = grads[1];
  }

  absl::Status Forward(std::span<const DeviceTensor* const> in, DeviceTensor& out,
                       const GpuContext& ctx) override {
    const Shape& s = in[0]->shape();
    GAIA_CUDA_RETURN_IF_ERROR(out.Resize(s));
    GAIA_CUDA_RETURN_IF_ERROR(mean_.Reserve(static_cast<size_t>(s.n) * options_.groups));
    GAIA_CUDA_RETURN_IF_ERROR(rstd_.Reserve(static_cast<size_t>(s.n) * options_.groups));
    return CudartStatus(GroupNormForward(Args(s), in[0]->data(), out.data(), ctx.stream),
                        "GroupNormForward");
  }

  absl::Status Backward(std::span<const DeviceTensor* const> in, const DeviceTensor&,
                        const DeviceTensor& dout, std::span<DeviceTensor* const> din,
                        const GpuContext& ctx) override {
    const Shape& s = in[0]->shape();
    GAIA_CUDA_RETURN_IF_ERROR(sum_dy_.Reserve(static_cast<size_t>(s.n) * options_.channels));
    GAIA_CUDA_RETURN_IF_ERROR(sum_dy_xhat_.Reserve(static_cast<size_t>(s.n) * options_.channels));
    float* dx = nullptr;
    if (!din.empty() && din[0] != nullptr) {
      GAIA_CUDA_RETURN_IF_ERROR(din[0]->Resize(s));
      dx = din[0]->data();
    }
    return CudartStatus(GroupNormBackward(Args(s), in[0]->data(), dout.data(), dx, weight_grad_,
                                          bias_grad_, ctx.stream),
                        "GroupNormBackward");
  }

 private:
  GroupNormArgs Args(const Shape& s) {
    return {.n = s.n,
            .channels = options_.channels,
            .groups = options_.groups,
            .plane = s.plane(),
            .eps = options_.eps,
            .weight = weight_,
            .bias = bias_,
            .mean = mean_.data(),
            .rstd = rstd_.data(),
            .sum_dy = sum_dy_.data(),
            .sum_dy_xhat = sum_dy_xhat_.data()};
  }

  const GroupNormOptions options_;
  const float* weight_ = nullptr;
  const float* bias_ = nullptr;
  float* weight_grad_ = nullptr;
  float* bias_grad_ = nullptr;
  DeviceArray<float> mean_;  // per (sample, group), from the last forward
  DeviceArray<float> rstd_;
  DeviceArray<float> sum_dy_;  // backward scratch, per (sample, channel)
  DeviceArray<float> sum_dy_xhat_;
};

class GpuReLU final : public GpuLayer {
 public:
  GpuReLU() : GpuLayer(std::make_unique<ReLU>()) {}

  absl::Status Forward(std::span<const DeviceTensor* const> in, DeviceTensor& out,
                       const GpuContext& ctx) override {
    GAIA_CUDA_RETURN_IF_ERROR(out.Resize(in[0]->shape()));
    return CudartStatus(ReluForward(in[0]->data(), out.data(), out.size(), ctx.stream),
                        "ReluForward");
  }

  absl::Status Backward(std::span<const DeviceTensor* const> in, const DeviceTensor& out,
                        const DeviceTensor& dout, std::span<DeviceTensor* const> din,
                        const GpuContext& ctx) override {
    if (din.empty() || din[0] == nullptr) return absl::OkStatus();
    GAIA_CUDA_RETURN_IF_ERROR(din[0]->Resize(in[0]->shape()));
    return CudartStatus(
        ReluBackward(out.data(), dout.data(), din[0]->data(), out.size(), ctx.stream),
        "ReluBackward");
  }
};

class GpuAdd final : public GpuLayer {
 public:
  GpuAdd() : GpuLayer(std::make_unique<Add>()) {}

  absl::Status Forward(std::span<const DeviceTensor* const> in, DeviceTensor& out,
                       const GpuContext& ctx) override {
    absl::StatusOr<Shape> os = OutShape(in);
    if (!os.ok()) return os.status();
    GAIA_CUDA_RETURN_IF_ERROR(out.Resize(*os));
    return CudartStatus(
        AddForward(in[0]->data(), in[1]->data(), out.data(), out.size(), ctx.stream), "AddForward");
  }

  absl::Status Backward(std::span<const DeviceTensor* const> in, const DeviceTensor&,
                        const DeviceTensor& dout, std::span<DeviceTensor* const> din,
                        const GpuContext& ctx) override {
    for (size_t k = 0; k < din.size() && k < in.size(); ++k) {
      if (din[k] == nullptr) continue;
      GAIA_CUDA_RETURN_IF_ERROR(din[k]->Resize(in[k]->shape()));
      GAIA_CUDA_RETURN_IF_ERROR(
          CudartStatus(cudaMemcpyAsync(din[k]->data(), dout.data(), dout.size() * sizeof(float),
                                       cudaMemcpyDeviceToDevice, ctx.stream),
                       "cudaMemcpyAsync(Add gradient)"));
    }
    return absl::OkStatus();
  }
};

class GpuMaxPool2d final : public GpuLayer {
 public:
  explicit GpuMaxPool2d(const MaxPool2dOptions& o)
      : GpuLayer(std::make_unique<MaxPool2d>(o)), options_(o) {}

  absl::Status Forward(std::span<const DeviceTensor* const> in, DeviceTensor& out,
                       const GpuContext& ctx) override {
    absl::StatusOr<Shape> os = OutShape(in);
    if (!os.ok()) return os.status();
    GAIA_CUDA_RETURN_IF_ERROR(out.Resize(*os));
    GAIA_CUDA_RETURN_IF_ERROR(argmax_.Reserve(os->size()));
    return CudartStatus(MaxPoolForward(Geometry(in[0]->shape(), *os), in[0]->data(), out.data(),
                                       argmax_.data(), ctx.stream),
                        "MaxPoolForward");
  }

  absl::Status Backward(std::span<const DeviceTensor* const> in, const DeviceTensor& out,
                        const DeviceTensor& dout, std::span<DeviceTensor* const> din,
                        const GpuContext& ctx) override {
    if (din.empty() || din[0] == nullptr) return absl::OkStatus();
    GAIA_CUDA_RETURN_IF_ERROR(din[0]->Resize(in[0]->shape()));
    return CudartStatus(MaxPoolBackward(Geometry(in[0]->shape(), out.shape()), dout.data(),
                                        argmax_.data(), din[0]->data(), ctx.stream),
                        "MaxPoolBackward");
  }

 private:
  PoolGeometry Geometry(const Shape& is, const Shape& os) const {
    return {.planes = os.n * os.c,
            .in_h = is.h,
            .in_w = is.w,
            .out_h = os.h,
            .out_w = os.w,
            .kernel = options_.kernel,
            .stride = options_.stride};
  }

  const MaxPool2dOptions options_;
  DeviceArray<int32_t> argmax_;  // per output, from the last forward
};

class GpuGlobalAvgPool final : public GpuLayer {
 public:
  GpuGlobalAvgPool() : GpuLayer(std::make_unique<GlobalAvgPool>()) {}

  absl::Status Forward(std::span<const DeviceTensor* const> in, DeviceTensor& out,
                       const GpuContext& ctx) override {
    const Shape& s = in[0]->shape();
    GAIA_CUDA_RETURN_IF_ERROR(out.Resize({s.n, s.c, 1, 1}));
    return CudartStatus(
        GlobalAvgPoolForward(in[0]->data(), out.data(), s.n * s.c, s.plane(), ctx.stream),
        "GlobalAvgPoolForward");
  }

  absl::Status Backward(std::span<const DeviceTensor* const> in, const DeviceTensor&,
                        const DeviceTensor& dout, std::span<DeviceTensor* const> din,
                        const GpuContext& ctx) override {
    if (din.empty() || din[0] == nullptr) return absl::OkStatus();
    const Shape& s = in[0]->shape();
    GAIA_CUDA_RETURN_IF_ERROR(din[0]->Resize(s));
    return CudartStatus(
        GlobalAvgPoolBackward(dout.data(), din[0]->data(), s.n * s.c, s.plane(), ctx.stream),
        "GlobalAvgPoolBackward");
  }
};

}  // namespace

std::unique_ptr<GpuLayer> MakeGpuBatchNorm2d(const BatchNorm2dOptions& options) {
  return std::make_unique<GpuBatchNorm2d>(options);
}
std::unique_ptr<GpuLayer> MakeGpuGroupNorm(const GroupNormOptions& options) {
  return std::make_unique<GpuGroupNorm>(options);
}
std::unique_ptr<GpuLayer> MakeGpuReLU() { return std::make_unique<GpuReLU>(); }
std::unique_ptr<GpuLayer> MakeGpuAdd() { return std::make_unique<GpuAdd>(); }
std::unique_ptr<GpuLayer> MakeGpuMaxPool2d(const MaxPool2dOptions& options) {
  return std::make_unique<GpuMaxPool2d>(options);
}
std::unique_ptr<GpuLayer> MakeGpuGlobalAvgPool() { return std::make_unique<GpuGlobalAvgPool>(); }

}  // namespace gaia::cnn::gpu
