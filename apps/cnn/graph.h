// A network as a list of named layers in topological order, each reading the
// outputs of earlier layers (or the network input). It owns every parameter
// in one vector: all trainable blocks first, then the non-trainable state,
// each block named "<layer>.<param>" (see ParamBlock).
//
//   Graph g;
//   int c = g.Add("conv1", std::make_unique<Conv2d>(...), {Graph::kInput});
//   int r = g.Add("relu1", std::make_unique<ReLU>(), {c});
//   absl::Status s = g.Finalize({1, 1, 28, 28}, seed);
//   const Tensor& logits = g.Forward(input, ctx);       // the last layer's output
//   g.Backward(dlogits, ctx);                           // fills g.grads()
//
// Not thread-safe: one thread drives a graph (its layers use ctx.pool).
#ifndef GAIA_APPS_CNN_GRAPH_H_
#define GAIA_APPS_CNN_GRAPH_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "apps/cnn/layers/layer.h"
#include "apps/cnn/tensor.h"

namespace gaia::cnn {

// Where one parameter block lives in Graph::params().
struct ParamBlock {
  std::string name;  // "conv1.weight", "norm1.running_var", ...
  size_t offset = 0;
  size_t size = 0;
  bool trainable = true;
};

class Graph {
 public:
  static constexpr int kInput = -1;

  // Appends a layer reading `inputs` (ids returned by earlier Add calls, or
  // kInput); returns its id. Errors surface in Finalize.
  int Add(std::string name, std::unique_ptr<Layer> layer, std::vector<int> inputs);

  // Checks every layer's input count and shapes for one input sample of
  // `sample` (n ignored), lays out and binds the parameters and initializes
  // them from `seed` (Kaiming-normal weights, zero biases, ones for norm
  // weights and running variances). The last layer added is the output.
  absl::Status Finalize(Shape sample, uint64_t seed);

  // Runs every layer; `input` must have the sample shape given to Finalize.
  const Tensor& Forward(const Tensor& input, const RunContext& ctx);

  // REQUIRES: Forward in training mode just ran on the same input.
  // Overwrites grads() from d(loss)/d(output).
  void Backward(const Tensor& doutput, const RunContext& ctx);

  std::span<float> params() { return params_; }
  std::span<const float> params() const { return params_; }
  std::span<const float> grads() const { return grads_; }
  size_t num_trainable() const { return grads_.size(); }
  const std::vector<ParamBlock>& layout() const { return layout_; }
  Shape output_sample_shape() const { return output_shape_; }

 private:
  struct Node {
    std::string name;
    std::unique_ptr<Layer> layer;
    std::vector<int> inputs;
    Tensor out;
    Tensor grad;            // d(loss)/d(out)
    bool grad_set = false;  // grad holds this backward pass's value
  };

  absl::Status CheckShapes(Shape sample);
  void LayOut();
  void Initialize(uint64_t seed);

  std::vector<Node> nodes_;
  const Tensor* input_ = nullptr;  // during Forward/Backward only
  Shape output_shape_;
  std::vector<float> params_;  // never resized after Finalize: layers hold spans
  std::vector<float> grads_;   // num_trainable floats, same order as params_
  std::vector<ParamBlock> layout_;
  std::vector<Init> init_;     // per layout_ block
  std::vector<int> fan_in_;    // per layout_ block
  std::vector<Tensor> scratch_;  // per input slot: a gradient to add into a set one
};

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_GRAPH_H_
