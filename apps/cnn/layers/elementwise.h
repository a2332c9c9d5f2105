// Elementwise layers: ReLU, and the residual Add of two same-shaped inputs.
//
//   ReLU relu;                       // y = max(x, 0)
//   Add add;                         // y = a + b (num_inputs() == 2)
#ifndef GAIA_APPS_CNN_LAYERS_ELEMENTWISE_H_
#define GAIA_APPS_CNN_LAYERS_ELEMENTWISE_H_

#include "apps/cnn/layers/layer.h"

namespace gaia::cnn {

// The gradient at x == 0 is 0 (PyTorch's convention).
class ReLU final : public Layer {
 public:
  std::string_view kind() const override { return "ReLU"; }
  absl::StatusOr<Shape> OutputShape(std::span<const Shape> in) const override;
  void Forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) override;
  void Backward(std::span<const Tensor* const> in, const Tensor& out, const Tensor& dout,
                std::span<Tensor* const> din, const RunContext& ctx) override;
};

class Add final : public Layer {
 public:
  std::string_view kind() const override { return "Add"; }
  int num_inputs() const override { return 2; }
  absl::StatusOr<Shape> OutputShape(std::span<const Shape> in) const override;
  void Forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) override;
  void Backward(std::span<const Tensor* const> in, const Tensor& out, const Tensor& dout,
                std::span<Tensor* const> din, const RunContext& ctx) override;
};

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_LAYERS_ELEMENTWISE_H_
