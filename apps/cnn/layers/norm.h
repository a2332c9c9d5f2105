// Normalization layers with PyTorch's semantics (eps 1e-5, affine):
//
//   BatchNorm2d bn({.channels = 16});     // nn.BatchNorm2d(16), momentum 0.1
//   GroupNorm gn({.channels = 16, .groups = 4});   // nn.GroupNorm(4, 16)
//
// BatchNorm2d normalizes each channel by the batch's mean and biased
// variance in training mode and folds them into running estimates
// (running = (1 - momentum) * running + momentum * batch, with the unbiased
// variance, as PyTorch); in eval mode it uses the running estimates.
// GroupNorm normalizes each sample's group of channels/groups channels and
// behaves the same in both modes. Parameters: "weight" (1), "bias" (0) per
// channel; BatchNorm2d adds "running_mean" (0) and "running_var" (1),
// non-trainable.
#ifndef GAIA_APPS_CNN_LAYERS_NORM_H_
#define GAIA_APPS_CNN_LAYERS_NORM_H_

#include <vector>

#include "apps/cnn/layers/layer.h"

namespace gaia::cnn {

struct BatchNorm2dOptions {
  int channels = 1;
  float momentum = 0.1f;
  float eps = 1e-5f;
};

class BatchNorm2d final : public Layer {
 public:
  explicit BatchNorm2d(const BatchNorm2dOptions& options) : options_(options) {}

  std::string_view kind() const override { return "BatchNorm2d"; }
  absl::StatusOr<Shape> OutputShape(std::span<const Shape> in) const override;
  std::vector<ParamSpec> ParamSpecs() const override;
  void Bind(std::span<const std::span<float>> values,
            std::span<const std::span<float>> grads) override;
  void Forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) override;
  void Backward(std::span<const Tensor* const> in, const Tensor& out, const Tensor& dout,
                std::span<Tensor* const> din, const RunContext& ctx) override;

 private:
  const BatchNorm2dOptions options_;
  float* weight_ = nullptr;
  float* bias_ = nullptr;
  float* running_mean_ = nullptr;
  float* running_var_ = nullptr;
  float* weight_grad_ = nullptr;
  float* bias_grad_ = nullptr;
  // The last training forward's batch statistics, per channel.
  std::vector<float> mean_;
  std::vector<float> rstd_;  // 1 / sqrt(var + eps)
};

struct GroupNormOptions {
  int channels = 1;
  int groups = 1;  // must divide channels
  float eps = 1e-5f;
};

class GroupNorm final : public Layer {
 public:
  explicit GroupNorm(const GroupNormOptions& options) : options_(options) {}

  std::string_view kind() const override { return "GroupNorm"; }
  absl::StatusOr<Shape> OutputShape(std::span<const Shape> in) const override;
  std::vector<ParamSpec> ParamSpecs() const override;
  void Bind(std::span<const std::span<float>> values,
            std::span<const std::span<float>> grads) override;
  void Forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) override;
  void Backward(std::span<const Tensor* const> in, const Tensor& out, const Tensor& dout,
                std::span<Tensor* const> din, const RunContext& ctx) override;

 private:
  const GroupNormOptions options_;
  float* weight_ = nullptr;
  float* bias_ = nullptr;
  float* weight_grad_ = nullptr;
  float* bias_grad_ = nullptr;
  // The last forward's statistics, per (sample, group).
  std::vector<float> mean_;
  std::vector<float> rstd_;
  // Backward's per (sample, channel) sums of dy and dy * xhat, reduced over
  // samples in order so the result does not depend on the thread count.
  std::vector<float> sum_dy_;
  std::vector<float> sum_dy_xhat_;
};

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_LAYERS_NORM_H_
