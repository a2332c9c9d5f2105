// The arithmetic here mirrors apps/cnn/layers/*.cc line by line; comments
// name the CPU function each kernel follows. Reductions run one block per
// channel or group, accumulating in double like the CPU code.
#include "apps/cnn/cuda/kernels.h"

#include <algorithm>

namespace gaia::cnn::gpu {
namespace {

constexpr int kThreads = 256;  // a power of two: BlockSum halves it
constexpr size_t kMaxBlocks = 8192;

// Blocks for a grid-stride loop over n elements.
unsigned Blocks(size_t n) {
  const size_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(std::clamp<size_t>(blocks, 1, kMaxBlocks));
}

// The sum of v over the block, returned to every thread. shared holds
// kThreads doubles.
__device__ double BlockSum(double v, double* shared) {
  const int t = threadIdx.x;
  shared[t] = v;
  __syncthreads();
  for (int s = kThreads / 2; s > 0; s /= 2) {
    if (t < s) shared[t] += shared[t + s];
    __syncthreads();
  }
  const double sum = shared[0];
  __syncthreads();  // shared is reused by the next call
  return sum;
}

#define GAIA_GRID_STRIDE(i, n)                                            \
  for (size_t i = blockIdx.x * size_t{blockDim.x} + threadIdx.x; i < (n); \
       i += size_t{gridDim.x} * blockDim.x)

__global__ void ReluForwardKernel(const float* x, float* y, size_t n) {
  GAIA_GRID_STRIDE(i, n) { y[i] = fmaxf(x[i], 0.0f); }
}

__global__ void ReluBackwardKernel(const float* y, const float* dy, float* dx, size_t n) {
  GAIA_GRID_STRIDE(i, n) { dx[i] = y[i] > 0.0f ? dy[i] : 0.0f; }
}

__global__ void AddKernel(const float* a, const float* b, float* y, size_t n) {
  GAIA_GRID_STRIDE(i, n) { y[i] = a[i] + b[i]; }
}

__global__ void AccumulateKernel(float* t, const float* s, size_t n) {
  GAIA_GRID_STRIDE(i, n) { t[i] += s[i]; }
}

__global__ void AddChannelBiasKernel(float* y, const float* bias, size_t total, int channels,
                                     size_t plane) {
  GAIA_GRID_STRIDE(i, total) { y[i] += bias[(i / plane) % channels]; }
}

// Block c sums channel c.
__global__ void ChannelSumKernel(const float* dy, float* sum, int n, int channels, size_t plane) {
  __shared__ double shared[kThreads];
  const int c = blockIdx.x;
  const size_t count = static_cast<size_t>(n) * plane;
  double s = 0;
  for (size_t i = threadIdx.x; i < count; i += kThreads) {
    s += dy[((i / plane) * channels + c) * plane + i % plane];
  }
  s = BlockSum(s, shared);
  if (threadIdx.x == 0) sum[c] = static_cast<float>(s);
}

// pool.cc MaxPoolPlane: the window's first element, then strictly greater ones.
__global__ void MaxPoolForwardKernel(PoolGeometry g, const float* x, float* y, int32_t* argmax) {
  const size_t out_plane = static_cast<size_t>(g.out_h) * g.out_w;
  const size_t in_plane = static_cast<size_t>(g.in_h) * g.in_w;
  GAIA_GRID_STRIDE(o, out_plane * g.planes) {
    const size_t p = o / out_plane;
    const int oh = static_cast<int>(o % out_plane) / g.out_w;
    const int ow = static_cast<int>(o % out_plane) % g.out_w;
    const float* src = x + p * in_plane;
    int32_t at = oh * g.stride * g.in_w + ow * g.stride;
    float best = src[at];
    for (int i = 0; i < g.kernel; ++i) {
      const int32_t row = (oh * g.stride + i) * g.in_w + ow * g.stride;
      for (int j = 0; j < g.kernel; ++j) {
        const float v = src[row + j];
        if (v > best) {
          best = v;
          at = row + j;
        }
      }
    }
    y[o] = best;
    argmax[o] = at;
  }
}

// A gather: each input element sums the outputs (in output order) that
// chose it, so no atomics and the CPU's order of additions.
__global__ void MaxPoolBackwardKernel(PoolGeometry g, const float* dy, const int32_t* argmax,
                                      float* dx) {
  const size_t out_plane = static_cast<size_t>(g.out_h) * g.out_w;
  const size_t in_plane = static_cast<size_t>(g.in_h) * g.in_w;
  GAIA_GRID_STRIDE(i, in_plane * g.planes) {
    const size_t p = i / in_plane;
    const int at = static_cast<int>(i % in_plane);
    const int ih = at / g.in_w;
    const int iw = at % g.in_w;
    // Outputs o with o*stride <= ih < o*stride + kernel.
    const int oh_lo = ih >= g.kernel ? (ih - g.kernel) / g.stride + 1 : 0;
    const int oh_hi = min(ih / g.stride, g.out_h - 1);
    const int ow_lo = iw >= g.kernel ? (iw - g.kernel) / g.stride + 1 : 0;
    const int ow_hi = min(iw / g.stride, g.out_w - 1);
    float sum = 0.0f;
    for (int oh = oh_lo; oh <= oh_hi; ++oh) {
      for (int ow = ow_lo; ow <= ow_hi; ++ow) {
        const size_t o = p * out_plane + static_cast<size_t>(oh) * g.out_w + ow;
        if (argmax[o] == at) sum += dy[o];
      }
    }
    dx[i] = sum;
  }
}

__global__ void GlobalAvgPoolForwardKernel(const float* x, float* y, int planes, size_t plane) {
  const float scale = 1.0f / static_cast<float>(plane);
  GAIA_GRID_STRIDE(p, static_cast<size_t>(planes)) {
    const float* src = x + p * plane;
    float sum = 0;
    for (size_t i = 0; i < plane; ++i) sum += src[i];
    y[p] = sum * scale;
  }
}

__global__ void GlobalAvgPoolBackwardKernel(const float* dy, float* dx, int planes, size_t plane) {
  const float scale = 1.0f / static_cast<float>(plane);
  GAIA_GRID_STRIDE(i, plane * planes) { dx[i] = dy[i / plane] * scale; }
}

// Element i of channel c in an (n, channels, plane) tensor, i < n * plane.
__device__ size_t ChannelAt(size_t i, int c, int channels, size_t plane) {
  return ((i / plane) * channels + c) * plane + i % plane;
}

// batch_norm.cc BatchNorm2d::Forward, training branch; block c.
__global__ void BatchNormTrainKernel(BatchNormArgs a, const float* x, float* y, bool update_stats) {
  __shared__ double shared[kThreads];
  const int c = blockIdx.x;
  const size_t count = static_cast<size_t>(a.n) * a.plane;
  double s = 0;
  for (size_t i = threadIdx.x; i < count; i += kThreads) {
    s += x[ChannelAt(i, c, a.channels, a.plane)];
  }
  const float mean = static_cast<float>(BlockSum(s, shared) / count);
  double ss = 0;
  for (size_t i = threadIdx.x; i < count; i += kThreads) {
    const float d = x[ChannelAt(i, c, a.channels, a.plane)] - mean;
    ss += d * d;
  }
  const double var = BlockSum(ss, shared) / count;
  const float rstd = static_cast<float>(1.0 / sqrt(var + a.eps));
  if (threadIdx.x == 0) {
    a.mean[c] = mean;
    a.rstd[c] = rstd;
    if (update_stats) {
      const double unbiased = count > 1 ? var * count / (count - 1) : var;
      const float m = a.momentum;
      a.running_mean[c] = (1 - m) * a.running_mean[c] + m * mean;
      a.running_var[c] = (1 - m) * a.running_var[c] + m * static_cast<float>(unbiased);
    }
  }
  const float scale = a.weight[c] * rstd;
  const float shift = a.bias[c] - mean * scale;
  for (size_t i = threadIdx.x; i < count; i += kThreads) {
    const size_t at = ChannelAt(i, c, a.channels, a.plane);
    y[at] = x[at] * scale + shift;
  }
}

__global__ void BatchNormEvalKernel(BatchNormArgs a, const float* x, float* y) {
  GAIA_GRID_STRIDE(i, static_cast<size_t>(a.n) * a.channels * a.plane) {
    const int c = static_cast<int>((i / a.plane) % a.channels);
    const float rstd = 1.0f / sqrtf(a.running_var[c] + a.eps);
    const float scale = a.weight[c] * rstd;
    y[i] = x[i] * scale + (a.bias[c] - a.running_mean[c] * scale);
  }
}

// batch_norm.cc BatchNorm2d::Backward; block c.
__global__ void BatchNormBackwardKernel(BatchNormArgs a, const float* x, const float* dy, float* dx,
                                        float* weight_grad, float* bias_grad) {
  __shared__ double shared[kThreads];
  const int c = blockIdx.x;
  const size_t count = static_cast<size_t>(a.n) * a.plane;
  double s_dy = 0;
  double s_dy_x = 0;
  for (size_t i = threadIdx.x; i < count; i += kThreads) {
    const size_t at = ChannelAt(i, c, a.channels, a.plane);
    s_dy += dy[at];
    s_dy_x += static_cast<double>(dy[at]) * x[at];
  }
  const double sum_dy = BlockSum(s_dy, shared);
  const double sum_dy_x = BlockSum(s_dy_x, shared);
  const double mean = a.mean[c];
  const double rstd = a.rstd[c];
  const double sum_dy_xhat = (sum_dy_x - mean * sum_dy) * rstd;
  if (threadIdx.x == 0) {
    weight_grad[c] = static_cast<float>(sum_dy_xhat);
    bias_grad[c] = static_cast<float>(sum_dy);
  }
  if (dx == nullptr) return;
  const double gr = a.weight[c] * rstd;
  const double b = -gr * rstd * sum_dy_xhat / count;
  const double c0 = -gr * sum_dy / count - b * mean;
  const float fa = static_cast<float>(gr);
  const float fb = static_cast<float>(b);
  const float fc = static_cast<float>(c0);
  for (size_t i = threadIdx.x; i < count; i += kThreads) {
    const size_t at = ChannelAt(i, c, a.channels, a.plane);
    dx[at] = dy[at] * fa + x[at] * fb + fc;
  }
}

// group_norm.cc GroupNorm::Forward; block n * groups + g.
__global__ void GroupNormForwardKernel(GroupNormArgs a, const float* x, float* y) {
  __shared__ double shared[kThreads];
  const int per_group = a.channels / a.groups;
  const size_t group_size = per_group * a.plane;
  const size_t first = static_cast<size_t>(blockIdx.x) * group_size;  // groups are contiguous
  const int g = blockIdx.x % a.groups;
  double s = 0;
  for (size_t i = threadIdx.x; i < group_size; i += kThreads) s += x[first + i];
  const float mean = static_cast<float>(BlockSum(s, shared) / group_size);
  double ss = 0;
  for (size_t i = threadIdx.x; i < group_size; i += kThreads) {
    const float d = x[first + i] - mean;
    ss += d * d;
  }
  const double var = BlockSum(ss, shared) / group_size;
  const float rstd = static_cast<float>(1.0 / sqrt(var + a.eps));
  if (threadIdx.x == 0) {
    a.mean[blockIdx.x] = mean;
    a.rstd[blockIdx.x] = rstd;
  }
  for (size_t i = threadIdx.x; i < group_size; i += kThreads) {
    const int c = g * per_group + static_cast<int>(i / a.plane);
    const float scale = a.weight[c] * rstd;
    y[first + i] = x[first + i] * scale + (a.bias[c] - mean * scale);
  }
}

// group_norm.cc GroupNorm::Backward, one (sample, group) per block; the
// per-(sample, channel) sums go to a.sum_dy / a.sum_dy_xhat.
__global__ void GroupNormBackwardKernel(GroupNormArgs a, const float* x, const float* dy,
                                        float* dx) {
  __shared__ double shared[kThreads];
  const int per_group = a.channels / a.groups;
  const int n = blockIdx.x / a.groups;
  const int g = blockIdx.x % a.groups;
  const double mean = a.mean[blockIdx.x];
  const double rstd = a.rstd[blockIdx.x];
  const double count = static_cast<double>(per_group) * a.plane;
  double sum_dxhat = 0;
  double sum_dxhat_xhat = 0;
  for (int k = 0; k < per_group; ++k) {
    const int c = g * per_group + k;
    const size_t off = (static_cast<size_t>(n) * a.channels + c) * a.plane;
    double s_dy = 0;
    double s_dy_x = 0;
    for (size_t i = threadIdx.x; i < a.plane; i += kThreads) {
      s_dy += dy[off + i];
      s_dy_x += static_cast<double>(dy[off + i]) * x[off + i];
    }
    const double sdy = BlockSum(s_dy, shared);
    const double sdyx = BlockSum(s_dy_x, shared);
    const double sdyxhat = (sdyx - mean * sdy) * rstd;
    if (threadIdx.x == 0) {
      a.sum_dy[n * a.channels + c] = static_cast<float>(sdy);
      a.sum_dy_xhat[n * a.channels + c] = static_cast<float>(sdyxhat);
    }
    sum_dxhat += a.weight[c] * sdy;
    sum_dxhat_xhat += a.weight[c] * sdyxhat;
  }
  if (dx == nullptr) return;
  const double b = -rstd * rstd * sum_dxhat_xhat / count;
  const double c0 = -rstd * sum_dxhat / count - b * mean;
  const float fb = static_cast<float>(b);
  const float fc = static_cast<float>(c0);
  const size_t first = static_cast<size_t>(blockIdx.x) * per_group * a.plane;
  for (size_t i = threadIdx.x; i < per_group * a.plane; i += kThreads) {
    const int c = g * per_group + static_cast<int>(i / a.plane);
    const float fa = static_cast<float>(a.weight[c] * rstd);
    dx[first + i] = dy[first + i] * fa + x[first + i] * fb + fc;
  }
}

// The parameter gradients: per channel, the samples' sums in sample order.
__global__ void GroupNormParamGradKernel(GroupNormArgs a, float* weight_grad, float* bias_grad) {
  GAIA_GRID_STRIDE(c, static_cast<size_t>(a.channels)) {
    double dw = 0;
    double db = 0;
    for (int n = 0; n < a.n; ++n) {
      dw += a.sum_dy_xhat[n * a.channels + c];
      db += a.sum_dy[n * a.channels + c];
    }
    weight_grad[c] = static_cast<float>(dw);
    bias_grad[c] = static_cast<float>(db);
  }
}

// loss.cc SoftmaxCrossEntropy, one thread per sample.
__global__ void SoftmaxCrossEntropyKernel(const float* logits, const int32_t* labels, int n, int k,
                                          double* loss, int32_t* correct, float* dlogits) {
  GAIA_GRID_STRIDE(i, static_cast<size_t>(n)) {
    const float* z = logits + i * k;
    const int label = labels[i];
    int best = 0;
    for (int j = 1; j < k; ++j) {
      if (z[j] > z[best]) best = j;
    }
    correct[i] = best == label ? 1 : 0;
    const double zmax = z[best];
    double sum = 0;
    for (int j = 0; j < k; ++j) sum += exp(z[j] - zmax);
    const double log_sum = log(sum) + zmax;
    loss[i] = log_sum - z[label];
    if (dlogits == nullptr) continue;
    float* g = dlogits + i * k;
    for (int j = 0; j < k; ++j) {
      const double p = exp(z[j] - log_sum);
      g[j] = static_cast<float>((p - (j == label ? 1.0 : 0.0)) / n);
    }
  }
}

// sgd.cc Sgd::Step.
__global__ void SgdKernel(SgdArgs a, float* params, const float* grads, float* velocity, size_t n) {
  GAIA_GRID_STRIDE(i, n) {
    const float w = params[i];
    if (a.momentum == 0) {
      params[i] = w - a.lr * (grads[i] + a.weight_decay * w);
      continue;
    }
    const float v = a.first ? grads[i] + a.weight_decay * w
                            : a.momentum * velocity[i] + grads[i] + a.weight_decay * w;
    velocity[i] = v;
    if (a.nesterov) {
      const float g = grads[i] + a.weight_decay * w;
      params[i] = w - a.lr * (g + a.momentum * v);
    } else {
      params[i] = w - a.lr * v;
    }
  }
}

#undef GAIA_GRID_STRIDE

}  // namespace

cudaError_t ReluForward(const float* x, float* y, size_t n, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  ReluForwardKernel<<<Blocks(n), kThreads, 0, stream>>>(x, y, n);
  return cudaGetLastError();
}

cudaError_t ReluBackward(const float* y, const float* dy, float* dx, size_t n,
                         cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  ReluBackwardKernel<<<Blocks(n), kThreads, 0, stream>>>(y, dy, dx, n);
  return cudaGetLastError();
}

cudaError_t AddForward(const float* a, const float* b, float* y, size_t n, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  AddKernel<<<Blocks(n), kThreads, 0, stream>>>(a, b, y, n);
  return cudaGetLastError();
}

cudaError_t AccumulateInto(float* t, const float* s, size_t n, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  AccumulateKernel<<<Blocks(n), kThreads, 0, stream>>>(t, s, n);
  return cudaGetLastError();
}

cudaError_t AddChannelBias(float* y, const float* bias, int n, int channels, size_t plane,
                           cudaStream_t stream) {
  const size_t total = static_cast<size_t>(n) * channels * plane;
  if (total == 0) return cudaSuccess;
  AddChannelBiasKernel<<<Blocks(total), kThreads, 0, stream>>>(y, bias, total, channels, plane);
  return cudaGetLastError();
}

cudaError_t ChannelSum(const float* dy, float* sum, int n, int channels, size_t plane,
                       cudaStream_t stream) {
  if (channels == 0) return cudaSuccess;
  ChannelSumKernel<<<channels, kThreads, 0, stream>>>(dy, sum, n, channels, plane);
  return cudaGetLastError();
}

cudaError_t MaxPoolForward(const PoolGeometry& g, const float* x, float* y, int32_t* argmax,
                           cudaStream_t stream) {
  const size_t total = static_cast<size_t>(g.planes) * g.out_h * g.out_w;
  if (total == 0) return cudaSuccess;
  MaxPoolForwardKernel<<<Blocks(total), kThreads, 0, stream>>>(g, x, y, argmax);
  return cudaGetLastError();
}

cudaError_t MaxPoolBackward(const PoolGeometry& g, const float* dy, const int32_t* argmax,
                            float* dx, cudaStream_t stream) {
  const size_t total = static_cast<size_t>(g.planes) * g.in_h * g.in_w;
  if (total == 0) return cudaSuccess;
  MaxPoolBackwardKernel<<<Blocks(total), kThreads, 0, stream>>>(g, dy, argmax, dx);
  return cudaGetLastError();
}

cudaError_t GlobalAvgPoolForward(const float* x, float* y, int planes, size_t plane,
                                 cudaStream_t stream) {
  if (planes == 0) return cudaSuccess;
  GlobalAvgPoolForwardKernel<<<Blocks(planes), kThreads, 0, stream>>>(x, y, planes, plane);
  return cudaGetLastError();
}

cudaError_t GlobalAvgPoolBackward(const float* dy, float* dx, int planes, size_t plane,
                                  cudaStream_t stream) {
  const size_t total = static_cast<size_t>(planes) * plane;
  if (total == 0) return cudaSuccess;
  GlobalAvgPoolBackwardKernel<<<Blocks(total), kThreads, 0, stream>>>(dy, dx, planes, plane);
  return cudaGetLastError();
}

cudaError_t BatchNormForwardTraining(const BatchNormArgs& a, const float* x, float* y,
                                     bool update_stats, cudaStream_t stream) {
  if (a.channels == 0) return cudaSuccess;
  BatchNormTrainKernel<<<a.channels, kThreads, 0, stream>>>(a, x, y, update_stats);
  return cudaGetLastError();
}

cudaError_t BatchNormForwardEval(const BatchNormArgs& a, const float* x, float* y,
                                 cudaStream_t stream) {
  const size_t total = static_cast<size_t>(a.n) * a.channels * a.plane;
  if (total == 0) return cudaSuccess;
  BatchNormEvalKernel<<<Blocks(total), kThreads, 0, stream>>>(a, x, y);
  return cudaGetLastError();
}

cudaError_t BatchNormBackward(const BatchNormArgs& a, const float* x, const float* dy, float* dx,
                              float* weight_grad, float* bias_grad, cudaStream_t stream) {
  if (a.channels == 0) return cudaSuccess;
  BatchNormBackwardKernel<<<a.channels, kThreads, 0, stream>>>(a, x, dy, dx, weight_grad,
                                                               bias_grad);
  return cudaGetLastError();
}

cudaError_t GroupNormForward(const GroupNormArgs& a, const float* x, float* y,
                             cudaStream_t stream) {
  const int blocks = a.n * a.groups;
  if (blocks == 0) return cudaSuccess;
  GroupNormForwardKernel<<<blocks, kThreads, 0, stream>>>(a, x, y);
  return cudaGetLastError();
}

cudaError_t GroupNormBackward(const GroupNormArgs& a, const float* x, const float* dy, float* dx,
                              float* weight_grad, float* bias_grad, cudaStream_t stream) {
  const int blocks = a.n * a.groups;
  if (blocks == 0) return cudaSuccess;
  GroupNormBackwardKernel<<<blocks, kThreads, 0, stream>>>(a, x, dy, dx);
  if (cudaError_t e = cudaGetLastError(); e != cudaSuccess) return e;
  GroupNormParamGradKernel<<<Blocks(a.channels), kThreads, 0, stream>>>(a, weight_grad, bias_grad);
  return cudaGetLastError();
}

cudaError_t SoftmaxCrossEntropy(const float* logits, const int32_t* labels, int n, int k,
                                double* loss, int32_t* correct, float* dlogits,
                                cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  SoftmaxCrossEntropyKernel<<<Blocks(n), kThreads, 0, stream>>>(logits, labels, n, k, loss, correct,
                                                                dlogits);
  return cudaGetLastError();
}

cudaError_t SgdStep(const SgdArgs& a, float* params, const float* grads, float* velocity, size_t n,
                    cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  SgdKernel<<<Blocks(n), kThreads, 0, stream>>>(a, params, grads, velocity, n);
  return cudaGetLastError();
}

}  // namespace gaia::cnn::gpu
