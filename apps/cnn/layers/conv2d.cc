#include "apps/cnn/layers/conv2d.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "apps/cnn/layers/eigen_util.h"
#include "apps/cnn/layers/im2col.h"

namespace gaia::cnn {

using internal::ConstMatrixMap;
using internal::ConstVectorMap;
using internal::ConvGeometry;
using internal::MatrixMap;
using internal::VectorMap;

namespace {

ConvGeometry Geometry(const Conv2dOptions& o, const Shape& in, const Shape& out) {
  return {.channels = o.in_channels, .height = in.h, .width = in.w, .kernel = o.kernel,
          .stride = o.stride, .pad = o.pad, .out_h = out.h, .out_w = out.w};
}

}  // namespace

absl::StatusOr<Shape> Conv2d::OutputShape(std::span<const Shape> in) const {
  const Conv2dOptions& o = options_;
  if (o.in_channels < 1 || o.out_channels < 1) {
    return absl::InvalidArgumentError("Conv2d: in_channels and out_channels must be >= 1");
  }
  if (o.kernel < 1 || o.stride < 1 || o.pad < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Conv2d: need kernel >= 1, stride >= 1, pad >= 0; got kernel ", o.kernel,
        ", stride ", o.stride, ", pad ", o.pad));
  }
  if (in.size() != 1) return absl::InvalidArgumentError("Conv2d: takes one input");
  const Shape& s = in[0];
  if (s.c != o.in_channels) {
    return absl::InvalidArgumentError(absl::StrCat("Conv2d: in_channels is ", o.in_channels,
                                                   " but the input has ", s.c, " channels"));
  }
  const int oh = (s.h + 2 * o.pad - o.kernel) / o.stride + 1;
  const int ow = (s.w + 2 * o.pad - o.kernel) / o.stride + 1;
  if (s.h + 2 * o.pad < o.kernel || s.w + 2 * o.pad < o.kernel) {
    return absl::InvalidArgumentError(absl::StrCat("Conv2d: kernel ", o.kernel,
                                                   " exceeds the padded input ", s.h, "x", s.w));
  }
  return Shape{s.n, o.out_channels, oh, ow};
}

std::vector<ParamSpec> Conv2d::ParamSpecs() const {
  const int fan_in = options_.in_channels * options_.kernel * options_.kernel;
  std::vector<ParamSpec> specs = {{.name = "weight",
                                   .size = static_cast<size_t>(options_.out_channels) * fan_in,
                                   .init = Init::kKaimingNormal,
                                   .fan_in = fan_in}};
  if (options_.bias) {
    specs.push_back({.name = "bias", .size = static_cast<size_t>(options_.out_channels)});
  }
  return specs;
}

void Conv2d::Bind(std::span<const std::span<float>> values,
                  std::span<const std::span<float>> grads) {
  weight_ = values[0].data();
  weight_grad_ = grads[0].data();
  if (options_.bias) {
    bias_ = values[1].data();
    bias_grad_ = grads[1].data();
  }
}

void Conv2d::EnsureScratch(int parts, size_t col_size) {
  const size_t wsize = static_cast<size_t>(options_.out_channels) * options_.in_channels *
                       options_.kernel * options_.kernel;
  col_.resize(parts);
  dcol_.resize(parts);
  weight_grad_part_.resize(parts);
  bias_grad_part_.resize(parts);
  for (int p = 0; p < parts; ++p) {
    if (!direct()) {
      col_[p].resize(col_size);
      dcol_[p].resize(col_size);
    }
    weight_grad_part_[p].resize(wsize);
    bias_grad_part_[p].resize(options_.out_channels);
  }
}

void Conv2d::Forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) {
  const Tensor& x = *in[0];
  const Shape os = *OutputShape({&x.shape(), 1});
  out.Resize(os);
  const ConvGeometry g = Geometry(options_, x.shape(), os);
  EnsureScratch(ctx.pool->size(), static_cast<size_t>(g.col_rows()) * g.col_cols());
  const ConstMatrixMap w(weight_, options_.out_channels, g.col_rows());
  ctx.pool->ParallelFor(os.n, [&](size_t begin, size_t end, int part) {
    for (size_t n = begin; n < end; ++n) {
      const float* col = x.sample(n);
      if (!direct()) {
        Im2Col(g, x.sample(n), col_[part].data());
        col = col_[part].data();
      }
      MatrixMap y(out.sample(n), os.c, g.col_cols());
      y.noalias() = w * ConstMatrixMap(col, g.col_rows(), g.col_cols());
      if (bias_ != nullptr) y.colwise() += ConstVectorMap(bias_, os.c);
    }
  });
}

void Conv2d::Backward(std::span<const Tensor* const> in, const Tensor& out, const Tensor& dout,
                      std::span<Tensor* const> din, const RunContext& ctx) {
  const Tensor& x = *in[0];
  const Shape& os = out.shape();
  const ConvGeometry g = Geometry(options_, x.shape(), os);
  const int rows = g.col_rows();
  const int cols = g.col_cols();
  Tensor* dx = din.empty() ? nullptr : din[0];
  if (dx != nullptr) dx->Resize(x.shape());
  EnsureScratch(ctx.pool->size(), static_cast<size_t>(rows) * cols);
  const ConstMatrixMap w(weight_, os.c, rows);
  ctx.pool->ParallelFor(os.n, [&](size_t begin, size_t end, int part) {
    MatrixMap dw(weight_grad_part_[part].data(), os.c, rows);
    VectorMap db(bias_grad_part_[part].data(), os.c);
    dw.setZero();
    db.setZero();
    for (size_t n = begin; n < end; ++n) {
      const float* col = x.sample(n);
      if (!direct()) {
        Im2Col(g, x.sample(n), col_[part].data());
        col = col_[part].data();
      }
      const ConstMatrixMap dy(dout.sample(n), os.c, cols);
      dw.noalias() += dy * ConstMatrixMap(col, rows, cols).transpose();
      if (bias_ != nullptr) db += dy.rowwise().sum();
      if (dx == nullptr) continue;
      if (direct()) {
        MatrixMap(dx->sample(n), rows, cols).noalias() = w.transpose() * dy;
      } else {
        MatrixMap(dcol_[part].data(), rows, cols).noalias() = w.transpose() * dy;
        Col2Im(g, dcol_[part].data(), dx->sample(n));
      }
    }
  });
  // Sum the parts in a fixed order, so a thread count gives one result.
  const size_t parts = ctx.pool->Parts(os.n);
  const size_t wsize = static_cast<size_t>(os.c) * rows;
  std::copy_n(weight_grad_part_[0].data(), wsize, weight_grad_);
  for (size_t p = 1; p < parts; ++p) {
    for (size_t i = 0; i < wsize; ++i) weight_grad_[i] += weight_grad_part_[p][i];
  }
  if (bias_ != nullptr) {
    std::copy_n(bias_grad_part_[0].data(), os.c, bias_grad_);
    for (size_t p = 1; p < parts; ++p) {
      for (int i = 0; i < os.c; ++i) bias_grad_[i] += bias_grad_part_[p][i];
    }
  }
}

}  // namespace gaia::cnn
