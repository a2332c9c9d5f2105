#include "apps/cnn/layers/elementwise.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "apps/cnn/layers/eigen_util.h"

namespace gaia::cnn {
namespace {

// Elementwise work is split by samples (contiguous), at least one per part.
template <typename Fn>
void ForSamples(const RunContext& ctx, const Shape& s, const Fn& fn) {
  const size_t per = s.sample_size();
  ctx.pool->ParallelFor(s.n, [&](size_t begin, size_t end, int) {
    fn(begin * per, end * per);
  });
}

// An Eigen array over [begin, end) of p: Eigen vectorizes the expressions.
Eigen::Map<Eigen::ArrayXf> Array(float* p, size_t begin, size_t end) {
  return {p + begin, static_cast<Eigen::Index>(end - begin)};
}
Eigen::Map<const Eigen::ArrayXf> Array(const float* p, size_t begin, size_t end) {
  return {p + begin, static_cast<Eigen::Index>(end - begin)};
}

}  // namespace

absl::StatusOr<Shape> ReLU::OutputShape(std::span<const Shape> in) const {
  if (in.size() != 1) return absl::InvalidArgumentError("ReLU: takes one input");
  return in[0];
}

void ReLU::Forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) {
  const Tensor& x = *in[0];
  out.Resize(x.shape());
  const float* src = x.data();
  float* dst = out.data();
  ForSamples(ctx, x.shape(), [&](size_t begin, size_t end) {
    Array(dst, begin, end) = Array(src, begin, end).max(0.0f);
  });
}

void ReLU::Backward(std::span<const Tensor* const> in, const Tensor& out, const Tensor& dout,
                    std::span<Tensor* const> din, const RunContext& ctx) {
  if (din.empty() || din[0] == nullptr) return;
  Tensor& dx = *din[0];
  dx.Resize(in[0]->shape());
  const float* y = out.data();
  const float* g = dout.data();
  float* dst = dx.data();
  ForSamples(ctx, out.shape(), [&](size_t begin, size_t end) {
    Array(dst, begin, end) = (Array(y, begin, end) > 0.0f).select(Array(g, begin, end), 0.0f);
  });
}

absl::StatusOr<Shape> Add::OutputShape(std::span<const Shape> in) const {
  if (in.size() != 2) return absl::InvalidArgumentError("Add: takes two inputs");
  if (!(in[0] == in[1])) {
    return absl::InvalidArgumentError(absl::StrCat("Add: input shapes differ: ", in[0].c, "x",
                                                   in[0].h, "x", in[0].w, " vs ", in[1].c,
                                                   "x", in[1].h, "x", in[1].w));
  }
  return in[0];
}

void Add::Forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) {
  const float* a = in[0]->data();
  const float* b = in[1]->data();
  out.Resize(in[0]->shape());
  float* dst = out.data();
  ForSamples(ctx, out.shape(), [&](size_t begin, size_t end) {
    Array(dst, begin, end) = Array(a, begin, end) + Array(b, begin, end);
  });
}

void Add::Backward(std::span<const Tensor* const> in, const Tensor&, const Tensor& dout,
                   std::span<Tensor* const> din, const RunContext& ctx) {
  for (size_t k = 0; k < din.size() && k < in.size(); ++k) {
    if (din[k] == nullptr) continue;
    din[k]->Resize(in[k]->shape());
    const float* g = dout.data();
    float* dst = din[k]->data();
    ForSamples(ctx, dout.shape(), [&](size_t begin, size_t end) {
      std::copy(g + begin, g + end, dst + begin);
    });
  }
}

}  // namespace gaia::cnn
