// The GEMM-shaped layers: Conv2d on cuDNN, Linear on cuBLAS.
#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "apps/cnn/cuda/cuda_layers.h"
#include "apps/cnn/cuda/cuda_status.h"
#include "apps/cnn/cuda/kernels.h"

namespace gaia::cnn::gpu {
namespace {

using TensorDesc = Handle<cudnnTensorDescriptor_t, cudnnDestroyTensorDescriptor>;
using FilterDesc = Handle<cudnnFilterDescriptor_t, cudnnDestroyFilterDescriptor>;
using ConvDesc = Handle<cudnnConvolutionDescriptor_t, cudnnDestroyConvolutionDescriptor>;

// Algorithms needing more scratch than this are passed over.
constexpr size_t kMaxWorkspaceBytes = size_t{512} << 20;

absl::Status SetTensor(const TensorDesc& d, const Shape& s) {
  return CudnnStatus(
      cudnnSetTensor4dDescriptor(d.get(), CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, s.n, s.c, s.h, s.w),
      "cudnnSetTensor4dDescriptor");
}

absl::Status NewTensor(const Shape& s, TensorDesc* d) {
  GAIA_CUDA_RETURN_IF_ERROR(
      CudnnStatus(cudnnCreateTensorDescriptor(d->out()), "cudnnCreateTensorDescriptor"));
  return SetTensor(*d, s);
}

// FMA math excludes tensor-core (TF32) kernels, keeping float32 accuracy:
// the CPU comparison's tolerances (docs/APP_CNN_GPU.md) assume it.
bool FmaMath(cudnnMathType_t m) { return m == CUDNN_FMA_MATH || m == CUDNN_DEFAULT_MATH; }

// The heuristics' ranking, first a deterministic usable entry, then any
// usable one; `fallback` when none is.
template <typename Perf, typename Algo>
Algo Pick(const Perf* perf, int count, Algo fallback) {
  for (bool need_deterministic : {true, false}) {
    for (int i = 0; i < count; ++i) {
      const Perf& p = perf[i];
      if (p.status != CUDNN_STATUS_SUCCESS || !FmaMath(p.mathType)) continue;
      if (p.memory > kMaxWorkspaceBytes) continue;
      if (need_deterministic && p.determinism != CUDNN_DETERMINISTIC) continue;
      return p.algo;
    }
  }
  return fallback;
}

class GpuConv2d final : public GpuLayer {
 public:
  explicit GpuConv2d(const Conv2dOptions& o) : GpuLayer(std::make_unique<Conv2d>(o)), options_(o) {}

  void Bind(std::span<float* const> values, std::span<float* const> grads) override {
    weight_ = values[0];
    weight_grad_ = grads[0];
    if (options_.bias) {
      bias_ = values[1];
      bias_grad_ = grads[1];
    }
  }

  absl::Status Forward(std::span<const DeviceTensor* const> in, DeviceTensor& out,
                       const GpuContext& ctx) override {
    absl::StatusOr<Shape> os = OutShape(in);
    if (!os.ok()) return os.status();
    GAIA_CUDA_RETURN_IF_ERROR(out.Resize(*os));
    absl::StatusOr<const Plan*> plan = PlanFor(in[0]->shape(), *os, ctx);
    if (!plan.ok()) return plan.status();
    const Plan& p = **plan;
    GAIA_CUDA_RETURN_IF_ERROR(ctx.workspace->bytes.Reserve(p.fwd_bytes));
    const float one = 1.0f;
    const float zero = 0.0f;
    GAIA_CUDA_RETURN_IF_ERROR(CudnnStatus(
        cudnnConvolutionForward(ctx.cudnn, &one, p.x.get(), in[0]->data(), filter_.get(), weight_,
                                conv_.get(), p.fwd, ctx.workspace->bytes.data(), p.fwd_bytes, &zero,
                                p.y.get(), out.data()),
        "cudnnConvolutionForward"));
    if (bias_ == nullptr) return absl::OkStatus();
    return CudartStatus(AddChannelBias(out.data(), bias_, os->n, os->c, os->plane(), ctx.stream),
                        "AddChannelBias");
  }

