// Softmax cross-entropy over logits (n, classes), mean over the batch, as
// PyTorch's nn.CrossEntropyLoss().
//
//   LossResult r = SoftmaxCrossEntropy(logits, labels, &dlogits);
#ifndef GAIA_APPS_CNN_LAYERS_LOSS_H_
#define GAIA_APPS_CNN_LAYERS_LOSS_H_

#include <cstdint>
#include <span>

#include "apps/cnn/tensor.h"

namespace gaia::cnn {

struct LossResult {
  double loss = 0;      // mean over the batch of -log softmax(logits)[label]
  int64_t correct = 0;  // samples whose largest logit (first on ties) is the label
};

// REQUIRES: labels.size() == logits.shape().n, each label in [0, classes).
// When dlogits is not null it gets d(loss)/d(logits) = (softmax - onehot) / n.
LossResult SoftmaxCrossEntropy(const Tensor& logits, std::span<const int32_t> labels,
                               Tensor* dlogits);

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_LAYERS_LOSS_H_
