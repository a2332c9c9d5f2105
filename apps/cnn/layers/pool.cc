#include "apps/cnn/layers/pool.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace gaia::cnn {

absl::StatusOr<Shape> MaxPool2d::OutputShape(std::span<const Shape> in) const {
  if (options_.kernel < 1 || options_.stride < 1) {
    return absl::InvalidArgumentError(absl::StrCat("MaxPool2d: need kernel, stride >= 1; got ",
                                                   options_.kernel, ", ", options_.stride));
  }
  if (in.size() != 1) return absl::InvalidArgumentError("MaxPool2d: takes one input");
  const Shape& s = in[0];
  if (s.h < options_.kernel || s.w < options_.kernel) {
    return absl::InvalidArgumentError(absl::StrCat("MaxPool2d: kernel ", options_.kernel,
                                                   " exceeds the input ", s.h, "x", s.w));
  }
  return Shape{s.n, s.c, (s.h - options_.kernel) / options_.stride + 1,
               (s.w - options_.kernel) / options_.stride + 1};
}

namespace {

// Keeps (best, at) the first maximum seen: takes (v, i) only when v > best.
// Mask arithmetic and max instead of ?: because GCC turns the latter into
// branches here, which mispredict about half the time on activations.
inline void Take(float v, int32_t i, float& best, int32_t& at) {
  const int32_t greater = -static_cast<int32_t>(v > best);  // all ones or zero
  at ^= (at ^ i) & greater;
  best = std::max(best, v);
}

// One plane's 2x2, stride-2 pooling (lenet's).
void MaxPool2x2(const float* src, int in_w, int out_h, int out_w, float* dst, int32_t* arg) {
  for (int oh = 0; oh < out_h; ++oh) {
    const int32_t r0 = 2 * oh * in_w;
    const int32_t r1 = r0 + in_w;
    for (int ow = 0; ow < out_w; ++ow) {
      const int32_t i0 = r0 + 2 * ow;
      const int32_t i1 = r1 + 2 * ow;
      float best = src[i0];
      int32_t at = i0;
      Take(src[i0 + 1], i0 + 1, best, at);
      Take(src[i1], i1, best, at);
      Take(src[i1 + 1], i1 + 1, best, at);
      dst[oh * out_w + ow] = best;
      arg[oh * out_w + ow] = at;
    }
  }
}

void MaxPoolPlane(const float* src, int in_w, int k, int s, int out_h, int out_w, float* dst,
                  int32_t* arg) {
  for (int oh = 0; oh < out_h; ++oh) {
    for (int ow = 0; ow < out_w; ++ow) {
      int32_t at = oh * s * in_w + ow * s;
      float best = src[at];
      for (int i = 0; i < k; ++i) {
        const int32_t row = (oh * s + i) * in_w + ow * s;
        for (int j = 0; j < k; ++j) Take(src[row + j], row + j, best, at);
      }
      dst[oh * out_w + ow] = best;
      arg[oh * out_w + ow] = at;
    }
  }
}

}  // namespace

void MaxPool2d::Forward(std::span<const Tensor* const> in, Tensor& out,
                        const RunContext& ctx) {
  const Tensor& x = *in[0];
  const Shape& is = x.shape();
  const Shape os = *OutputShape({&is, 1});
  out.Resize(os);
  if (argmax_.size() < os.size()) argmax_.resize(os.size());
  const int k = options_.kernel;
  const int s = options_.stride;
  const size_t planes = static_cast<size_t>(os.n) * os.c;
  ctx.pool->ParallelFor(planes, [&](size_t begin, size_t end, int) {
    for (size_t p = begin; p < end; ++p) {
      const float* src = x.data() + p * is.plane();
      float* dst = out.data() + p * os.plane();
      int32_t* arg = argmax_.data() + p * os.plane();
      if (k == 2 && s == 2) {
        MaxPool2x2(src, is.w, os.h, os.w, dst, arg);
      } else {
        MaxPoolPlane(src, is.w, k, s, os.h, os.w, dst, arg);
      }
    }
  });
}

void MaxPool2d::Backward(std::span<const Tensor* const> in, const Tensor& out,
                         const Tensor& dout, std::span<Tensor* const> din,
                         const RunContext& ctx) {
  if (din.empty() || din[0] == nullptr) return;
  const Shape& is = in[0]->shape();
  const Shape& os = out.shape();
  Tensor& dx = *din[0];
  dx.Resize(is);
  const size_t planes = static_cast<size_t>(os.n) * os.c;
  ctx.pool->ParallelFor(planes, [&](size_t begin, size_t end, int) {
    for (size_t p = begin; p < end; ++p) {
      float* dst = dx.data() + p * is.plane();
      std::fill(dst, dst + is.plane(), 0.0f);
      const float* g = dout.data() + p * os.plane();
      const int32_t* arg = argmax_.data() + p * os.plane();
      for (size_t o = 0; o < os.plane(); ++o) dst[arg[o]] += g[o];
    }
  });
}

absl::StatusOr<Shape> GlobalAvgPool::OutputShape(std::span<const Shape> in) const {
  if (in.size() != 1) return absl::InvalidArgumentError("GlobalAvgPool: takes one input");
  return Shape{in[0].n, in[0].c, 1, 1};
}

void GlobalAvgPool::Forward(std::span<const Tensor* const> in, Tensor& out,
                            const RunContext& ctx) {
  const Tensor& x = *in[0];
  const Shape& is = x.shape();
  out.Resize({is.n, is.c, 1, 1});
  const size_t plane = is.plane();
  const float scale = 1.0f / static_cast<float>(plane);
  ctx.pool->ParallelFor(static_cast<size_t>(is.n) * is.c, [&](size_t begin, size_t end, int) {
    for (size_t p = begin; p < end; ++p) {
      const float* src = x.data() + p * plane;
      float sum = 0;
      for (size_t i = 0; i < plane; ++i) sum += src[i];
      out.data()[p] = sum * scale;
    }
  });
}

void GlobalAvgPool::Backward(std::span<const Tensor* const> in, const Tensor&,
                             const Tensor& dout, std::span<Tensor* const> din,
                             const RunContext& ctx) {
  if (din.empty() || din[0] == nullptr) return;
  const Shape& is = in[0]->shape();
  Tensor& dx = *din[0];
  dx.Resize(is);
  const size_t plane = is.plane();
  const float scale = 1.0f / static_cast<float>(plane);
  ctx.pool->ParallelFor(static_cast<size_t>(is.n) * is.c, [&](size_t begin, size_t end, int) {
    for (size_t p = begin; p < end; ++p) {
      std::fill(dx.data() + p * plane, dx.data() + (p + 1) * plane, dout.data()[p] * scale);
    }
  });
}

}  // namespace gaia::cnn
