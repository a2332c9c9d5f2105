// Pooling: MaxPool2d (k x k windows, no padding, like PyTorch's
// nn.MaxPool2d(k, stride)) and a global average pool (N, C, H, W) -> (N, C, 1, 1).
//
//   MaxPool2d pool({.kernel = 2, .stride = 2});   // 28x28 -> 14x14
//   GlobalAvgPool gap;
#ifndef GAIA_APPS_CNN_LAYERS_POOL_H_
#define GAIA_APPS_CNN_LAYERS_POOL_H_

#include <cstdint>
#include <vector>

#include "apps/cnn/layers/layer.h"

namespace gaia::cnn {

struct MaxPool2dOptions {
  int kernel = 2;
  int stride = 2;
};

// Output size (in - kernel) / stride + 1, floored. The gradient goes to the
// first maximum of each window (row-major order), as in PyTorch; a NaN is
// not propagated (it never compares greater).
class MaxPool2d final : public Layer {
 public:
  explicit MaxPool2d(const MaxPool2dOptions& options) : options_(options) {}

  std::string_view kind() const override { return "MaxPool2d"; }
  absl::StatusOr<Shape> OutputShape(std::span<const Shape> in) const override;
  void Forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) override;
  void Backward(std::span<const Tensor* const> in, const Tensor& out, const Tensor& dout,
                std::span<Tensor* const> din, const RunContext& ctx) override;

 private:
  const MaxPool2dOptions options_;
  std::vector<int32_t> argmax_;  // per output: the input's offset within its plane
};

class GlobalAvgPool final : public Layer {
 public:
  std::string_view kind() const override { return "GlobalAvgPool"; }
  absl::StatusOr<Shape> OutputShape(std::span<const Shape> in) const override;
  void Forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) override;
  void Backward(std::span<const Tensor* const> in, const Tensor& out, const Tensor& dout,
                std::span<Tensor* const> din, const RunContext& ctx) override;
};

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_LAYERS_POOL_H_
