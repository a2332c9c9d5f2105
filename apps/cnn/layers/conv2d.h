// 2-D convolution, NCHW, square kernel, as im2col + GEMM per sample (the
// samples of a batch are split over the thread pool).
//
//   Conv2d conv({.in_channels = 16, .out_channels = 32, .kernel = 5, .pad = 2,
//                .bias = false});
//
// Parameters: "weight" (out, in, k, k) as in PyTorch, then "bias" (out) when
// options.bias. Output size: (in + 2*pad - kernel) / stride + 1, floored.
#ifndef GAIA_APPS_CNN_LAYERS_CONV2D_H_
#define GAIA_APPS_CNN_LAYERS_CONV2D_H_

#include <vector>

#include "apps/cnn/layers/layer.h"

namespace gaia::cnn {

struct Conv2dOptions {
  int in_channels = 1;
  int out_channels = 1;
  int kernel = 3;  // kernel x kernel
  int stride = 1;
  int pad = 0;     // zeros on every side
  bool bias = true;
};

class Conv2d final : public Layer {
 public:
  explicit Conv2d(const Conv2dOptions& options) : options_(options) {}

  std::string_view kind() const override { return "Conv2d"; }
  absl::StatusOr<Shape> OutputShape(std::span<const Shape> in) const override;
  std::vector<ParamSpec> ParamSpecs() const override;
  void Bind(std::span<const std::span<float>> values,
            std::span<const std::span<float>> grads) override;
  void Forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) override;
  void Backward(std::span<const Tensor* const> in, const Tensor& out, const Tensor& dout,
                std::span<Tensor* const> din, const RunContext& ctx) override;

 private:
  // A 1x1, stride-1, unpadded convolution reads its input as the col matrix.
  bool direct() const {
    return options_.kernel == 1 && options_.stride == 1 && options_.pad == 0;
  }
  void EnsureScratch(int parts, size_t col_size);

  const Conv2dOptions options_;
  float* weight_ = nullptr;  // out x (in*k*k)
  float* bias_ = nullptr;    // out, or null
  float* weight_grad_ = nullptr;
  float* bias_grad_ = nullptr;

  // Per pool part: an im2col buffer and partial weight/bias gradients.
  std::vector<std::vector<float>> col_;
  std::vector<std::vector<float>> dcol_;
  std::vector<std::vector<float>> weight_grad_part_;
  std::vector<std::vector<float>> bias_grad_part_;
};

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_LAYERS_CONV2D_H_
