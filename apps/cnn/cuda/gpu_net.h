// One of apps/cnn's networks (model_zoo.h) as GPU layers, its parameters
// bound to blocks of one device vector laid out exactly as the CPU Model's.
// Internal to apps/cnn/cuda.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<GpuNet> net,
//                    GpuNet::Create(spec, cpu_model.layout(), d_params, d_grads));
//   ASSIGN_OR_RETURN(const DeviceTensor* logits, net->Forward(input, ctx));
//   RETURN_IF_ERROR(net->Backward(dlogits, ctx));      // fills d_grads
//
// The layer structure repeats model_zoo.cc's (the CPU Graph does not expose
// its layers); Create checks every parameter block against the CPU layout by
// name, size, and trainability, both ways, so a divergence in any layer that
// has parameters is an error at creation rather than a silent mismatch.
// Not thread-safe.
#ifndef GAIA_APPS_CNN_CUDA_GPU_NET_H_
#define GAIA_APPS_CNN_CUDA_GPU_NET_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "apps/cnn/cuda/cuda_layers.h"
#include "apps/cnn/graph.h"
#include "apps/cnn/model_zoo.h"

namespace gaia::cnn::gpu {

class GpuNet {
 public:
  static constexpr int kInput = -1;

  // `params` (layout's total size) and `grads` (its trainable prefix) are
  // device pointers that must outlive the net. InvalidArgument for a bad
  // spec; Internal when the GPU network's blocks do not match `layout`.
  static absl::StatusOr<std::unique_ptr<GpuNet>> Create(const ModelSpec& spec,
                                                        const std::vector<ParamBlock>& layout,
                                                        float* params, float* grads);

  // `input` must have the spec's sample shape. The result stays valid until
  // the next Forward.
  absl::StatusOr<const DeviceTensor*> Forward(const DeviceTensor& input, const GpuContext& ctx);

  // REQUIRES: Forward in training mode just ran on the same input.
  // Overwrites the gradients from d(loss)/d(output).
  absl::Status Backward(const DeviceTensor& doutput, const GpuContext& ctx);

  // Appends a layer reading `inputs` (earlier ids or kInput); its id.
  int Add(std::string name, std::unique_ptr<GpuLayer> layer, std::vector<int> inputs);

 private:
  struct Node {
    std::string name;
    std::unique_ptr<GpuLayer> layer;
    std::vector<int> inputs;
    DeviceTensor out;
    DeviceTensor grad;      // d(loss)/d(out)
    bool grad_set = false;  // grad holds this backward pass's value
  };

  GpuNet() = default;
  absl::Status CheckShapes(const ModelSpec& spec) const;
  absl::Status Bind(const std::vector<ParamBlock>& layout, float* params, float* grads);

  std::vector<Node> nodes_;
  const DeviceTensor* input_ = nullptr;  // during Forward/Backward only
  std::vector<DeviceTensor> scratch_;    // per input slot: a gradient to add into a set one
};

}  // namespace gaia::cnn::gpu

#endif  // GAIA_APPS_CNN_CUDA_GPU_NET_H_
