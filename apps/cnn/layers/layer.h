// The layer interface of apps/cnn: forward and backward over NCHW float32
// tensors, with parameters that live outside the layer (the Model keeps all
// of them in one vector and hands each layer spans into it, see model.h).
//
//   Conv2d conv({.in_channels = 1, .out_channels = 16, .kernel = 5, .pad = 2});
//   absl::StatusOr<Shape> out_shape = conv.OutputShape({{Shape{1, 1, 28, 28}}});
//   conv.Bind(values, grads);            // one span per conv.ParamSpecs() entry
//   conv.Forward({&x}, y, ctx);
//   conv.Backward({&x}, y, dy, {&dx}, ctx);
//
// A layer is driven by one thread at a time; inside Forward and Backward it
// splits its work over ctx.pool.
#ifndef GAIA_APPS_CNN_LAYERS_LAYER_H_
#define GAIA_APPS_CNN_LAYERS_LAYER_H_

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "apps/cnn/tensor.h"
#include "apps/cnn/thread_pool.h"

namespace gaia::cnn {

// How the Model initializes a parameter block.
enum class Init {
  kZero,
  kOne,
  kKaimingNormal,  // N(0, 2 / fan_in): He et al. 2015, fan_in mode, ReLU gain
};

// One block of a layer's parameters, named as in PyTorch ("weight", "bias",
// "running_mean"); the Model prefixes the layer's name ("conv1.weight").
struct ParamSpec {
  std::string name;
  size_t size = 0;
  bool trainable = true;  // false: state the optimizer leaves alone (BN running stats)
  Init init = Init::kZero;
  int fan_in = 0;  // for kKaimingNormal
};

struct RunContext {
  ThreadPool* pool = nullptr;  // never null while a layer runs
  // Training mode: BatchNorm normalizes by batch statistics (else running).
  bool training = true;
  // In training mode, whether BatchNorm folds the batch statistics into its
  // running mean/var (false for a loss-only evaluation, as in gradient checks).
  bool update_stats = true;
};

class Layer {
 public:
  virtual ~Layer() = default;

  virtual std::string_view kind() const = 0;
  virtual int num_inputs() const { return 1; }

  // The output shape for these input shapes (only the batch n may differ
  // between calls), or InvalidArgument naming the layer option that does not
  // fit (channels, kernel larger than the padded input, ...).
  virtual absl::StatusOr<Shape> OutputShape(std::span<const Shape> in) const = 0;

  // The parameter blocks this layer reads, in a fixed order.
  virtual std::vector<ParamSpec> ParamSpecs() const { return {}; }

  // values[i] and grads[i] belong to ParamSpecs()[i]; grads[i] is empty for a
  // non-trainable block. The spans must outlive the layer's use; the layer
  // reads them on every call and keeps no copy, so writes to the values from
  // outside take effect on the next Forward.
  virtual void Bind(std::span<const std::span<float>> values,
                    std::span<const std::span<float>> grads) {
    (void)values;
    (void)grads;
  }

  // REQUIRES: in.size() == num_inputs(), shapes accepted by OutputShape.
  // Resizes and overwrites out.
  virtual void Forward(std::span<const Tensor* const> in, Tensor& out,
                       const RunContext& ctx) = 0;

  // REQUIRES: the last Forward ran in training mode on these inputs and
  // produced out. Overwrites the parameter gradients and every din[i] that is
  // not null (resized to in[i]'s shape); din[i] must not alias any input.
  virtual void Backward(std::span<const Tensor* const> in, const Tensor& out,
                        const Tensor& dout, std::span<Tensor* const> din,
                        const RunContext& ctx) = 0;
};

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_LAYERS_LAYER_H_
