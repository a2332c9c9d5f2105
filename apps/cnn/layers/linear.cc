#include "apps/cnn/layers/linear.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "apps/cnn/layers/eigen_util.h"

namespace gaia::cnn {

using internal::ConstMatrixMap;
using internal::ConstVectorMap;
using internal::MatrixMap;

absl::StatusOr<Shape> Linear::OutputShape(std::span<const Shape> in) const {
  if (options_.in_features < 1 || options_.out_features < 1) {
    return absl::InvalidArgumentError("Linear: in_features and out_features must be >= 1");
  }
  if (in.size() != 1) return absl::InvalidArgumentError("Linear: takes one input");
  if (in[0].sample_size() != static_cast<size_t>(options_.in_features)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Linear: in_features is ", options_.in_features, " but the input has ",
                     in[0].sample_size(), " features per sample"));
  }
  return Shape{in[0].n, options_.out_features, 1, 1};
}

std::vector<ParamSpec> Linear::ParamSpecs() const {
  std::vector<ParamSpec> specs = {
      {.name = "weight",
       .size = static_cast<size_t>(options_.out_features) * options_.in_features,
       .init = Init::kKaimingNormal,
       .fan_in = options_.in_features}};
  if (options_.bias) {
    specs.push_back({.name = "bias", .size = static_cast<size_t>(options_.out_features)});
  }
  return specs;
}

void Linear::Bind(std::span<const std::span<float>> values,
                  std::span<const std::span<float>> grads) {
  weight_ = values[0].data();
  weight_grad_ = grads[0].data();
  if (options_.bias) {
    bias_ = values[1].data();
    bias_grad_ = grads[1].data();
  }
}

void Linear::Forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) {
  const Tensor& x = *in[0];
  const int n = x.shape().n;
  const int fin = options_.in_features;
  const int fout = options_.out_features;
  out.Resize({n, fout, 1, 1});
  const ConstMatrixMap w(weight_, fout, fin);
  ctx.pool->ParallelFor(n, [&](size_t begin, size_t end, int) {
    const int rows = static_cast<int>(end - begin);
    MatrixMap y(out.sample(begin), rows, fout);
    y.noalias() = ConstMatrixMap(x.sample(begin), rows, fin) * w.transpose();
    if (bias_ != nullptr) y.rowwise() += ConstVectorMap(bias_, fout).transpose();
  });
}

void Linear::Backward(std::span<const Tensor* const> in, const Tensor&, const Tensor& dout,
                      std::span<Tensor* const> din, const RunContext& ctx) {
  const Tensor& x = *in[0];
  const int n = x.shape().n;
  const int fin = options_.in_features;
  const int fout = options_.out_features;
  const ConstMatrixMap dy(dout.data(), n, fout);
  const ConstMatrixMap xm(x.data(), n, fin);
  // dW = dy^T x, split by output rows; db = column sums of dy.
  ctx.pool->ParallelFor(fout, [&](size_t begin, size_t end, int) {
    const int rows = static_cast<int>(end - begin);
    MatrixMap(weight_grad_ + begin * fin, rows, fin).noalias() =
        dy.middleCols(begin, rows).transpose() * xm;
    if (bias_grad_ != nullptr) {
      for (size_t o = begin; o < end; ++o) bias_grad_[o] = dy.col(o).sum();
    }
  });
  if (din.empty() || din[0] == nullptr) return;
  Tensor& dx = *din[0];
  dx.Resize(x.shape());
  const ConstMatrixMap w(weight_, fout, fin);
  ctx.pool->ParallelFor(n, [&](size_t begin, size_t end, int) {
    const int rows = static_cast<int>(end - begin);
    MatrixMap(dx.sample(begin), rows, fin).noalias() = dy.middleRows(begin, rows) * w;
  });
}

}  // namespace gaia::cnn
