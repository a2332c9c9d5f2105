// Fully connected layer: y = x W^T + b on the input read as n rows of c*h*w
// features (so it follows a conv/pool stack without a flatten). The output
// is (n, out_features, 1, 1).
//
//   Linear fc({.in_features = 32 * 7 * 7, .out_features = 128});
//
// Parameters: "weight" (out, in) as in PyTorch, then "bias" (out) when
// options.bias.
#ifndef GAIA_APPS_CNN_LAYERS_LINEAR_H_
#define GAIA_APPS_CNN_LAYERS_LINEAR_H_

#include "apps/cnn/layers/layer.h"

namespace gaia::cnn {

struct LinearOptions {
  int in_features = 1;
  int out_features = 1;
  bool bias = true;
};

class Linear final : public Layer {
 public:
  explicit Linear(const LinearOptions& options) : options_(options) {}

  std::string_view kind() const override { return "Linear"; }
  absl::StatusOr<Shape> OutputShape(std::span<const Shape> in) const override;
  std::vector<ParamSpec> ParamSpecs() const override;
  void Bind(std::span<const std::span<float>> values,
            std::span<const std::span<float>> grads) override;
  void Forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) override;
  void Backward(std::span<const Tensor* const> in, const Tensor& out, const Tensor& dout,
                std::span<Tensor* const> din, const RunContext& ctx) override;

 private:
  const LinearOptions options_;
  float* weight_ = nullptr;  // out x in
  float* bias_ = nullptr;    // out, or null
  float* weight_grad_ = nullptr;
  float* bias_grad_ = nullptr;
};

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_LAYERS_LINEAR_H_