  absl::Status Backward(std::span<const DeviceTensor* const> in, const DeviceTensor& out,
                        const DeviceTensor& dout, std::span<DeviceTensor* const> din,
                        const GpuContext& ctx) override {
    const Shape& xs = in[0]->shape();
    const Shape& ys = out.shape();
    absl::StatusOr<const Plan*> plan = PlanFor(xs, ys, ctx);
    if (!plan.ok()) return plan.status();
    const Plan& p = **plan;
    const float one = 1.0f;
    const float zero = 0.0f;
    GAIA_CUDA_RETURN_IF_ERROR(ctx.workspace->bytes.Reserve(p.filter_bytes));
    GAIA_CUDA_RETURN_IF_ERROR(
        CudnnStatus(cudnnConvolutionBackwardFilter(ctx.cudnn, &one, p.x.get(), in[0]->data(),
                                                   p.y.get(), dout.data(), conv_.get(), p.filter,
                                                   ctx.workspace->bytes.data(), p.filter_bytes,
                                                   &zero, filter_.get(), weight_grad_),
                    "cudnnConvolutionBackwardFilter"));
    if (bias_ != nullptr) {
      GAIA_CUDA_RETURN_IF_ERROR(CudartStatus(
          ChannelSum(dout.data(), bias_grad_, ys.n, ys.c, ys.plane(), ctx.stream), "ChannelSum"));
    }
    if (din.empty() || din[0] == nullptr) return absl::OkStatus();
    GAIA_CUDA_RETURN_IF_ERROR(din[0]->Resize(xs));
    GAIA_CUDA_RETURN_IF_ERROR(ctx.workspace->bytes.Reserve(p.data_bytes));
    return CudnnStatus(
        cudnnConvolutionBackwardData(ctx.cudnn, &one, filter_.get(), weight_, p.y.get(),
                                     dout.data(), conv_.get(), p.data, ctx.workspace->bytes.data(),
                                     p.data_bytes, &zero, p.x.get(), din[0]->data()),
        "cudnnConvolutionBackwardData");
  }

 private:
  // Descriptors and algorithms for one batch size.
  struct Plan {
    TensorDesc x;
    TensorDesc y;
    cudnnConvolutionFwdAlgo_t fwd = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
    cudnnConvolutionBwdDataAlgo_t data = CUDNN_CONVOLUTION_BWD_DATA_ALGO_1;
    cudnnConvolutionBwdFilterAlgo_t filter = CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1;
    size_t fwd_bytes = 0;
    size_t data_bytes = 0;
    size_t filter_bytes = 0;
  };

  absl::Status InitDescriptors();
  absl::Status ChooseAlgorithms(const GpuContext& ctx, Plan& p);
  absl::StatusOr<const Plan*> PlanFor(const Shape& xs, const Shape& ys, const GpuContext& ctx);

