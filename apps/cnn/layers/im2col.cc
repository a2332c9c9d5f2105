#include "apps/cnn/layers/im2col.h"

#include <algorithm>
#include <cstring>

namespace gaia::cnn::internal {
namespace {

// The output columns [lo, hi) whose input column ow*stride - pad + j lies
// inside [0, width).
void ValidRange(int out, int stride, int offset, int size, int* lo, int* hi) {
  // ow*stride + offset >= 0  <=>  ow >= ceil(-offset / stride)
  int l = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  // ow*stride + offset <= size - 1
  int h = size - 1 - offset < 0 ? 0 : (size - 1 - offset) / stride + 1;
  l = std::min(l, out);
  h = std::clamp(h, l, out);
  *lo = l;
  *hi = h;
}

}  // namespace

void Im2Col(const ConvGeometry& g, const float* image, float* col) {
  const int k = g.kernel;
  const int s = g.stride;
  const size_t plane = static_cast<size_t>(g.height) * g.width;
  for (int c = 0; c < g.channels; ++c) {
    const float* src = image + c * plane;
    for (int i = 0; i < k; ++i) {
      for (int j = 0; j < k; ++j) {
        int lo = 0;
        int hi = 0;
        ValidRange(g.out_w, s, j - g.pad, g.width, &lo, &hi);
        for (int oh = 0; oh < g.out_h; ++oh, col += g.out_w) {
          const int ih = oh * s - g.pad + i;
          if (ih < 0 || ih >= g.height) {
            std::fill(col, col + g.out_w, 0.0f);
            continue;
          }
          std::fill(col, col + lo, 0.0f);
          // Indexes stay inside the row: ow in [lo, hi) maps into [0, width).
          const float* row = src + static_cast<size_t>(ih) * g.width;
          const int off = j - g.pad;
          if (s == 1) {
            if (hi > lo) std::memcpy(col + lo, row + lo + off, sizeof(float) * (hi - lo));
          } else {
            for (int ow = lo; ow < hi; ++ow) col[ow] = row[ow * s + off];
          }
          std::fill(col + hi, col + g.out_w, 0.0f);
        }
      }
    }
  }
}

void Col2Im(const ConvGeometry& g, const float* col, float* image) {
  const int k = g.kernel;
  const int s = g.stride;
  const size_t plane = static_cast<size_t>(g.height) * g.width;
  std::fill(image, image + g.channels * plane, 0.0f);
  for (int c = 0; c < g.channels; ++c) {
    float* dst = image + c * plane;
    for (int i = 0; i < k; ++i) {
      for (int j = 0; j < k; ++j) {
        int lo = 0;
        int hi = 0;
        ValidRange(g.out_w, s, j - g.pad, g.width, &lo, &hi);
        for (int oh = 0; oh < g.out_h; ++oh, col += g.out_w) {
          const int ih = oh * s - g.pad + i;
          if (ih < 0 || ih >= g.height) continue;
          float* row = dst + static_cast<size_t>(ih) * g.width;
          const int off = j - g.pad;
          for (int ow = lo; ow < hi; ++ow) row[ow * s + off] += col[ow];
        }
      }
    }
  }
}

}  // namespace gaia::cnn::internal
