#include <algorithm>
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

absl::StatusOr<Shape> GroupNorm::OutputShape(std::span<const Shape> in) const {
  const GroupNormOptions& o = options_;
  if (o.channels < 1 || o.groups < 1 || o.channels % o.groups != 0) {
    return absl::InvalidArgumentError(absl::StrCat("GroupNorm: groups (", o.groups,
                                                   ") must divide channels (", o.channels,
                                                   ")"));
  }
  if (!(o.eps > 0)) return absl::InvalidArgumentError("GroupNorm: need eps > 0");
  if (in.size() != 1) return absl::InvalidArgumentError("GroupNorm: takes one input");
  if (in[0].c != o.channels) {
    return absl::InvalidArgumentError(absl::StrCat("GroupNorm: channels is ", o.channels,
                                                   " but the input has ", in[0].c));
  }
  return in[0];
}

std::vector<ParamSpec> GroupNorm::ParamSpecs() const {
  const size_t c = options_.channels;
  return {{.name = "weight", .size = c, .init = Init::kOne},
          {.name = "bias", .size = c, .init = Init::kZero}};
}

void GroupNorm::Bind(std::span<const std::span<float>> values,
                     std::span<const std::span<float>> grads) {
  weight_ = values[0].data();
  bias_ = values[1].data();
  weight_grad_ = grads[0].data();
  bias_grad_ = grads[1].data();
}

void GroupNorm::Forward(std::span<const Tensor* const> in, Tensor& out,
                        const RunContext& ctx) {
  const Tensor& x = *in[0];
  const Shape& s = x.shape();
  out.Resize(s);
  const int groups = options_.groups;
  const int per_group = options_.channels / groups;
  const size_t plane = s.plane();
  const size_t group_size = per_group * plane;
  mean_.resize(static_cast<size_t>(s.n) * groups);
  rstd_.resize(mean_.size());
  ctx.pool->ParallelFor(s.n, [&](size_t begin, size_t end, int) {
    for (size_t n = begin; n < end; ++n) {
      for (int g = 0; g < groups; ++g) {
        const float* src = x.sample(n) + g * group_size;
        const float mean = static_cast<float>(Sum(src, group_size) / group_size);
        const double var = SumSquaredDeviation(src, group_size, mean) / group_size;
        const float rstd = static_cast<float>(1.0 / std::sqrt(var + options_.eps));
        mean_[n * groups + g] = mean;
        rstd_[n * groups + g] = rstd;
        for (int k = 0; k < per_group; ++k) {
          const int c = g * per_group + k;
          const float scale = weight_[c] * rstd;
          Affine(src + k * plane, plane, scale, bias_[c] - mean * scale,
                 out.sample(n) + c * plane);
        }
      }
    }
  });
}

void GroupNorm::Backward(std::span<const Tensor* const> in, const Tensor&, const Tensor& dout,
                         std::span<Tensor* const> din, const RunContext& ctx) {
  const Tensor& x = *in[0];
  const Shape& s = x.shape();
  Tensor* dx = din.empty() ? nullptr : din[0];
  if (dx != nullptr) dx->Resize(s);
  const int channels = options_.channels;
  const int groups = options_.groups;
  const int per_group = channels / groups;
  const size_t plane = s.plane();
  const double count = static_cast<double>(per_group) * plane;
  sum_dy_.resize(static_cast<size_t>(s.n) * channels);
  sum_dy_xhat_.resize(sum_dy_.size());
  ctx.pool->ParallelFor(s.n, [&](size_t begin, size_t end, int) {
    for (size_t n = begin; n < end; ++n) {
      for (int g = 0; g < groups; ++g) {
        const double mean = mean_[n * groups + g];
        const double rstd = rstd_[n * groups + g];
        double sum_dxhat = 0;        // sum over the group of dy * gamma
        double sum_dxhat_xhat = 0;   // ... of dy * gamma * xhat
        for (int k = 0; k < per_group; ++k) {
          const int c = g * per_group + k;
          const size_t off = c * plane;
          const double sdy = Sum(dout.sample(n) + off, plane);
          const double sdyx = Dot(dout.sample(n) + off, x.sample(n) + off, plane);
          const double sdyxhat = (sdyx - mean * sdy) * rstd;
          sum_dy_[n * channels + c] = static_cast<float>(sdy);
          sum_dy_xhat_[n * channels + c] = static_cast<float>(sdyxhat);
          sum_dxhat += weight_[c] * sdy;
          sum_dxhat_xhat += weight_[c] * sdyxhat;
        }
        if (dx == nullptr) continue;
        // dx = rstd (gamma dy - mean(gamma dy) - xhat mean(gamma dy xhat)).
        const double b = -rstd * rstd * sum_dxhat_xhat / count;
        const double c0 = -rstd * sum_dxhat / count - b * mean;
        for (int k = 0; k < per_group; ++k) {
          const int c = g * per_group + k;
          const size_t off = c * plane;
          Combine(dout.sample(n) + off, x.sample(n) + off, plane,
                  static_cast<float>(weight_[c] * rstd), static_cast<float>(b),
                  static_cast<float>(c0), dx->sample(n) + off);
        }
      }
    }
  });
  for (int c = 0; c < channels; ++c) {
    double dw = 0;
    double db = 0;
    for (int n = 0; n < s.n; ++n) {
      dw += sum_dy_xhat_[n * channels + c];
      db += sum_dy_[n * channels + c];
    }
    weight_grad_[c] = static_cast<float>(dw);
    bias_grad_[c] = static_cast<float>(db);
  }
}

}  // namespace gaia::cnn