  const Conv2dOptions options_;
  float* weight_ = nullptr;
  float* bias_ = nullptr;
  float* weight_grad_ = nullptr;
  float* bias_grad_ = nullptr;
  FilterDesc filter_;
  ConvDesc conv_;
  std::map<int, Plan> plans_;  // by batch size: training and evaluation batches differ
};

absl::Status GpuConv2d::InitDescriptors() {
  const Conv2dOptions& o = options_;
  GAIA_CUDA_RETURN_IF_ERROR(
      CudnnStatus(cudnnCreateFilterDescriptor(filter_.out()), "cudnnCreateFilterDescriptor"));
  GAIA_CUDA_RETURN_IF_ERROR(
      CudnnStatus(cudnnSetFilter4dDescriptor(filter_.get(), CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW,
                                             o.out_channels, o.in_channels, o.kernel, o.kernel),
                  "cudnnSetFilter4dDescriptor"));
  GAIA_CUDA_RETURN_IF_ERROR(CudnnStatus(cudnnCreateConvolutionDescriptor(conv_.out()),
                                        "cudnnCreateConvolutionDescriptor"));
  // Cross-correlation: the CPU layer's im2col does not flip the kernel.
  GAIA_CUDA_RETURN_IF_ERROR(
      CudnnStatus(cudnnSetConvolution2dDescriptor(conv_.get(), o.pad, o.pad, o.stride, o.stride, 1,
                                                  1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
                  "cudnnSetConvolution2dDescriptor"));
  return CudnnStatus(cudnnSetConvolutionMathType(conv_.get(), CUDNN_FMA_MATH),
                     "cudnnSetConvolutionMathType");
}

absl::Status GpuConv2d::ChooseAlgorithms(const GpuContext& ctx, Plan& p) {
  int count = 0;
  cudnnConvolutionFwdAlgoPerf_t fwd[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  GAIA_CUDA_RETURN_IF_ERROR(CudnnStatus(
      cudnnGetConvolutionForwardAlgorithm_v7(ctx.cudnn, p.x.get(), filter_.get(), conv_.get(),
                                             p.y.get(), CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count,
                                             fwd),
      "cudnnGetConvolutionForwardAlgorithm_v7"));
  p.fwd = Pick(fwd, count, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM);
  cudnnConvolutionBwdDataAlgoPerf_t data[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
  GAIA_CUDA_RETURN_IF_ERROR(CudnnStatus(
      cudnnGetConvolutionBackwardDataAlgorithm_v7(ctx.cudnn, filter_.get(), p.y.get(), conv_.get(),
                                                  p.x.get(), CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT,
                                                  &count, data),
      "cudnnGetConvolutionBackwardDataAlgorithm_v7"));
  p.data = Pick(data, count, CUDNN_CONVOLUTION_BWD_DATA_ALGO_1);
  cudnnConvolutionBwdFilterAlgoPerf_t filter[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
  GAIA_CUDA_RETURN_IF_ERROR(
      CudnnStatus(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
                      ctx.cudnn, p.x.get(), p.y.get(), conv_.get(), filter_.get(),
                      CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &count, filter),
                  "cudnnGetConvolutionBackwardFilterAlgorithm_v7"));
  p.filter = Pick(filter, count, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1);
  // The exact scratch of the chosen algorithms (the heuristics' figure is an estimate).
  GAIA_CUDA_RETURN_IF_ERROR(CudnnStatus(
      cudnnGetConvolutionForwardWorkspaceSize(ctx.cudnn, p.x.get(), filter_.get(), conv_.get(),
                                              p.y.get(), p.fwd, &p.fwd_bytes),
      absl::StrCat("cudnnGetConvolutionForwardWorkspaceSize(algo ", p.fwd, ")")));
  GAIA_CUDA_RETURN_IF_ERROR(CudnnStatus(
      cudnnGetConvolutionBackwardDataWorkspaceSize(ctx.cudnn, filter_.get(), p.y.get(), conv_.get(),
                                                   p.x.get(), p.data, &p.data_bytes),
      absl::StrCat("cudnnGetConvolutionBackwardDataWorkspaceSize(algo ", p.data, ")")));
  return CudnnStatus(
      cudnnGetConvolutionBackwardFilterWorkspaceSize(ctx.cudnn, p.x.get(), p.y.get(), conv_.get(),
                                                     filter_.get(), p.filter, &p.filter_bytes),
      absl::StrCat("cudnnGetConvolutionBackwardFilterWorkspaceSize(algo ", p.filter, ")"));
}

absl::StatusOr<const GpuConv2d::Plan*> GpuConv2d::PlanFor(const Shape& xs, const Shape& ys,
                                                          const GpuContext& ctx) {
  if (auto it = plans_.find(xs.n); it != plans_.end()) return &it->second;
  if (filter_.get() == nullptr) GAIA_CUDA_RETURN_IF_ERROR(InitDescriptors());
  Plan p;
  GAIA_CUDA_RETURN_IF_ERROR(NewTensor(xs, &p.x));
  GAIA_CUDA_RETURN_IF_ERROR(NewTensor(ys, &p.y));
  // cuDNN must agree with the CPU layer on the output shape.
  int n = 0, c = 0, h = 0, w = 0;
  GAIA_CUDA_RETURN_IF_ERROR(CudnnStatus(
      cudnnGetConvolution2dForwardOutputDim(conv_.get(), p.x.get(), filter_.get(), &n, &c, &h, &w),
      "cudnnGetConvolution2dForwardOutputDim"));
  if (Shape{n, c, h, w} != ys) {
    return absl::InternalError(absl::StrCat("Conv2d: cuDNN's output ", n, "x", c, "x", h, "x", w,
                                            " differs from the CPU layer's ", ys.n, "x", ys.c, "x",
                                            ys.h, "x", ys.w));
  }
  GAIA_CUDA_RETURN_IF_ERROR(ChooseAlgorithms(ctx, p));
  return &plans_.emplace(xs.n, std::move(p)).first->second;
}

// y (n x out, row-major) = x (n x in) W^T + b with W (out x in) row-major,
// i.e. in cuBLAS's column-major terms y^T = op_T(W') x^T where W' is W^T.
class GpuLinear final : public GpuLayer {
 public:
  explicit GpuLinear(const LinearOptions& o) : GpuLayer(std::make_unique<Linear>(o)), options_(o) {}

  void Bind(std::span<float* const> values, std::span<float* const> grads) override {
    weight_ = values[0];
    weight_grad_ = grads[0];
    if (options_.bias) {
      bias_ = values[1];
      bias_grad_ = grads[1];
    }
  }

  absl::Status Forward(std::span<const DeviceTensor* const> in, DeviceTensor& out,
                       const GpuContext& ctx) override {
    absl::StatusOr<Shape> os = OutShape(in);
    if (!os.ok()) return os.status();
    GAIA_CUDA_RETURN_IF_ERROR(out.Resize(*os));
    const int n = os->n;
    const int fin = options_.in_features;
    const int fout = options_.out_features;
    const float one = 1.0f;
    const float zero = 0.0f;
    GAIA_CUDA_RETURN_IF_ERROR(
        CublasStatus(cublasSgemm(ctx.cublas, CUBLAS_OP_T, CUBLAS_OP_N, fout, n, fin, &one, weight_,
                                 fin, in[0]->data(), fin, &zero, out.data(), fout),
                     "cublasSgemm(forward)"));
    if (bias_ == nullptr) return absl::OkStatus();
    return CudartStatus(AddChannelBias(out.data(), bias_, n, fout, 1, ctx.stream),
                        "AddChannelBias");
  }

  absl::Status Backward(std::span<const DeviceTensor* const> in, const DeviceTensor&,
                        const DeviceTensor& dout, std::span<DeviceTensor* const> din,
                        const GpuContext& ctx) override {
    const int n = in[0]->shape().n;
    const int fin = options_.in_features;
    const int fout = options_.out_features;
    const float one = 1.0f;
    const float zero = 0.0f;
    // dW (out x in, row-major) = dy^T x: column-major (in x out) = x^T dy.
    GAIA_CUDA_RETURN_IF_ERROR(
        CublasStatus(cublasSgemm(ctx.cublas, CUBLAS_OP_N, CUBLAS_OP_T, fin, fout, n, &one,
                                 in[0]->data(), fin, dout.data(), fout, &zero, weight_grad_, fin),
                     "cublasSgemm(weight gradient)"));
    if (bias_grad_ != nullptr) {
      GAIA_CUDA_RETURN_IF_ERROR(
          CudartStatus(ChannelSum(dout.data(), bias_grad_, n, fout, 1, ctx.stream), "ChannelSum"));
    }
    if (din.empty() || din[0] == nullptr) return absl::OkStatus();
    GAIA_CUDA_RETURN_IF_ERROR(din[0]->Resize(in[0]->shape()));
    // dx (n x in) = dy W: column-major (in x n) = W' dy^T.
    return CublasStatus(cublasSgemm(ctx.cublas, CUBLAS_OP_N, CUBLAS_OP_N, fin, n, fout, &one,
                                    weight_, fin, dout.data(), fout, &zero, din[0]->data(), fin),
                        "cublasSgemm(input gradient)");
  }

 private:
  const LinearOptions options_;
  float* weight_ = nullptr;
  float* bias_ = nullptr;
  float* weight_grad_ = nullptr;
  float* bias_grad_ = nullptr;
};

}  // namespace

std::unique_ptr<GpuLayer> MakeGpuConv2d(const Conv2dOptions& options) {
  return std::make_unique<GpuConv2d>(options);
}

std::unique_ptr<GpuLayer> MakeGpuLinear(const LinearOptions& options) {
  return std::make_unique<GpuLinear>(options);
}

}  // namespace gaia::cnn::gpu
