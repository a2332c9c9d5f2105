// The CUDA kernels of apps/cnn's GPU path: every layer computation that is
// not a convolution or a GEMM (those are cuDNN and cuBLAS), written to follow
// the CPU layers' arithmetic (apps/cnn/layers/*.cc) step by step: the same
// formulas, float storage, double accumulation of reductions, first-maximum
// pooling. Internal to apps/cnn/cuda.
//
//   RETURN_IF_ERROR(CudartStatus(ReluForward(x, y, n, stream), "ReluForward"));
//
// Each function enqueues its kernels on `stream` and returns the launch's
// cudaGetLastError() (errors inside kernels surface at the next synchronizing
// call). Pointers are device pointers; tensors are NCHW. No absl here: this
// header is compiled by nvcc.
#ifndef GAIA_APPS_CNN_CUDA_KERNELS_H_
#define GAIA_APPS_CNN_CUDA_KERNELS_H_

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace gaia::cnn::gpu {

// y = max(x, 0).
cudaError_t ReluForward(const float* x, float* y, size_t n, cudaStream_t stream);
// dx = y > 0 ? dy : 0 (y is the forward output, as the CPU layer uses).
cudaError_t ReluBackward(const float* y, const float* dy, float* dx, size_t n, cudaStream_t stream);
// y = a + b.
cudaError_t AddForward(const float* a, const float* b, float* y, size_t n, cudaStream_t stream);
// t += s.
cudaError_t AccumulateInto(float* t, const float* s, size_t n, cudaStream_t stream);

// y[i, c, p] += bias[c] for an (n, channels, plane) tensor (a Linear layer's
// output is (n, out, 1)).
cudaError_t AddChannelBias(float* y, const float* bias, int n, int channels, size_t plane,
                           cudaStream_t stream);
// sum[c] = sum over i, p of dy[i, c, p] (a bias gradient).
cudaError_t ChannelSum(const float* dy, float* sum, int n, int channels, size_t plane,
                       cudaStream_t stream);

// Geometry of a max pool over `planes` = n * channels planes.
struct PoolGeometry {
  int planes = 0;
  int in_h = 0;
  int in_w = 0;
  int out_h = 0;
  int out_w = 0;
  int kernel = 2;
  int stride = 2;
};
// y = the window maxima; argmax = each maximum's offset in its input plane
// (the first in row-major order, as the CPU layer).
cudaError_t MaxPoolForward(const PoolGeometry& g, const float* x, float* y, int32_t* argmax,
                           cudaStream_t stream);
// dx[at] = sum of dy over the outputs whose argmax is at (summed in output
// order); every dx element written.
cudaError_t MaxPoolBackward(const PoolGeometry& g, const float* dy, const int32_t* argmax,
                            float* dx, cudaStream_t stream);
// y[p] = mean of plane p, summed in order in float as the CPU layer.
cudaError_t GlobalAvgPoolForward(const float* x, float* y, int planes, size_t plane,
                                 cudaStream_t stream);
cudaError_t GlobalAvgPoolBackward(const float* dy, float* dx, int planes, size_t plane,
                                  cudaStream_t stream);

// BatchNorm2d (apps/cnn/layers/batch_norm.cc). Training: batch statistics
// into mean/rstd (per channel), running ones updated when update_stats.
struct BatchNormArgs {
  int n = 0;
  int channels = 0;
  size_t plane = 0;
  float eps = 1e-5f;
  float momentum = 0.1f;
  const float* weight = nullptr;
  const float* bias = nullptr;
  float* running_mean = nullptr;
  float* running_var = nullptr;
  float* mean = nullptr;  // channels floats, written in training
  float* rstd = nullptr;  // channels floats, written in training
};
cudaError_t BatchNormForwardTraining(const BatchNormArgs& a, const float* x, float* y,
                                     bool update_stats, cudaStream_t stream);
cudaError_t BatchNormForwardEval(const BatchNormArgs& a, const float* x, float* y,
                                 cudaStream_t stream);
// dx may be null. Writes weight_grad, bias_grad (channels floats each).
cudaError_t BatchNormBackward(const BatchNormArgs& a, const float* x, const float* dy, float* dx,
                              float* weight_grad, float* bias_grad, cudaStream_t stream);

// GroupNorm (apps/cnn/layers/group_norm.cc); mean/rstd hold n * groups
// floats; sum_dy/sum_dy_xhat n * channels floats of scratch.
struct GroupNormArgs {
  int n = 0;
  int channels = 0;
  int groups = 1;
  size_t plane = 0;
  float eps = 1e-5f;
  const float* weight = nullptr;
  const float* bias = nullptr;
  float* mean = nullptr;
  float* rstd = nullptr;
  float* sum_dy = nullptr;
  float* sum_dy_xhat = nullptr;
};
cudaError_t GroupNormForward(const GroupNormArgs& a, const float* x, float* y, cudaStream_t stream);
// dx may be null. Writes weight_grad, bias_grad (channels floats each).
cudaError_t GroupNormBackward(const GroupNormArgs& a, const float* x, const float* dy, float* dx,
                              float* weight_grad, float* bias_grad, cudaStream_t stream);

// Per sample i of n (k classes): loss[i] = logsumexp(z_i) - z_i[label_i]
// (double), correct[i] = 1 when the first maximum is the label, and, when
// dlogits is not null, dlogits = (softmax(z) - onehot) / n. Labels must be
// in [0, k) (checked on the host before).
cudaError_t SoftmaxCrossEntropy(const float* logits, const int32_t* labels, int n, int k,
                                double* loss, int32_t* correct, float* dlogits,
                                cudaStream_t stream);

// One torch.optim.SGD step over n floats, apps/cnn/sgd.cc's arithmetic:
// first = the velocity buffer starts from this gradient.
struct SgdArgs {
  float lr = 0;
  float momentum = 0;
  float weight_decay = 0;
  bool nesterov = false;
  bool first = true;
};
cudaError_t SgdStep(const SgdArgs& a, float* params, const float* grads, float* velocity, size_t n,
                    cudaStream_t stream);

}  // namespace gaia::cnn::gpu

#endif  // GAIA_APPS_CNN_CUDA_KERNELS_H_
