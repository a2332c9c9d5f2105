#include "apps/cnn/layers/loss.h"

#include <cmath>

namespace gaia::cnn {

LossResult SoftmaxCrossEntropy(const Tensor& logits, std::span<const int32_t> labels,
                               Tensor* dlogits) {
  const int n = logits.shape().n;
  const int k = static_cast<int>(logits.shape().sample_size());
  if (dlogits != nullptr) dlogits->Resize(logits.shape());
  LossResult result;
  double total = 0;
  for (int i = 0; i < n; ++i) {
    const float* z = logits.sample(i);
    int best = 0;
    for (int j = 1; j < k; ++j) {
      if (z[j] > z[best]) best = j;
    }
    if (best == labels[i]) ++result.correct;
    // log-sum-exp shifted by the max, in double.
    const double zmax = z[best];
    double sum = 0;
    for (int j = 0; j < k; ++j) sum += std::exp(z[j] - zmax);
    const double log_sum = std::log(sum) + zmax;
    total += log_sum - z[labels[i]];
    if (dlogits == nullptr) continue;
    float* g = dlogits->sample(i);
    for (int j = 0; j < k; ++j) {
      const double p = std::exp(z[j] - log_sum);
      g[j] = static_cast<float>((p - (j == labels[i] ? 1.0 : 0.0)) / n);
    }
  }
  result.loss = n > 0 ? total / n : 0;
  return result;
}

}  // namespace gaia::cnn
