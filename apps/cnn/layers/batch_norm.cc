#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "apps/cnn/layers/norm.h"
#include "apps/cnn/layers/norm_common.h"

namespace gaia::cnn {

using internal::Affine;
using internal::Combine;
using internal::Dot;
using internal::Sum;
using internal::SumSquaredDeviation;

absl::StatusOr<Shape> BatchNorm2d::OutputShape(std::span<const Shape> in) const {
  if (options_.channels < 1) return absl::InvalidArgumentError("BatchNorm2d: channels < 1");
  if (!(options_.eps > 0) || !(options_.momentum >= 0 && options_.momentum <= 1)) {
    return absl::InvalidArgumentError("BatchNorm2d: need eps > 0 and momentum in [0, 1]");
  }
  if (in.size() != 1) return absl::InvalidArgumentError("BatchNorm2d: takes one input");
  if (in[0].c != options_.channels) {
    return absl::InvalidArgumentError(absl::StrCat("BatchNorm2d: channels is ",
                                                   options_.channels, " but the input has ",
                                                   in[0].c));
  }
  return in[0];
}

std::vector<ParamSpec> BatchNorm2d::ParamSpecs() const {
  const size_t c = options_.channels;
  return {{.name = "weight", .size = c, .init = Init::kOne},
          {.name = "bias", .size = c, .init = Init::kZero},
          {.name = "running_mean", .size = c, .trainable = false, .init = Init::kZero},
          {.name = "running_var", .size = c, .trainable = false, .init = Init::kOne}};
}

void BatchNorm2d::Bind(std::span<const std::span<float>> values,
                       std::span<const std::span<float>> grads) {
  weight_ = values[0].data();
  bias_ = values[1].data();
  running_mean_ = values[2].data();
  running_var_ = values[3].data();
  weight_grad_ = grads[0].data();
  bias_grad_ = grads[1].data();
}

void BatchNorm2d::Forward(std::span<const Tensor* const> in, Tensor& out,
                          const RunContext& ctx) {
  const Tensor& x = *in[0];
  const Shape& s = x.shape();
  out.Resize(s);
  const int channels = options_.channels;
  mean_.resize(channels);
  rstd_.resize(channels);
  const size_t plane = s.plane();
  const size_t count = static_cast<size_t>(s.n) * plane;
  auto at = [&](const Tensor& t, int n, int c) { return t.sample(n) + c * plane; };
  auto out_at = [&](int n, int c) { return out.sample(n) + c * plane; };
  ctx.pool->ParallelFor(channels, [&](size_t begin, size_t end, int) {
    for (size_t c = begin; c < end; ++c) {
      float mean = 0;
      float rstd = 0;
      if (ctx.training) {
        double sum = 0;
        for (int n = 0; n < s.n; ++n) sum += Sum(at(x, n, c), plane);
        mean = static_cast<float>(sum / count);
        double ss = 0;
        for (int n = 0; n < s.n; ++n) ss += SumSquaredDeviation(at(x, n, c), plane, mean);
        const double var = ss / count;
        rstd = static_cast<float>(1.0 / std::sqrt(var + options_.eps));
        mean_[c] = mean;
        rstd_[c] = rstd;
        if (ctx.update_stats) {
          // PyTorch folds in the unbiased variance (one value: the biased one, 0).
          const double unbiased = count > 1 ? var * count / (count - 1) : var;
          const float m = options_.momentum;
          running_mean_[c] = (1 - m) * running_mean_[c] + m * mean;
          running_var_[c] = (1 - m) * running_var_[c] + m * static_cast<float>(unbiased);
        }
      } else {
        mean = running_mean_[c];
        rstd = 1.0f / std::sqrt(running_var_[c] + options_.eps);
      }
      const float scale = weight_[c] * rstd;
      const float shift = bias_[c] - mean * scale;
      for (int n = 0; n < s.n; ++n) Affine(at(x, n, c), plane, scale, shift, out_at(n, c));
    }
  });
}

void BatchNorm2d::Backward(std::span<const Tensor* const> in, const Tensor&,
                           const Tensor& dout, std::span<Tensor* const> din,
                           const RunContext& ctx) {
  const Tensor& x = *in[0];
  const Shape& s = x.shape();
  Tensor* dx = din.empty() ? nullptr : din[0];
  if (dx != nullptr) dx->Resize(s);
  const size_t plane = s.plane();
  const double count = static_cast<double>(s.n) * plane;
  ctx.pool->ParallelFor(options_.channels, [&](size_t begin, size_t end, int) {
    for (size_t c = begin; c < end; ++c) {
      double sum_dy = 0;
      double sum_dy_x = 0;
      for (int n = 0; n < s.n; ++n) {
        const float* g = dout.sample(n) + c * plane;
        sum_dy += Sum(g, plane);
        sum_dy_x += Dot(g, x.sample(n) + c * plane, plane);
      }
      const double mean = mean_[c];
      const double rstd = rstd_[c];
      const double sum_dy_xhat = (sum_dy_x - mean * sum_dy) * rstd;
      weight_grad_[c] = static_cast<float>(sum_dy_xhat);
      bias_grad_[c] = static_cast<float>(sum_dy);
      if (dx == nullptr) continue;
      // dx = gamma rstd (dy - mean(dy) - xhat mean(dy xhat)), as a*dy + b*x + c0.
      const double gr = weight_[c] * rstd;
      const double b = -gr * rstd * sum_dy_xhat / count;
      const double c0 = -gr * sum_dy / count - b * mean;
      for (int n = 0; n < s.n; ++n) {
        Combine(dout.sample(n) + c * plane, x.sample(n) + c * plane, plane,
                static_cast<float>(gr), static_cast<float>(b), static_cast<float>(c0),
                dx->sample(n) + c * plane);
      }
    }
  });
}

}  // namespace gaia::cnn
